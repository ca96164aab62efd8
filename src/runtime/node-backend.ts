/**
 * The `node` backend: the only module that imports onnxruntime-node. It maps the workbench's session options
 * to the binding's, owns the clear error when CUDA is not usable, and converts tensors. Host tensors only:
 * its "device tensors" are host-held (see HostHeldTensor), so callers written for device IO run unchanged.
 * Nothing outside src/runtime imports this file; they use src/runtime/index.ts.
 */
import * as ort from 'onnxruntime-node';
import { RuntimeError, UsageError } from '../errors.js';
import { diagnoseCuda, findProfileFile } from './ort-files.js';
import { HostHeldTensor, bindWithHostRuns, preparedFromRunBound } from './host-held-tensor.js';
import type { HostTensor, Session, SessionConfig, SessionIO, TensorData } from './types.js';

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

const TYPE_MAP: Record<string, HostTensor['type']> = {
  float32: 'float32',
  float16: 'float16',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  int8: 'int8',
  bool: 'bool',
  float64: 'float64',
};

function toOrt(t: HostTensor): ort.Tensor {
  return new ort.Tensor(t.type, t.data as never, t.dims);
}

function fromOrt(t: ort.Tensor): HostTensor {
  const type = TYPE_MAP[t.type];
  if (!type) throw new RuntimeError('onnxruntime', `unsupported output tensor type '${t.type}'`);
  return { type, dims: [...t.dims], data: t.data as TensorData };
}

/** Creates a session from a model file (external data resolves next to it) or from bytes. */
export async function createNodeSession(model: string | Uint8Array, config: SessionConfig): Promise<Session> {
  if (!['cpu', 'cuda'].includes(config.ep)) throw new UsageError(`unknown execution provider '${config.ep}'. Should be one of: cpu, cuda.`);
  if (config.ep === 'cuda') {
    const why = diagnoseCuda();
    if (why) throw new RuntimeError('cuda', why);
  }
  let s: ort.InferenceSession;
  const createdAt = Date.now();
  try {
    s =
      typeof model === 'string'
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
  const sAny = s as unknown as {
    inputMetadata?: readonly ort.InferenceSession.ValueMetadata[];
    outputMetadata?: readonly ort.InferenceSession.ValueMetadata[];
  };
  const run = async (feeds: Record<string, HostTensor>, fetches?: readonly string[]): Promise<Record<string, HostTensor>> => {
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
  };
  const runBound: Session['runBound'] = (feeds, outputs, options) => bindWithHostRuns(run, feeds, outputs, options);
  return {
    backend: 'node',
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    config,
    inputMetadata: meta(sAny.inputMetadata, s.inputNames),
    outputMetadata: meta(sAny.outputMetadata, s.outputNames),
    run,
    runBound,
    prepare: (feeds, outputs) => preparedFromRunBound(runBound, feeds, outputs),
    allocate: (type, dims) => HostHeldTensor.zeros(type, dims),
    endProfiling() {
      if (!config.enableProfiling) return undefined;
      const file = (s as unknown as { endProfiling(): unknown }).endProfiling();
      return typeof file === 'string' ? file : findProfileFile(config.profileFilePrefix ?? 'ort-profile', createdAt);
    },
    async release() {
      await s.release();
    },
  };
}
