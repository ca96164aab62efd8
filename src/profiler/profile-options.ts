/** The options of `workbench profile` and the per-role target and GPU-time plan derived from them. */
import type { RoleSpec } from '../models/manifest.js';
import type { Backend, ExecutionProvider } from '../runtime/index.js';
import type { RoleProviderOptions } from '../runner/pipeline-settings.js';
import type { InputOverrides } from './inputs.js';
import type { CostFn } from './node-costs.js';
import type { WorkerLaunch } from './worker.js';

export interface ProfileOptions {
  /** A model file or a manifest (.json). */
  target: string;
  ep?: ExecutionProvider;
  /** Counted runs (default 20). */
  runs?: number;
  /** Warm-up runs, excluded from every statistic (default 5 on CUDA: cuDNN autotuning; 3 on the CPU). */
  warmup?: number;
  inputs?: InputOverrides;
  /** `key=value` session options. */
  sessionOptions?: readonly string[];
  /** Runtime backend of the sessions (default node). */
  backend?: Backend;
  /** CUDA EP provider options per role ('*' = all; a single model is role '*'). */
  providerOptions?: RoleProviderOptions;
  seed?: number;
  /** Manifest roles to profile (default all). */
  roles?: readonly string[];
  /** Run passes in child processes: 'auto' = on CUDA only. */
  childProcess?: 'auto' | 'always' | 'never';
  launch?: WorkerLaunch;
  costOf?: CostFn;
  /** Device peaks to use instead of the detected GPU (an id of DEVICE_PEAKS). */
  device?: string;
  /** Copy each role's ORT trace here (`<role>.trace.json`, and `<role>.cupti.jsonl` under cupti). */
  keepTraceDir?: string;
  /** CUDA EP: how to get GPU time per node (default 'auto': cupti when the injection library is found). */
  gpuTime?: GpuTimeMode;
  /** The CUPTI injection library (default: $WB_CUPTI_LIB, else native/cupti-trace/libcupti_trace.so). */
  cuptiLibrary?: string;
  log?: (line: string) => void;
}

export type GpuTimeMode = 'auto' | 'cupti' | 'sync-launch';

/** The GPU-time method a profile on CUDA will use: the library for cupti, or why it falls back. */
export interface GpuTimePlan {
  requested: GpuTimeMode;
  library?: string;
  fallback?: string;
}

/** One model to profile: a manifest role (with its spec) or a lone model (role 'model'). */
export interface RoleTarget {
  role: string;
  modelPath: string;
  spec?: RoleSpec;
}
