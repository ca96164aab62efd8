/**
 * Peak throughput and memory figures of NVIDIA data-centre GPUs (dense, i.e. without 2:4 sparsity), each with
 * the vendor document it comes from, and detection of the GPU at hand through nvidia-smi. The projection to
 * other GPUs builds on this table and on profile.json.
 */
import { execFileSync } from 'node:child_process';

/** Dense peaks. Throughputs in FLOP/s (or OP/s for INT8), bandwidth in bytes/s, sizes in bytes. */
export interface DevicePeaks {
  id: string;
  name: string;
  /** Non-tensor FP32 FLOP/s. */
  fp32: number;
  /** TF32 tensor-core FLOP/s (dense); null where the architecture has no TF32. */
  tf32Tensor: number | null;
  /** FP16 tensor-core FLOP/s (dense, FP32 accumulate where the datasheet distinguishes). */
  fp16Tensor: number;
  /** BF16 tensor-core FLOP/s (dense); null where unsupported. */
  bf16Tensor: number | null;
  /** INT8 tensor-core OP/s (dense). */
  int8Tensor: number;
  memoryBandwidth: number;
  memoryBytes: number;
  smCount: number;
  l2Bytes: number;
  /** Vendor datasheet (and, for SM count / L2, the architecture whitepaper) the figures come from. */
  source: string;
  /** nvidia-smi name patterns that identify it. */
  match: RegExp;
  /** When names collide (A100 40/80 GB), the memory size nvidia-smi reports, in MiB, must be at least this. */
  minMemoryMiB?: number;
  maxMemoryMiB?: number;
}

