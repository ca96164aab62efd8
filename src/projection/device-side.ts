/**
 * The figures each side of a projection uses: datasheet peaks from src/core/devices.ts, the host link,
 * and launch overheads (measured by `workbench device-peaks` for that GPU when its JSON is given, else the
 * documented defaults). Measured throughputs replace datasheet ones only when both sides were measured, so
 * the two sides are never compared on different footings.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { DEVICE_PEAKS, findDevicePeaks, type DevicePeaks } from '../core/devices.js';
import { DEFAULT_ASYNC_LAUNCH_MS, DEFAULT_SYNC_LAUNCH_MS, pcieFor } from './defaults.js';
import type { DevicePeaksReport } from './device-peaks.js';
import type { DeviceSide, LaunchOverheads } from './types.js';

/** A device-peaks JSON with the file it came from. */
export interface PeaksFile {
  file: string;
  report: DevicePeaksReport;
}

/** Reads `workbench device-peaks --out` files. */
export function readPeaksFiles(files: readonly string[]): PeaksFile[] {
  return files.map((file) => {
    let report: DevicePeaksReport;
    try {
      report = JSON.parse(readFileSync(file, 'utf8')) as DevicePeaksReport;
    } catch (e) {
      throw new UsageError(`${file}: cannot read the device-peaks JSON (${(e as Error).message})`);
    }
    if (report?.kind !== 'workbench.device-peaks') throw new UsageError(`${file}: not a device-peaks JSON (kind '${String(report?.kind)}')`);
    return { file, report };
  });
}

/** The table entry of an id or nvidia-smi name; a UsageError listing the known ids otherwise. */
export function requirePeaks(idOrName: string, flag = '--to'): DevicePeaks {
  const p = findDevicePeaks(idOrName);
  if (!p) throw new UsageError(`${flag} ${idOrName}: unknown GPU (known: ${DEVICE_PEAKS.map((d) => d.id).join(', ')})`);
  return p;
}

function measuredFor(id: string, files: readonly PeaksFile[]): PeaksFile | undefined {
  return files.find((f) => f.report.ep === 'cuda' && f.report.device.id === id);
}

function launchFor(id: string, files: readonly PeaksFile[]): LaunchOverheads {
  const m = measuredFor(id, files);
  const l = m?.report.launch;
  if (m && l?.status === 'ok' && l.asyncPerNodeMs !== null)
    return { asyncMs: l.asyncPerNodeMs, syncLaunchMs: l.syncLaunchPerNodeMs ?? DEFAULT_SYNC_LAUNCH_MS, source: 'measured', file: m.file };
  return { asyncMs: DEFAULT_ASYNC_LAUNCH_MS, syncLaunchMs: DEFAULT_SYNC_LAUNCH_MS, source: 'default' };
}

/** Datasheet peaks with the measured ones of `m` put in (MatMul FP32 → TF32 or FP32 roof, FP16, bandwidth). */
function withMeasured(p: Omit<DevicePeaks, 'match'>, m: DevicePeaksReport): Omit<DevicePeaks, 'match'> {
  const out = { ...p };
  const f32 = m.matmulFp32.status === 'ok' ? m.matmulFp32.value : null;
  if (f32 !== null) {
    if (m.tf32 && out.tf32Tensor) out.tf32Tensor = f32;
    else out.fp32 = f32;
  }
  const f16 = m.matmulFp16.status === 'ok' ? m.matmulFp16.value : null;
  if (f16 !== null) {
    const k = f16 / out.fp16Tensor;
    out.fp16Tensor = f16;
    if (out.bf16Tensor) out.bf16Tensor *= k;
    // INT8 tensor throughput moves with the FP16 one (same cores, same clocks).
    out.int8Tensor *= k;
  }
  if (m.copy.status === 'ok' && m.copy.value !== null) out.memoryBandwidth = m.copy.value;
  return out;
}

/**
 * Both sides of a projection. `sourcePeaks` are those recorded in the profile (or --from); measured
 * throughputs are used when `useMeasured` and device-peaks files exist for both ids.
 */
export function deviceSides(
  source: { id: string; peaks: Omit<DevicePeaks, 'match'> },
  targetId: string,
  files: readonly PeaksFile[] = [],
  useMeasured = true,
): { source: DeviceSide; target: DeviceSide } {
  const t = requirePeaks(targetId);
  const { match: _m, ...tPeaks } = t;
  const ms = measuredFor(source.id, files);
  const mt = measuredFor(t.id, files);
  const both = useMeasured && ms !== undefined && mt !== undefined;
  const side = (id: string, name: string, peaks: Omit<DevicePeaks, 'match'>, m: PeaksFile | undefined): DeviceSide => {
    const link = pcieFor(id);
    return {
      id,
      name,
      peaks: both && m ? withMeasured(peaks, m.report) : peaks,
      peaksSource: both ? 'measured (device-peaks)' : 'datasheet',
      pcieBytesPerS: link.bytesPerS,
      pcieSource: link.source,
      launch: launchFor(id, files),
    };
  };
  return { source: side(source.id, source.peaks.name, source.peaks, ms), target: side(t.id, t.name, tPeaks, mt) };
}
