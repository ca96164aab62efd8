/**
 * The per-node projection arithmetic. A node measured on the source GPU took `t`; the source method included
 * `k × L_incl` of launch overhead in it (k kernels; L_incl = the sync-launch overhead for 'sync-launch'
 * profiles, 0 for CUPTI kernel times), so its work took `W = t − k·L_incl`. Its roofline time on a device is
 * `ideal = max(FLOPs / compute peak of its precision class, bytes / memory bandwidth)`, and its efficiency
 * on the source is `e = ideal_src / W` (the achieved fraction of the roof that bounds it). On the target:
 *
 *   t' = k · L_async' + ideal_tgt / e
 *
 * so the node keeps its efficiency but moves to the target's roofs (a node may switch from compute- to
 * memory-bound when the ridge points differ). CPU-EP nodes are not scaled; Memcpy nodes scale with the host
 * link (PCIe); nodes without FLOP/byte counts scale with memory bandwidth.
 */
import { computePeakFor } from '../core/devices.js';
import type { NodeTimeMethod, NodeRow } from '../profiler/profile-report.js';
import type { DeviceSide, NodeBound, NodeProjection } from './types.js';

export interface NodeContext {
  source: Pick<DeviceSide, 'peaks' | 'pcieBytesPerS' | 'launch'>;
  target: Pick<DeviceSide, 'peaks' | 'pcieBytesPerS' | 'launch'>;
  /** Whether FP32 matrix ops ran (and will run) on TF32 tensor cores. */
  tf32: boolean;
  method: NodeTimeMethod;
}

const MEMCPY = /^Memcpy(FromHost|ToHost)?$/;

/** Whether a node ran on the CPU EP (host time, not scaled to another GPU). */
export function isCpuNode(row: Pick<NodeRow, 'provider' | 'opType'>): boolean {
  return !MEMCPY.test(row.opType) && !/CUDA|Tensorrt|GPU/i.test(row.provider);
}

/** Projects one node row of a profile to the target. */
export function projectNode(row: NodeRow, ctx: NodeContext): NodeProjection {
  const execs = Math.max(1, row.executionsPerRun || 1);
  const kernels = row.kernelsPerRun ?? execs;
  const flops = row.flops * execs;
  const bytes = (row.bytesRead + row.bytesWritten) * execs;
  const sourceMs = row.time.median;
  const elem = row.inputShapes[0]?.type ?? row.outputShapes[0]?.type ?? 'float';
  const peakS = computePeakFor(ctx.source.peaks, elem, row.opType, ctx.tf32);
  const peakT = computePeakFor(ctx.target.peaks, elem, row.opType, ctx.tf32);
  const base = { name: row.name, opType: row.opType, provider: row.provider, precision: peakS.unit, kernels, flops, bytes, sourceMs };
  const flags: string[] = [];

  if (ctx.method === 'host' || isCpuNode(row)) {
    flags.push('cpu-ep (not scaled)');
    return {
      ...base,
      kernels: 0,
      sourceWorkMs: sourceMs,
      sourceIdealMs: 0,
      efficiency: null,
      sourceBound: 'cpu',
      targetBound: 'cpu',
      launchMs: 0,
      workMs: sourceMs,
      projectedMs: sourceMs,
      flags,
    };
  }

  const included = ctx.method === 'sync-launch' ? ctx.source.launch.syncLaunchMs : 0;
  const sourceWorkMs = Math.max(0, sourceMs - kernels * included);
  const launchMs = kernels * ctx.target.launch.asyncMs;
  const sourceLaunchMs = kernels * ctx.source.launch.asyncMs;
  const finish = (p: { sourceIdealMs: number; efficiency: number | null; sourceBound: NodeBound; targetBound: NodeBound; workMs: number }): NodeProjection => {
    const sourceBound = sourceLaunchMs > sourceWorkMs ? 'launch' : p.sourceBound;
    const targetBound = launchMs > p.workMs ? 'launch' : p.targetBound;
    if (sourceWorkMs === 0) flags.push('launch-only (no measurable work beyond launch overhead)');
    return { ...base, ...p, sourceWorkMs, sourceBound, targetBound, launchMs, projectedMs: launchMs + p.workMs, flags };
  };

  if (MEMCPY.test(row.opType)) {
    flags.push('memcpy (host link)');
    const moved = row.outputBytes > 0 ? row.outputBytes * execs : bytes / 2;
    const idealS = (moved / ctx.source.pcieBytesPerS) * 1000;
    return finish({
      sourceIdealMs: idealS,
      efficiency: sourceWorkMs > 0 && idealS > 0 ? idealS / sourceWorkMs : null,
      sourceBound: 'pcie',
      targetBound: 'pcie',
      workMs: sourceWorkMs * (ctx.source.pcieBytesPerS / ctx.target.pcieBytesPerS),
    });
  }

  if (flops <= 0 && bytes <= 0) {
    flags.push('no-cost (scaled by memory bandwidth)');
    return finish({
      sourceIdealMs: 0,
      efficiency: null,
      sourceBound: 'unknown',
      targetBound: 'unknown',
      workMs: sourceWorkMs * (ctx.source.peaks.memoryBandwidth / ctx.target.peaks.memoryBandwidth),
    });
  }

  const computeS = flops / peakS.flops;
  const memoryS = bytes / ctx.source.peaks.memoryBandwidth;
  const computeT = flops / peakT.flops;
  const memoryT = bytes / ctx.target.peaks.memoryBandwidth;
  const idealS = Math.max(computeS, memoryS) * 1000;
  const idealT = Math.max(computeT, memoryT) * 1000;
  const efficiency = sourceWorkMs > 0 ? idealS / sourceWorkMs : null;
  if (efficiency !== null && efficiency > 1.05) flags.push('efficiency>1 (L2 reuse or undercounted work)');
  return finish({
    sourceIdealMs: idealS,
    efficiency,
    sourceBound: computeS >= memoryS ? 'compute' : 'memory',
    targetBound: computeT >= memoryT ? 'compute' : 'memory',
    workMs: efficiency === null ? 0 : idealT / efficiency,
  });
}
