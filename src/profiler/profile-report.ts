/**
 * The typed data of profile.json. Renderers (console, HTML) and the projection to other GPUs read only this.
 * Times are in milliseconds, sizes in bytes, rates per second.
 */
import type { AppliedSessionOption, SessionConfig } from '../runtime/index.js';
import type { CuptiCoverage } from './cupti/coverage.js';
import type { DevicePeaks } from '../core/devices.js';
import type { FlagTotals, NodeFlag } from './flags.js';
import type { GpuMemoryReport } from '../core/gpu-memory.js';
import type { InputFill } from './inputs.js';
import type { HostMemory } from './passes.js';
import type { RooflinePoint } from './roofline.js';
import type { TimeStats } from '../core/stats.js';

export const PROFILE_SCHEMA_VERSION = 1;

/**
 * How per-node times were measured:
 * - 'host': CPU EP, the node's `_kernel_time` is its real compute time;
 * - 'sync-launch': CUDA EP, node pass in a child with CUDA_LAUNCH_BLOCKING=1 so each node's host-measured time
 *   covers its kernels (adds launch latency per kernel; no overlap between nodes);
 * - 'cupti': CUDA EP, GPU time per node from CUPTI: the sum of the durations of the kernels, copies and memsets
 *   each node launched, from the injection library native/cupti-trace (no launch blocking; see profiler/cupti/), or
 *   from ORT's own `Kernel` trace events in builds with CUPTI.
 */
export type NodeTimeMethod = 'host' | 'sync-launch' | 'cupti';

export interface MethodInfo {
  nodeTime: NodeTimeMethod;
  description: string;
  warmupRuns: number;
  countedRuns: number;
  /** Whether the node pass ran with CUDA_LAUNCH_BLOCKING=1. */
  launchBlocking: boolean;
  /** Whether the passes ran in child processes. */
  childProcess: boolean;
  /** 'model_run' events delimited runs, or repeated executions did. */
  runsFrom: 'model_run' | 'occurrence';
  /** `--gpu-time` as asked (CUDA EP). */
  requestedGpuTime?: 'auto' | 'cupti' | 'sync-launch';
  /** Under 'cupti': where the kernel times came from. */
  gpuTimeSource?: 'cupti-injection' | 'ort-kernel-events';
  /** The injection library used (absolute path). */
  cuptiLibrary?: string;
  /** Why 'cupti' was not used although it was possible or asked for with auto. */
  fallback?: string;
}

export interface DeviceInfo {
  kind: 'gpu' | 'cpu';
  name: string;
  /** How the name was found: nvidia-smi, os.cpus(), or --device. */
  detectedBy: string;
  memoryBytes?: number;
  /** The peaks used for the roofline; absent for the CPU or an unknown GPU. */
  peaks?: Omit<DevicePeaks, 'match'>;
  /** Whether fp32 matrix ops were taken to run on TF32 tensor cores. */
  tf32: boolean;
}

export interface InputInfo {
  name: string;
  type: string;
  dims: number[];
  fill: InputFill;
  note?: string;
}

/** A node's roofline position as profile.json stores it (the point without the derived ridge and roof). */
export type RooflineInfo = Omit<RooflinePoint, 'ridge' | 'attainableFlops'>;

