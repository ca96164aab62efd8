/**
 * The only module that imports onnxruntime-node. It maps the workbench's session options to ORT's,
 * owns execution-provider selection (and the clear error when CUDA is not usable), and converts tensors.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
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
  // The binding joins nested keys with '.', so full config keys ('session.x', 'optimization.y') pass flat;
  // a bare key is taken as a 'session.' entry.
  if (c.extra && Object.keys(c.extra).length) {
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.extra)) extra[k.includes('.') ? k : `session.${k}`] = v;
    (o as { extra?: unknown }).extra = extra;
  }
  return o;
}

/** How one requested session option reaches ONNX Runtime through onnxruntime-node 1.29. */
export interface AppliedSessionOption {
  key: string;
  value: string;
  /** 'yes': set through the binding; 'env': through an environment variable of the process; 'no': the binding cannot pass it. */
  applied: 'yes' | 'env' | 'no';
  how: string;
}

/**
 * What each option of `c` does in onnxruntime-node 1.29. Its binding (js/node/src/session_options_helper.cc)
 * reads only `deviceId` from a CUDA provider entry: cudnn_conv_algo_search, prefer_nhwc and enable_cuda_graph
 * cannot be set from Node (the strings are not even in onnxruntime_binding.node). TF32 can be switched off for
 * the whole process with NVIDIA_TF32_OVERRIDE=0 (honoured by cuBLAS and cuDNN), see {@link cudaEnvFor}.
 * IO binding: `preferredOutputLocation: 'gpu-buffer'` binds outputs to WebGPU buffers only, so CUDA outputs
 * always come back to the host and end-to-end times include the device-to-host copies.
 */
export function describeSessionConfig(c: SessionConfig, env: NodeJS.ProcessEnv = process.env): AppliedSessionOption[] {
  const r: AppliedSessionOption[] = [];
  const no = 'onnxruntime-node 1.29 forwards only deviceId to the CUDA provider; recorded, not applied';
  r.push({ key: 'ep', value: c.ep, applied: 'yes', how: 'executionProviders' });
  r.push({ key: 'graph_optimization_level', value: c.graphOptimizationLevel ?? 'all (ORT default)', applied: 'yes', how: 'graphOptimizationLevel' });
  if (c.ep === 'cpu' && c.intraOpThreads) r.push({ key: 'intra_op_num_threads', value: String(c.intraOpThreads), applied: 'yes', how: 'intraOpNumThreads' });
  if (c.ep === 'cuda') {
    r.push({ key: 'device_id', value: String(c.deviceId ?? 0), applied: 'yes', how: 'executionProviders[0].deviceId' });
    if (c.cudnnConvAlgoSearch) r.push({ key: 'cudnn_conv_algo_search', value: c.cudnnConvAlgoSearch, applied: 'no', how: no });
    if (c.useTf32 !== undefined) {
      const off = env.NVIDIA_TF32_OVERRIDE === '0';
      if (c.useTf32) r.push({ key: 'use_tf32', value: '1', applied: off ? 'no' : 'yes', how: off ? 'NVIDIA_TF32_OVERRIDE=0 is set in this process and wins' : 'ORT default (TF32 allowed)' });
      else r.push({ key: 'use_tf32', value: '0', applied: off ? 'env' : 'no', how: off ? 'NVIDIA_TF32_OVERRIDE=0 (cuBLAS/cuDNN)' : 'needs NVIDIA_TF32_OVERRIDE=0 before CUDA loads; not set in this process' });
    }
    if (c.cudaGraph) r.push({ key: 'enable_cuda_graph', value: '1', applied: 'no', how: no });
    if (c.preferNhwc) r.push({ key: 'prefer_nhwc', value: '1', applied: 'no', how: no });
  }
  for (const [k, v] of Object.entries(c.extra ?? {})) r.push({ key: k.includes('.') ? k : `session.${k}`, value: v, applied: 'yes', how: 'session config entry (extra)' });
  if (c.enableProfiling) r.push({ key: 'enable_profiling', value: '1', applied: 'yes', how: `profileFilePrefix=${c.profileFilePrefix ?? 'ort-profile'}` });
  return r;
}

/** Environment a fresh process needs (before CUDA loads) so that `c` takes effect: TF32 off → NVIDIA_TF32_OVERRIDE=0. */
export function cudaEnvFor(c: SessionConfig): Record<string, string> {
  return c.ep === 'cuda' && c.useTf32 === false ? { NVIDIA_TF32_OVERRIDE: '0' } : {};
}

/**
 * The trace file ORT wrote for `prefix` (`<prefix>_<date>_<time>.json`, relative prefixes resolve against the
 * working directory): the newest one modified at or after `sinceMs`. onnxruntime-node's endProfiling returns
 * nothing, so the file is found on disk.
 */
export function findProfileFile(prefix: string, sinceMs = 0): string | undefined {
  const full = resolve(prefix);
  const dir = dirname(full);
  const base = `${basename(full)}_`;
  let best: { file: string; mtime: number } | undefined;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const n of names) {
    if (!n.startsWith(base) || !n.endsWith('.json')) continue;
    const file = join(dir, n);
    const mtime = statSync(file).mtimeMs;
    if (mtime + 1000 < sinceMs) continue;
    if (!best || mtime > best.mtime) best = { file, mtime };
  }
  return best?.file;
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

/** Sessions created and not yet released in this process (leak checks: every path must release what it made). */
let openSessions = 0;
export function openSessionCount(): number {
  return openSessions;
}

/** Creates a session from a model file (external data resolves next to it) or from bytes. */
export async function createSession(model: string | Uint8Array, config: SessionConfig): Promise<Session> {
  if (!['cpu', 'cuda'].includes(config.ep)) throw new UsageError(`unknown execution provider '${config.ep}'. Should be one of: cpu, cuda.`);
  if (config.ep === 'cuda') {
    const why = diagnoseCuda();
    if (why) throw new RuntimeError('cuda', why);
  }
  let s: ort.InferenceSession;
  const createdAt = Date.now();
  try {
    s = typeof model === 'string'
      ? await ort.InferenceSession.create(model, sessionOptions(config))
      : await ort.InferenceSession.create(model, sessionOptions(config));
  } catch (e) {
    const where = typeof model === 'string' ? model : 'model bytes';
    const msg = (e as Error).message.split('\n')[0] ?? String(e);
    throw new RuntimeError(config.ep, `${where}: ONNX Runtime could not load the model: ${msg}`, { cause: e });
  }
  openSessions++;
  let released = false;
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
      const file = (s as unknown as { endProfiling(): unknown }).endProfiling();
      return typeof file === 'string' ? file : findProfileFile(config.profileFilePrefix ?? 'ort-profile', createdAt);
    },
    async release() {
      if (released) return;
      released = true;
      openSessions--;
      await s.release();
    },
  };
}
