/**
 * Documented defaults of the projection, used where no measurement (device-peaks JSON) exists: per-kernel
 * launch overheads, host-link (PCIe) bandwidth per GPU, CUDA context size and memory reserve.
 */

/**
 * Per-kernel host cost of ONNX Runtime's CUDA EP in normal asynchronous execution (executor dispatch +
 * cudaLaunchKernel), in ms. 6 µs is a typical figure for ORT 1.2x on a server CPU (cudaLaunchKernel alone is
 * about 2–4 µs); it depends on the host CPU more than on the GPU. Measure it with `workbench device-peaks`.
 */
export const DEFAULT_ASYNC_LAUNCH_MS = 0.006;

/**
 * Per-kernel cost inside a 'sync-launch' profile's node times (CUDA_LAUNCH_BLOCKING=1: each launch waits for
 * its kernel, so a node's host time carries dispatch + launch + completion round trip), in ms.
 * `workbench device-peaks --ep cuda` measures it in a child process with CUDA_LAUNCH_BLOCKING=1.
 */
export const DEFAULT_SYNC_LAUNCH_MS = 0.015;

/** A CUDA context with cuBLAS/cuDNN handles and ORT's CUDA EP loaded, per process (bytes). */
export const DEFAULT_CONTEXT_BYTES = 600 * 1024 ** 2;

/** Memory left free on the target when counting workers: 10% of the card (allocator slack, fragmentation). */
export const DEFAULT_RESERVE_FRACTION = 0.1;

/** Utterance length the per-utterance / per-voice / per-image roles are spread over when no run says (s). */
export const DEFAULT_AUDIO_SECONDS = 10;

const GBs = 1e9;

/**
 * Host link per direction: PCIe x16 at the generation each datasheet names (Gen3 ≈ 15.75 GB/s,
 * Gen4 ≈ 31.5 GB/s, Gen5 ≈ 63 GB/s per direction; the datasheets quote both directions together).
 */
export const PCIE_BY_DEVICE: Readonly<Record<string, { bytesPerS: number; source: string }>> = {
  t4: { bytesPerS: 15.75 * GBs, source: 'T4 datasheet: PCIe Gen3 x16 (32 GB/s both directions)' },
  a10: { bytesPerS: 31.5 * GBs, source: 'A10 datasheet: PCIe Gen4 x16 (64 GB/s both directions)' },
  l4: { bytesPerS: 31.5 * GBs, source: 'L4 datasheet: PCIe Gen4 x16 (64 GB/s both directions)' },
  'a100-40gb': { bytesPerS: 31.5 * GBs, source: 'A100 datasheet: PCIe Gen4 (64 GB/s both directions)' },
  'a100-80gb': { bytesPerS: 31.5 * GBs, source: 'A100 datasheet: PCIe Gen4 (64 GB/s both directions)' },
  'h100-pcie': { bytesPerS: 63 * GBs, source: 'H100 datasheet: PCIe Gen5 (128 GB/s both directions)' },
  'h100-nvl': { bytesPerS: 63 * GBs, source: 'H100 datasheet: PCIe Gen5 (128 GB/s both directions)' },
  'h100-sxm': { bytesPerS: 63 * GBs, source: 'H100 datasheet: PCIe Gen5 (128 GB/s both directions)' },
  'h200-nvl': { bytesPerS: 63 * GBs, source: 'H200 datasheet: PCIe Gen5 (128 GB/s both directions)' },
  h200: { bytesPerS: 63 * GBs, source: 'H200 datasheet: PCIe Gen5 (128 GB/s both directions)' },
};

/** The host link of a device id; Gen4 x16 when the table has no entry. */
export function pcieFor(id: string): { bytesPerS: number; source: string } {
  return PCIE_BY_DEVICE[id] ?? { bytesPerS: 31.5 * GBs, source: 'default: PCIe Gen4 x16 (no table entry)' };
}