const T = 1e12;
const GB = 1e9;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Known GPUs. Sparse datasheet figures are halved to dense ones. */
export const DEVICE_PEAKS: readonly DevicePeaks[] = [
  {
    id: 't4',
    name: 'NVIDIA T4',
    fp32: 8.1 * T,
    tf32Tensor: null,
    fp16Tensor: 65 * T,
    bf16Tensor: null,
    int8Tensor: 130 * T,
    memoryBandwidth: 320 * GB,
    memoryBytes: 16 * GiB,
    smCount: 40,
    l2Bytes: 4 * MiB,
    source: 'NVIDIA T4 Tensor Core GPU datasheet (FP32 8.1 TFLOPS, mixed FP16 65 TFLOPS, INT8 130 TOPS, 320 GB/s); Turing TU104 whitepaper (40 SMs, 4 MB L2)',
    match: /\bT4\b/i,
  },
  {
    id: 'a10',
    name: 'NVIDIA A10',
    fp32: 31.2 * T,
    tf32Tensor: 62.5 * T,
    fp16Tensor: 125 * T,
    bf16Tensor: 125 * T,
    int8Tensor: 250 * T,
    memoryBandwidth: 600 * GB,
    memoryBytes: 24 * GiB,
    smCount: 72,
    l2Bytes: 6 * MiB,
    source:
      'NVIDIA A10 Tensor Core GPU datasheet (FP32 31.2, TF32 62.5, FP16/BF16 125 TFLOPS, INT8 250 TOPS dense; 600 GB/s); GA102 whitepaper (72 SMs, 6 MB L2)',
    match: /\bA10\b(?!0)/i,
  },
  {
    id: 'l4',
    name: 'NVIDIA L4',
    fp32: 30.3 * T,
    tf32Tensor: 60 * T,
    fp16Tensor: 121 * T,
    bf16Tensor: 121 * T,
    int8Tensor: 242.5 * T,
    memoryBandwidth: 300 * GB,
    memoryBytes: 24 * GiB,
    smCount: 58,
    l2Bytes: 48 * MiB,
    source:
      'NVIDIA L4 Tensor Core GPU datasheet (FP32 30.3; TF32 120, FP16/BF16 242, INT8 485 with sparsity, halved; 300 GB/s); Ada AD104 whitepaper (58 SMs, 48 MB L2)',
    match: /\bL4\b/i,
  },
  {
    id: 'a100-40gb',
    name: 'NVIDIA A100 40GB (SXM4)',
    fp32: 19.5 * T,
    tf32Tensor: 156 * T,
    fp16Tensor: 312 * T,
    bf16Tensor: 312 * T,
    int8Tensor: 624 * T,
    memoryBandwidth: 1555 * GB,
    memoryBytes: 40 * GiB,
    smCount: 108,
    l2Bytes: 40 * MiB,
    source:
      'NVIDIA A100 Tensor Core GPU datasheet (FP32 19.5, TF32 156, FP16/BF16 312 TFLOPS, INT8 624 TOPS dense; 40GB HBM2 1,555 GB/s); NVIDIA A100 (Ampere GA100) whitepaper (108 SMs, 40 MB L2)',
    match: /A100/i,
    maxMemoryMiB: 60_000,
  },
  {
    id: 'a100-80gb',
    name: 'NVIDIA A100 80GB (SXM4)',
    fp32: 19.5 * T,
    tf32Tensor: 156 * T,
    fp16Tensor: 312 * T,
    bf16Tensor: 312 * T,
    int8Tensor: 624 * T,
    memoryBandwidth: 2039 * GB,
    memoryBytes: 80 * GiB,
    smCount: 108,
    l2Bytes: 40 * MiB,
    source: 'NVIDIA A100 Tensor Core GPU datasheet (80GB SXM: HBM2e 2,039 GB/s; PCIe 80GB: 1,935 GB/s); NVIDIA A100 whitepaper (108 SMs, 40 MB L2)',
    match: /A100/i,
    minMemoryMiB: 60_000,
  },
  {
    id: 'h100-pcie',
    name: 'NVIDIA H100 PCIe',
    fp32: 51 * T,
    tf32Tensor: 378 * T,
    fp16Tensor: 756 * T,
    bf16Tensor: 756 * T,
    int8Tensor: 1513 * T,
    memoryBandwidth: 2000 * GB,
    memoryBytes: 80 * GiB,
    smCount: 114,
    l2Bytes: 50 * MiB,
    source:
      'NVIDIA H100 Tensor Core GPU datasheet, H100 PCIe column (FP32 51; TF32 756, FP16/BF16 1,513, INT8 3,026 with sparsity, halved; 2 TB/s); NVIDIA H100 (Hopper) whitepaper (114 SMs, 50 MB L2)',
    match: /H100.*PCIe/i,
  },
  {
    id: 'h100-nvl',
    name: 'NVIDIA H100 NVL',
    fp32: 60 * T,
    tf32Tensor: 417.5 * T,
    fp16Tensor: 835.5 * T,
    bf16Tensor: 835.5 * T,
    int8Tensor: 1670.5 * T,
    memoryBandwidth: 3900 * GB,
    memoryBytes: 94 * GiB,
    smCount: 132,
    l2Bytes: 50 * MiB,
    source: 'NVIDIA H100 Tensor Core GPU datasheet, H100 NVL column (FP32 60; TF32 835, FP16/BF16 1,671, INT8 3,341 with sparsity, halved; 94 GB, 3.9 TB/s)',
    match: /H100.*NVL/i,
  },
  {
    id: 'h100-sxm',
    name: 'NVIDIA H100 SXM5 80GB',
    fp32: 67 * T,
    tf32Tensor: 494.5 * T,
    fp16Tensor: 989.5 * T,
    bf16Tensor: 989.5 * T,
    int8Tensor: 1979 * T,
    memoryBandwidth: 3350 * GB,
    memoryBytes: 80 * GiB,
    smCount: 132,
    l2Bytes: 50 * MiB,
    source:
      'NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column (FP32 67; TF32 989, FP16/BF16 1,979, INT8 3,958 with sparsity, halved; HBM3 3.35 TB/s); NVIDIA H100 (Hopper) whitepaper (132 SMs, 50 MB L2)',
    match: /H100/i,
  },
  {
    id: 'h200-nvl',
    name: 'NVIDIA H200 NVL',
    fp32: 60 * T,
    tf32Tensor: 417.5 * T,
    fp16Tensor: 835.5 * T,
    bf16Tensor: 835.5 * T,
    int8Tensor: 1670.5 * T,
    memoryBandwidth: 4800 * GB,
    memoryBytes: 141 * GB,
    smCount: 132,
    l2Bytes: 50 * MiB,
    source:
      'NVIDIA H200 Tensor Core GPU datasheet, H200 NVL column (FP32 60; TF32 835, FP16/BF16 1,671, INT8 3,341 with sparsity, halved; 141 GB HBM3e, 4.8 TB/s)',
    match: /H200.*NVL/i,
  },
  {
    id: 'h200',
    name: 'NVIDIA H200 SXM 141GB',
    fp32: 67 * T,
    tf32Tensor: 494.5 * T,
    fp16Tensor: 989.5 * T,
    bf16Tensor: 989.5 * T,
    int8Tensor: 1979 * T,
    memoryBandwidth: 4800 * GB,
    memoryBytes: 141 * GB,
    smCount: 132,
    l2Bytes: 60 * MiB,
    source:
      'NVIDIA H200 Tensor Core GPU datasheet, H200 SXM column (FP32 67; TF32 989, FP16/BF16 1,979, INT8 3,958 with sparsity, halved; 141 GB HBM3e, 4.8 TB/s); 132 SMs and 60 MB L2 as cudaDeviceProp reports them on an H200 (the datasheet gives neither)',
    match: /H200/i,
  },
];

