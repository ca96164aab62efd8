/** The 'cupti' coverage block of profile.json: how much of each run's GPU work the attribution accounts for. */
import { timeStats } from '../../core/stats.js';
import type { ParsedTrace } from '../trace.js';
import type { Alignment } from './align-capture.js';
import type { RunGpu, CuptiAttribution } from './attribute-capture.js';
import type { CuptiCapture, GpuActivityKind } from './capture.js';
import { isDeviceNode, nodeContributionUs, nodeHostLaunchUs } from './node-times.js';

export interface CuptiCoverage {
  /** Median over counted runs of Σ per-node GPU time (device nodes). */
  nodeGpuSumMs: number;
  /** Median GPU busy time per run (union of its kernels/copies/memsets). */
  gpuBusyMs: number;
  /** Median first-start → last-end of a run's GPU work. */
  gpuSpanMs: number;
  /** nodeGpuSumMs / gpuBusyMs: ~1 when attribution works (above 1: overlapping streams). */
  attributionRatio: number;
  /**
   * The end-to-end GPU check: (Σ per-node GPU time + the run's own input/output copies) / GPU busy time
   * (the union of all GPU work of a run, measured by CUPTI). 1 = every GPU microsecond of a run is accounted
   * for by a node or a copy; within ±10% is the target.
   */
  gpuAccountingRatio: number;
  gpuAccountingWithinTenPercent: boolean;
  /** Median GPU time per run launched outside nodes (ORT's input/output copies). */
  runLevelGpuMs: number;
  /** Median Σ host `_kernel_time` and Σ host launch time (less blocking waits) of the device nodes. */
  hostSumMs: number;
  hostLaunchSumMs: number;
  /** Median Σ max(host launch, GPU) per node: what coverage.perNodeSumMs holds under 'cupti'. */
  contributionSumMs: number;
  /** (contributionSumMs + runLevelGpuMs) / end-to-end median. */
  ratioWithRunLevel: number;
  /** 'launch-bound' when the device nodes' host launch time exceeds their GPU time. */
  bound: 'gpu-bound' | 'launch-bound';
  /** Median model_run of the profiled pass. */
  modelRunMs: number;
  records: {
    kernels: number;
    memcpys: number;
    memsets: number;
    launchCalls: number;
    withoutLaunch: number;
    outsideRuns: number;
    outsideRunsMs: number;
    dropped: number;
  };
  alignment: {
    windowFrom: Alignment['windowFrom'];
    windowUs: number;
    runPlateauUs?: number;
    plateauUs: number;
    launches: number;
    /** Launch calls inside device nodes / all launch calls. */
    matchedFraction: number;
    /** Of the launch calls inside runs, the share in a device node or the run's head/tail (~1 when aligned). */
    validFraction: number;
    plateaus: number;
    stride: number;
    clockDriftUs: number;
    notes: string[];
  };
}

/** Summarizes an attribution over the counted runs (trace run indices). */
export function cuptiCoverage(trace: ParsedTrace, att: CuptiAttribution, counted: readonly number[], endToEndMs: number, cap: CuptiCapture): CuptiCoverage {
  const idx = new Map<number, number>(counted.map((r, i) => [r, i]));
  const zeros = (): number[] => new Array<number>(counted.length).fill(0);
  const gpu = zeros();
  const host = zeros();
  const launch = zeros();
  const contrib = zeros();
  for (const e of trace.nodes) {
    const i = idx.get(e.run);
    if (i === undefined) continue;
    contrib[i] = (contrib[i] ?? 0) + nodeContributionUs(e, att);
    if (!isDeviceNode(e, att)) continue;
    gpu[i] = (gpu[i] ?? 0) + (att.byNode.get(e)?.gpuUs ?? 0);
    host[i] = (host[i] ?? 0) + e.dur;
    launch[i] = (launch[i] ?? 0) + nodeHostLaunchUs(e, att);
  }
  const runSel = counted.map((r) => att.runs[r]).filter((r): r is RunGpu => r !== undefined);
  const med = (v: number[]): number => timeStats(v).median / 1000;
  const busy = med(runSel.map((r) => r.busyUs));
  const nodeGpu = med(gpu);
  const runLevel = med(runSel.map((r) => r.runLevelUs));
  const contribution = med(contrib);
  const hostLaunch = med(launch);
  const a = att.alignment;
  const count = (k: GpuActivityKind): number => cap.activities.filter((x) => x.kind === k).length;
  return {
    nodeGpuSumMs: nodeGpu,
    gpuBusyMs: busy,
    gpuSpanMs: med(runSel.map((r) => r.spanUs)),
    attributionRatio: busy > 0 ? nodeGpu / busy : Number.NaN,
    gpuAccountingRatio: busy > 0 ? (nodeGpu + runLevel) / busy : Number.NaN,
    gpuAccountingWithinTenPercent: busy > 0 && Math.abs((nodeGpu + runLevel) / busy - 1) <= 0.1,
    runLevelGpuMs: runLevel,
    hostSumMs: med(host),
    hostLaunchSumMs: hostLaunch,
    contributionSumMs: contribution,
    ratioWithRunLevel: endToEndMs > 0 ? (contribution + runLevel) / endToEndMs : Number.NaN,
    bound: hostLaunch > nodeGpu ? 'launch-bound' : 'gpu-bound',
    modelRunMs: med(runSel.map((r) => r.modelRunUs)),
    records: {
      kernels: count('kernel'),
      memcpys: count('memcpy'),
      memsets: count('memset'),
      launchCalls: a.launches,
      withoutLaunch: att.withoutLaunch,
      outsideRuns: att.outside.count,
      outsideRunsMs: att.outside.us / 1000,
      dropped: cap.end?.dropped ?? 0,
    },
    alignment: {
      windowFrom: a.windowFrom,
      windowUs: (a.windowNs[1] - a.windowNs[0]) / 1000,
      ...(a.runPlateauNs ? { runPlateauUs: (a.runPlateauNs[1] - a.runPlateauNs[0]) / 1000 } : {}),
      plateauUs: (a.plateauNs[1] - a.plateauNs[0]) / 1000,
      launches: a.launches,
      matchedFraction: a.launches > 0 ? a.matched / a.launches : 0,
      validFraction: a.inRuns > 0 ? a.valid / a.inRuns : 0,
      plateaus: a.plateaus,
      stride: a.stride,
      clockDriftUs: att.clock.driftNs / 1000,
      notes: a.notes,
    },
  };
}