/** One node: everything projection needs (op, provider, shapes, FLOPs, bytes, median time, bound). */
export interface NodeRow {
  name: string;
  opType: string;
  provider: string;
  nodeIndex?: number;
  inputShapes: ({ type: string; dims: number[] } | null)[];
  outputShapes: ({ type: string; dims: number[] } | null)[];
  /** Sizes from the trace. */
  activationBytes: number;
  parameterBytes: number;
  outputBytes: number;
  time: TimeStats;
  /** median over the per-node sum. */
  share: number;
  executionsPerRun: number;
  macs: number;
  flops: number;
  bytesRead: number;
  bytesWritten: number;
  /** 'graph' when matched to the model's node; 'trace-only' when ORT renamed/fused it. */
  costSource: 'graph' | 'trace-only';
  fused: boolean;
  costNote?: string;
  roofline: RooflineInfo | null;
  flags: NodeFlag[];
  /** Trace `mem_*` fields of the node (allocator of its provider), when present. */
  memory?: Record<string, number>;
  kernelsPerRun?: number;
  /** Under 'cupti' (injection): the node's host `_kernel_time` in the same (unblocked) pass. */
  hostTime?: TimeStats;
  /** Under 'cupti' (injection): per run max(host launch time, GPU time); their sum is coverage.perNodeSumMs. */
  contribution?: TimeStats;
  /** Under 'cupti' (injection): copies and memsets per run, and the largest kernels (count and ms per run). */
  copiesPerRun?: number;
  gpuKernels?: { name: string; perRun: number; ms: number }[];
}

export interface OpTypeRow {
  opType: string;
  providers: string[];
  nodes: number;
  time: TimeStats;
  share: number;
  flops: number;
  bytes: number;
  achievedFlops: number | null;
}

export interface RoleProfile {
  role: string;
  model: string;
  session: { config: SessionConfig; applied: AppliedSessionOption[] };
  inputs: InputInfo[];
  method: MethodInfo;
  /** Unprofiled `run()` wall time per call, host to host, after warm-up. */
  endToEnd: { description: string; warmup: number; time: TimeStats; sessionCreateMs: number };
  /** `model_run` of the profiled pass (counted runs) and its wall times. */
  profiledRun: { modelRun: TimeStats; wall: TimeStats };
  coverage: {
    /** Median over counted runs of the sum of all node times. */
    perNodeSumMs: number;
    endToEndMs: number;
    /**
     * 'end-to-end' (GPU methods): perNodeSumMs / endToEndMs. 'model_run' (CPU): median over the profiled runs of
     * Σ node time / that run's model_run (≤ 1); NaN when node events overlapped (no ratio holds then).
     */
    ratio: number;
    /** What the ratio compares with (older files: 'end-to-end'). */
    against?: 'model_run' | 'end-to-end';
    /** 'model_run': the median model_run of the profiled runs (ms). */
    modelRunMs?: number;
    /** |ratio − 1| ≤ 0.1. */
    withinTenPercent: boolean;
    note: string;
    /** What perNodeSumMs sums: node times, or (cupti) per-node max(host launch, GPU). */
    sumOf?: 'node-time' | 'contribution';
    /** 'cupti' (injection): GPU busy time, attribution and alignment details. */
    cupti?: CuptiCoverage;
  };
  nodes: NodeRow[];
  /**
   * Present when `nodes` was cut down after profiling (committed profiles keep the slowest nodes only):
   * `kept` rows listed of the role's `of` nodes. `opTypes`, `coverage` and `totals` still cover all nodes.
   */
  nodesTrimmed?: { kept: number; of: number; order: string };
  opTypes: OpTypeRow[];
  flags: FlagTotals;
  memory: {
    device: { peakBytes: number | null; source: 'trace' | 'nvidia-smi' | 'unavailable'; traceArenaPeakBytes?: number; nvidiaSmi?: GpuMemoryReport };
    /** cpuArenaPeakBytes: on the CPU, the peak of ORT's CPU arena from the trace's mem_* fields (host memory). */
    host: { endToEnd: HostMemory; nodes: HostMemory; cpuArenaPeakBytes?: number };
  };
  trace: { events: number; kernelEvents: boolean; indexFormat: string; file?: string; possiblyTruncated: boolean };
  totals: { flops: number; bytes: number; params: number };
  warnings: string[];
}

export interface ProfileReport {
  schemaVersion: typeof PROFILE_SCHEMA_VERSION;
  tool: 'workbench profile';
  createdAt: string;
  target: string;
  targetKind: 'model' | 'manifest';
  onnxruntime: string;
  node: string;
  platform: string;
  requestedEp: 'cpu' | 'cuda';
  device: DeviceInfo;
  roles: RoleProfile[];
  notes: string[];
}
