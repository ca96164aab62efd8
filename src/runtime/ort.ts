/**
 * The only module that imports onnxruntime-node. It maps the workbench's session options to ORT's,
 * owns execution-provider selection (and the clear error when CUDA is not usable), and converts tensors.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { RuntimeError, UsageError } from '../errors.js';

export type ExecutionProvider = 'cpu' | 'cuda';
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'cuda'];

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Session options the workbench varies; a profile records exactly what was used. */
export interface SessionConfig {
  ep: ExecutionProvider;
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

export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly config: SessionConfig;
  readonly inputMetadata: SessionIO[];
  readonly outputMetadata: SessionIO[];
  run(feeds: Record<string, HostTensor>, fetches?: readonly string[]): Promise<Record<string, HostTensor>>;
  /** Ends profiling and returns the trace file ORT wrote (or undefined when profiling was off). */
  endProfiling(): string | undefined;
  release(): Promise<void>;
}

function sessionOptions(c: SessionConfig): ort.InferenceSession.SessionOptions {
  const o: ort.InferenceSession.SessionOptions = {};
  if (c.ep === 'cuda') {
    const cuda: Record<string, unknown> = { name: 'cuda', deviceId: c.deviceId ?? 0 };
    if (c.cudnnConvAlgoSearch) cuda.cudnn_conv_algo_search = c.cudnnConvAlgoSearch;
    if (c.useTf32 !== undefined) cuda.use_tf32 = c.useTf32 ? '1' : '0';
    if (c.cudaGraph) cuda.enable_cuda_graph = '1';
    if (c.preferNhwc) cuda.prefer_nhwc = '1';
    o.executionProviders = [cuda as unknown as ort.InferenceSession.ExecutionProviderConfig];
  } else o.executionProviders = ['cpu'];
  if (c.graphOptimizationLevel) o.graphOptimizationLevel = c.graphOptimizationLevel;
  if (c.intraOpThreads) o.intraOpNumThreads = c.intraOpThreads;
  if (c.enableProfiling) {
    o.enableProfiling = true;
    o.profileFilePrefix = c.profileFilePrefix ?? 'ort-profile';
  }
  o.logSeverityLevel = c.logSeverity ?? 3;
  if (c.extra && Object.keys(c.extra).length) (o as { extra?: unknown }).extra = { session: { ...c.extra } };
  return o;
}

const TYPE_MAP: Record<string, HostTensor['type']> = {
  float32: 'float32', float16: 'float16', int32: 'int32', int64: 'int64', uint8: 'uint8', int8: 'int8', bool: 'bool', float64: 'float64',
};

function toOrt(t: HostTensor): ort.Tensor {
  return new ort.Tensor(t.type, t.data as never, t.dims);
}

function fromOrt(t: ort.Tensor): HostTensor {
  const type = TYPE_MAP[t.type];
  if (!type) throw new RuntimeError('onnxruntime', `unsupported output tensor type '${t.type}'`);
  return { type, dims: [...t.dims], data: t.data as TensorData };
}

/** Where onnxruntime-node's native binding lives (the CUDA provider .so files go next to it). */
export function ortBindingDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

/** Why CUDA cannot be used here, or undefined when the provider files and a GPU are present. */
export function diagnoseCuda(): string | undefined {
  const dir = ortBindingDir();
  if (!existsSync(join(dir, 'libonnxruntime_providers_cuda.so')))
    return `the CUDA execution provider is not installed (no libonnxruntime_providers_cuda.so in ${dir}); run 'workbench setup-cuda'`;
  if (!existsSync('/dev/nvidiactl') && !existsSync('/proc/driver/nvidia/version'))
    return 'no NVIDIA GPU or driver on this machine (no /dev/nvidiactl)';
  return undefined;
}

export function onnxruntimeVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}

/** Creates a session from a model file (external data resolves next to it) or from bytes. */
export async function createSession(model: string | Uint8Array, config: SessionConfig): Promise<Session> {
  if (!['cpu', 'cuda'].includes(config.ep)) throw new UsageError(`unknown execution provider '${config.ep}'. Should be one of: cpu, cuda.`);
  if (config.ep === 'cuda') {
    const why = diagnoseCuda();
    if (why) throw new RuntimeError('cuda', why);
  }
  let s: ort.InferenceSession;
  try {
    s = typeof model === 'string'
      ? await ort.InferenceSession.create(model, sessionOptions(config))
      : await ort.InferenceSession.create(model, sessionOptions(config));
  } catch (e) {
    const where = typeof model === 'string' ? model : 'model bytes';
    const msg = (e as Error).message.split('\n')[0] ?? String(e);
    throw new RuntimeError(config.ep, `${where}: ONNX Runtime could not load the model: ${msg}`, { cause: e });
  }
  const meta = (list: readonly ort.InferenceSession.ValueMetadata[] | undefined, names: readonly string[]): SessionIO[] =>
    names.map((name, i) => {
      const m = list?.[i] as { isTensor?: boolean; type?: string; shape?: (number | string)[] } | undefined;
      const io: SessionIO = { name };
      if (m?.type) io.type = m.type;
      if (m?.shape) io.shape = m.shape;
      return io;
    });
  const sAny = s as unknown as { inputMetadata?: readonly ort.InferenceSession.ValueMetadata[]; outputMetadata?: readonly ort.InferenceSession.ValueMetadata[] };
  return {
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    config,
    inputMetadata: meta(sAny.inputMetadata, s.inputNames),
    outputMetadata: meta(sAny.outputMetadata, s.outputNames),
    async run(feeds, fetches) {
      const f: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(feeds)) f[k] = toOrt(v);
      let out: ort.InferenceSession.ReturnType;
      try {
        out = fetches ? await s.run(f, fetches as string[]) : await s.run(f);
      } catch (e) {
        throw new RuntimeError(config.ep, `run failed: ${(e as Error).message.split('\n')[0]}`, { cause: e });
      }
      const r: Record<string, HostTensor> = {};
      for (const [k, v] of Object.entries(out)) r[k] = fromOrt(v);
      return r;
    },
    endProfiling() {
      if (!config.enableProfiling) return undefined;
      const file = (s as unknown as { endProfiling(): string | undefined }).endProfiling();
      return typeof file === 'string' ? file : undefined;
    },
    async release() {
      await s.release();
    },
  };
}
