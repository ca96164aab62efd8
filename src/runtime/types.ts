/**
 * The runtime interface's types: one session and tensor abstraction that both backends implement
 * (`node` = onnxruntime-node, `native` = the ort-node addon over ONNX Runtime's C API).
 */

export type ExecutionProvider = 'cpu' | 'cuda';
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'cuda'];

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Session options the workbench varies; a profile records exactly what was used. */
export type Backend = 'node' | 'native' | 'auto';
export type ResolvedBackend = 'node' | 'native';
export const BACKENDS: readonly Backend[] = ['node', 'native', 'auto'];

export interface SessionConfig {
  ep: ExecutionProvider;
  /** Which binding runs it: onnxruntime-node, the native addon, or native where it is built (default 'node'). */
  backend?: Backend;
  /**
   * CUDA EP provider options as ONNX Runtime names them (key=value, e.g. prefer_nhwc=1); `arena.<key>` sets
   * the default memory arena. The native backend applies each or fails naming it; the node backend cannot
   * pass them and refuses.
   */
  providerOptions?: Record<string, string>;
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** cuDNN conv algorithm search: EXHAUSTIVE (ORT default), HEURISTIC or DEFAULT. */
  cudnnConvAlgoSearch?: 'EXHAUSTIVE' | 'HEURISTIC' | 'DEFAULT';
  /** Allow TF32 on the CUDA EP (use_tf32; ORT's default is on). */
  useTf32?: boolean;
  /** CUDA graph capture (enable_cuda_graph). */
  cudaGraph?: boolean;
  /** Prefer NHWC layouts on CUDA (prefer_nhwc). */
  preferNhwc?: boolean;
  /** Intra-op threads on the CPU EP (0 = ORT's default). */
  intraOpThreads?: number;
  enableProfiling?: boolean;
  profileFilePrefix?: string;
  /** Free-form extra session config entries (key=value). */
  extra?: Record<string, string>;
  deviceId?: number;
  logSeverity?: 0 | 1 | 2 | 3 | 4;
}

export type TensorData = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Float64Array;

export interface HostTensor {
  type: 'float32' | 'float16' | 'int32' | 'int64' | 'uint8' | 'int8' | 'bool' | 'float64';
  dims: readonly number[];
  data: TensorData;
}

export interface SessionIO {
  name: string;
  type?: string;
  shape?: (number | string)[];
}

/** A tensor that lives where its session's EP computes (CUDA memory on the native backend's CUDA EP). */
export interface DeviceTensor {
  readonly kind: 'device';
  readonly type: HostTensor['type'];
  readonly dims: readonly number[];
  /** Where the bytes are: 'cuda' (device memory) or 'cpu' (host memory: CPU EP, or the node backend). */
  readonly location: 'cpu' | 'cuda';
  /** Copies host data in (same byte length). */
  upload(data: TensorData): void;
  /** Copies the tensor out to the host. */
  download(): HostTensor;
  /** Frees it now (a GC finalizer does it later otherwise). */
  release(): void;
}

export type Tensor = HostTensor | DeviceTensor;

/** Where a bound run puts an output: back to the host, left on the device (allocated by ORT), or into this tensor. */
export type OutputTarget = 'host' | 'device' | DeviceTensor;

export interface BoundRunOptions {
  /** CUDA graph to capture (first run) or replay: the `gpu_graph_id` run option (needs enable_cuda_graph). */
  gpuGraphId?: number;
  /** Run config entries (key=value). */
  config?: Record<string, string>;
  /**
   * Native backend: run on the JS thread instead of the thread pool (no hand-off latency; blocks the event
   * loop for the call, so no overlap with other work). Default: off, or on where WB_NATIVE_RUN=inline.
   */
  inline?: boolean;
  /**
   * Outputs bound to device tensors to copy to the host as part of the run (`BoundRunResult.downloads`). The
   * native backend copies them on the run's own thread through a pinned staging buffer, so the JS thread makes
   * no synchronous copy afterwards; the node backend downloads them after the run.
   */
  download?: readonly string[];
}

export interface BoundRunResult {
  outputs: Record<string, Tensor>;
  /** Time of the call: on the native backend from binding to synchronized outputs (covers the GPU work). */
  ms: number;
  /** The outputs named by `BoundRunOptions.download`, on the host. */
  downloads?: Record<string, HostTensor>;
}

/**
 * A bound run whose device tensors are bound once (Session.prepare) and run again and again: the native
 * backend keeps one IoBinding, so a call no longer hands every tensor over (the static-KV GPT step binds 122).
 * One run at a time; the tensors must outlive it.
 */
export interface PreparedRun {
  run(options?: BoundRunOptions): Promise<BoundRunResult>;
  release(): void;
}

/** A tensor on the host: a host tensor as it is, a device tensor downloaded. */
export function toHost(t: Tensor): HostTensor {
  return isDeviceTensor(t) ? t.download() : t;
}

export function isDeviceTensor(t: Tensor | OutputTarget): t is DeviceTensor {
  return typeof t === 'object' && (t as DeviceTensor).kind === 'device';
}

export interface Session {
  /** The backend that serves this session (after any fallback). */
  readonly backend: ResolvedBackend;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly config: SessionConfig;
  readonly inputMetadata: SessionIO[];
  readonly outputMetadata: SessionIO[];
  run(feeds: Record<string, HostTensor>, fetches?: readonly string[]): Promise<Record<string, HostTensor>>;
  /**
   * A run through IoBinding: inputs may be device tensors, each output goes where `outputs` says (every
   * model output when `outputs` is empty: to the host). On the node backend device tensors are host-held.
   */
  runBound(feeds: Record<string, Tensor>, outputs?: Record<string, OutputTarget>, options?: BoundRunOptions): Promise<BoundRunResult>;
  /** A run with these device tensors bound once (see PreparedRun). */
  prepare(feeds: Record<string, DeviceTensor>, outputs: Record<string, DeviceTensor>): PreparedRun;
  /** A tensor on the session's device (zeros on the host-held kinds; uninitialised CUDA memory otherwise). */
  allocate(type: HostTensor['type'], dims: readonly number[]): DeviceTensor;
  /** Ends profiling and returns the trace file ORT wrote (or undefined when profiling was off). */
  endProfiling(): string | undefined;
  release(): Promise<void>;
}