/** Looks a device up by id ('h100-sxm') or by an nvidia-smi name with its memory in MiB. */
export function findDevicePeaks(nameOrId: string, memoryMiB?: number): DevicePeaks | undefined {
  const byId = DEVICE_PEAKS.find((d) => d.id === nameOrId.toLowerCase());
  if (byId) return byId;
  // More specific patterns (PCIe, NVL) come before the generic one of the same family in the search order.
  const ordered = [...DEVICE_PEAKS].sort((a, b) => b.match.source.length - a.match.source.length);
  return ordered.find((d) => {
    if (!d.match.test(nameOrId)) return false;
    if (memoryMiB !== undefined && d.minMemoryMiB !== undefined && memoryMiB < d.minMemoryMiB) return false;
    if (memoryMiB !== undefined && d.maxMemoryMiB !== undefined && memoryMiB >= d.maxMemoryMiB) return false;
    if (memoryMiB === undefined && d.minMemoryMiB !== undefined) return /80\s*GB/i.test(nameOrId);
    if (memoryMiB === undefined && d.maxMemoryMiB !== undefined) return !/80\s*GB/i.test(nameOrId);
    return true;
  });
}

/** A GPU as nvidia-smi reports it. */
export interface DetectedGpu {
  index: number;
  name: string;
  memoryMiB: number;
  /** The matching table entry, when known. */
  peaks?: DevicePeaks;
}

/** Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits` output. */
export function parseGpuQuery(text: string): DetectedGpu[] {
  const out: DetectedGpu[] = [];
  text.split('\n').forEach((line) => {
    const t = line.trim();
    if (!t) return;
    const cut = t.lastIndexOf(',');
    if (cut < 0) return;
    const name = t.slice(0, cut).trim();
    const memoryMiB = Number(t.slice(cut + 1).trim());
    const g: DetectedGpu = { index: out.length, name, memoryMiB: Number.isFinite(memoryMiB) ? memoryMiB : 0 };
    const p = findDevicePeaks(name, g.memoryMiB || undefined);
    if (p) g.peaks = p;
    out.push(g);
  });
  return out;
}

/** Runs nvidia-smi; an empty list when it is absent or fails (no GPU, no driver). */
export function detectGpus(run: (cmd: string, args: string[]) => string = defaultRun): DetectedGpu[] {
  try {
    return parseGpuQuery(run('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits']));
  } catch {
    return [];
  }
}

function defaultRun(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
}

/** The compute peak (FLOP/s) that bounds a node of this element type and op: tensor cores for matrix ops. */
export function computePeakFor(
  peaks: Pick<DevicePeaks, 'fp32' | 'tf32Tensor' | 'fp16Tensor' | 'bf16Tensor' | 'int8Tensor'>,
  elemType: string,
  opType: string,
  tf32: boolean,
): { flops: number; unit: string } {
  const matrix =
    /^(Conv|ConvTranspose|MatMul|Gemm|FusedConv|FusedMatMul|FusedGemm|NhwcConv|Attention|MultiHeadAttention|GroupQueryAttention|MatMulNBits|MatMulInteger|ConvInteger|QLinearConv|QLinearMatMul|MatMulIntegerToFloat|DynamicQuantizeMatMul|Einsum)$/.test(
      opType,
    );
  const t = elemType.toLowerCase();
  if (matrix) {
    if (/int8|uint8/.test(t) || /Integer|QLinear|NBits/.test(opType)) return { flops: peaks.int8Tensor, unit: 'INT8 tensor' };
    if (/bfloat16/.test(t)) return { flops: peaks.bf16Tensor ?? peaks.fp16Tensor, unit: 'BF16 tensor' };
    if (/float16|half/.test(t)) return { flops: peaks.fp16Tensor, unit: 'FP16 tensor' };
    if (tf32 && peaks.tf32Tensor) return { flops: peaks.tf32Tensor, unit: 'TF32 tensor' };
  }
  // Non-matrix FP16 runs at about twice the FP32 rate on these parts (packed half2).
  if (/float16|half/.test(t)) return { flops: peaks.fp32 * 2, unit: 'FP16 (non-tensor)' };
  return { flops: peaks.fp32, unit: 'FP32' };
}
