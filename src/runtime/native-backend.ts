/**
 * The `native` backend: sessions on the ort-node addon (ONNX Runtime's C API in this process, on the same
 * libonnxruntime.so.1 as onnxruntime-node). It applies every CUDA EP option (or fails naming it), keeps device
 * tensors on the EP's device, runs through IoBinding off the JS thread and times each call up to synchronized
 * outputs. Nothing outside src/runtime imports this file; they use src/runtime/index.ts.
 */
import { RuntimeError, UsageError } from '../errors.js';
import type {
  AddonDeviceTensor,
  AddonHostTensor,
  AddonPreparedRun,
  AddonRunOptions,
  AddonRunResult,
  AddonSession,
  AddonSessionOptions,
  Addon,
} from './native/addon.js';
import { boundDownloads } from './host-held-tensor.js';
import { cudaGraphEnabled, nativeProviderOptions, validateProviderOptions } from './native/provider-options.js';
import { diagnoseCuda } from './ort-files.js';
import type {
  BoundRunOptions,
  BoundRunResult,
  DeviceTensor,
  HostTensor,
  OutputTarget,
  PreparedRun,
  Session,
  SessionConfig,
  SessionIO,
  Tensor,
  TensorData,
} from './types.js';
import { isDeviceTensor } from './types.js';

/** A device tensor of the addon behind the runtime interface. */
class NativeDeviceTensor implements DeviceTensor {
  readonly kind = 'device' as const;
  constructor(readonly raw: AddonDeviceTensor) {}
  get type(): HostTensor['type'] {
    return this.raw.type as HostTensor['type'];
  }
  get dims(): readonly number[] {
    return this.raw.dims;
  }
  get location(): 'cpu' | 'cuda' {
    return this.raw.location;
  }
  upload(data: TensorData): void {
    this.raw.upload(data);
  }
  download(): HostTensor {
    return { type: this.type, dims: [...this.dims], data: this.raw.download() as TensorData };
  }
  release(): void {
    this.raw.release();
  }
}

function addonOptions(c: SessionConfig): AddonSessionOptions {
  const o: AddonSessionOptions = { ep: c.ep, logSeverity: c.logSeverity ?? 3 };
  // A same-machine control: CUDA sessions' calls on the libuv pool's threads again (docs/NATIVE.md).
  const rt = process.env.WB_NATIVE_RUN_THREAD;
  if (rt !== undefined && rt !== '') {
    if (rt !== 'session' && rt !== 'pool') throw new UsageError(`WB_NATIVE_RUN_THREAD=${rt}: expected session or pool`);
    o.runThread = rt;
  }
  if (c.graphOptimizationLevel) o.graphOptimizationLevel = c.graphOptimizationLevel;
  if (c.intraOpThreads) o.intraOpThreads = c.intraOpThreads;
  if (c.enableProfiling) {
    o.enableProfiling = true;
    o.profileFilePrefix = c.profileFilePrefix ?? 'ort-profile';
  }
  if (c.extra && Object.keys(c.extra).length) {
    o.config = {};
    for (const [k, v] of Object.entries(c.extra)) o.config[k.includes('.') ? k : `session.${k}`] = v;
  }
  const all = nativeProviderOptions(c);
  if (c.ep === 'cpu') {
    const first = Object.keys(c.providerOptions ?? {})[0];
    if (first !== undefined) throw new UsageError(`--provider-options: '${first}' is a CUDA EP option; the session is on the CPU EP (--ep cuda)`);
    return o;
  }
  validateProviderOptions(c.providerOptions ?? {});
  const provider: Record<string, string> = {};
  const arena: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) {
    if (k.startsWith('arena.')) arena[k.slice('arena.'.length)] = v;
    else provider[k] = v;
  }
  o.providerOptions = provider;
  if (Object.keys(arena).length) o.arena = arena;
  return o;
}

function meta(list: ReturnType<AddonSession['inputInfo']>): SessionIO[] {
  return list.map((m) => {
    const io: SessionIO = { name: m.name };
    if (m.type) io.type = m.type;
    if (m.shape) io.shape = m.shape;
    return io;
  });
}

const oneLine = (e: unknown): string => String((e as Error).message ?? e).split('\n')[0] ?? String(e);

/**
 * The session's bound run: feeds and output targets to the addon's types, the CUDA-graph rule checked, the
 * outputs back as runtime tensors. ORT captures a CUDA graph during the first run and replays it on the buffers
 * bound then: with `graph`, every input and output must be a preallocated device tensor, or replays read and
 * write memory nobody looks at.
 */
function boundRun(s: AddonSession, config: SessionConfig, outputNames: readonly string[], graph: boolean): Session['runBound'] {
  return async (feeds: Record<string, Tensor>, outputs: Record<string, OutputTarget> = {}, options: BoundRunOptions = {}) => {
    const f: Record<string, AddonHostTensor | AddonDeviceTensor> = {};
    for (const [k, v] of Object.entries(feeds)) f[k] = isDeviceTensor(v) ? rawTensor('input', k, v) : { type: v.type, dims: [...v.dims], data: v.data };
    const o: Record<string, 'host' | 'device' | AddonDeviceTensor> = {};
    const targets = Object.keys(outputs).length ? outputs : Object.fromEntries(outputNames.map((n) => [n, 'host' as const]));
    for (const [k, v] of Object.entries(targets)) o[k] = isDeviceTensor(v) ? rawTensor('output', k, v) : v;
    if (graph) {
      const loose = [...Object.entries(feeds).filter(([, v]) => !isDeviceTensor(v)), ...Object.entries(targets).filter(([, v]) => !isDeviceTensor(v))].map(
        ([k]) => k,
      );
      if (loose.length)
        throw new UsageError(
          `enable_cuda_graph: '${loose[0]}' is not a preallocated device tensor; with CUDA graph capture every input and output must be one (Session.allocate), bound from the first run on`,
        );
    }
    const download = boundDownloads(targets, options.download);
    const r = await addonRun(config, () => s.run(f, o, addonRunOptions(options)));
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(r.outputs)) {
      const target = targets[k];
      if (isDeviceTensor(target as Tensor)) out[k] = target as DeviceTensor;
      else if (target === 'device') out[k] = new NativeDeviceTensor(v as AddonDeviceTensor);
      else {
        const h = v as AddonHostTensor;
        out[k] = { type: h.type as HostTensor['type'], dims: h.dims, data: h.data as TensorData };
      }
    }
    return withDownloads(config.ep, { outputs: out, ms: r.ms }, r, download);
  };
}

/** The addon's tensor behind a device tensor of this backend, or a UsageError naming the input or output. */
function rawTensor(side: 'input' | 'output', name: string, t: DeviceTensor): AddonDeviceTensor {
  if (!(t instanceof NativeDeviceTensor)) throw new UsageError(`${side} '${name}': a device tensor of another backend`);
  return t.raw;
}

/** An addon call's failure ('run', 'prepare') as one RuntimeError line naming the call. */
function addonError(config: SessionConfig, what: string, e: unknown): RuntimeError {
  return new RuntimeError(config.ep, `${what} failed (native): ${oneLine(e)}`, { cause: e });
}

/** An addon run, its failure as one RuntimeError line. */
async function addonRun(config: SessionConfig, run: () => Promise<AddonRunResult>): Promise<AddonRunResult> {
  try {
    return await run();
  } catch (e) {
    throw addonError(config, 'run', e);
  }
}

function addonRunOptions(options: BoundRunOptions): AddonRunOptions {
  const ro: AddonRunOptions = {};
  if (options.inline ?? process.env.WB_NATIVE_RUN === 'inline') ro.inline = true;
  if (options.gpuGraphId !== undefined) ro.gpuGraphId = options.gpuGraphId;
  if (options.config) ro.config = options.config;
  if (options.download?.length) ro.download = [...options.download];
  return ro;
}

/** The addon's downloaded bytes as host tensors, typed and shaped as the bound tensors they came from. */
function withDownloads(ep: SessionConfig['ep'], result: BoundRunResult, r: AddonRunResult, download: [string, DeviceTensor][]): BoundRunResult {
  if (!download.length) return result;
  const downloads: Record<string, HostTensor> = {};
  for (const [name, t] of download) {
    const data = r.downloads?.[name];
    if (!data) throw new RuntimeError(ep, `run (native): the addon returned no download of '${name}'`);
    downloads[name] = { type: t.type, dims: [...t.dims], data: data as TensorData };
  }
  return { ...result, downloads };
}

/** Session.prepare on the addon: the tensors bound once, each run replaying the binding. */
function preparedRun(s: AddonSession, config: SessionConfig, feeds: Record<string, DeviceTensor>, outputs: Record<string, DeviceTensor>): PreparedRun {
  const raw = (side: 'input' | 'output', m: Record<string, DeviceTensor>): Record<string, AddonDeviceTensor> =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, rawTensor(side, k, v)]));
  let p: AddonPreparedRun;
  try {
    p = s.prepare(raw('input', feeds), raw('output', outputs));
  } catch (e) {
    throw addonError(config, 'prepare', e);
  }
  return {
    async run(options: BoundRunOptions = {}) {
      const download = boundDownloads(outputs, options.download);
      const r = await addonRun(config, () => p.run(addonRunOptions(options)));
      return withDownloads(config.ep, { outputs: { ...outputs }, ms: r.ms }, r, download);
    },
    release() {
      p.release();
    },
  };
}

export async function createNativeSession(addon: Addon, model: string | Uint8Array, config: SessionConfig): Promise<Session> {
  if (config.ep === 'cuda') {
    const why = diagnoseCuda();
    if (why) throw new RuntimeError('cuda', why);
  }
  const opts = addonOptions(config);
  let s: AddonSession;
  try {
    s = new addon.Session(model, opts);
  } catch (e) {
    const where = typeof model === 'string' ? model : 'model bytes';
    const msg = oneLine(e);
    if (/provider option|arena option/.test(msg)) throw new UsageError(`${where}: ${msg}`, { cause: e });
    throw new RuntimeError(config.ep, `${where}: ONNX Runtime (native) could not load the model: ${msg}`, { cause: e });
  }
  const inputMetadata = meta(s.inputInfo());
  const outputMetadata = meta(s.outputInfo());
  const outputNames = outputMetadata.map((m) => m.name);
  const runBound = boundRun(s, config, outputNames, cudaGraphEnabled(config));

  return {
    backend: 'native',
    inputNames: inputMetadata.map((m) => m.name),
    outputNames,
    config,
    inputMetadata,
    outputMetadata,
    async run(feeds, fetches) {
      const targets: Record<string, OutputTarget> = {};
      for (const n of fetches ?? outputNames) targets[n] = 'host';
      const r = await runBound(feeds, targets);
      return r.outputs as Record<string, HostTensor>;
    },
    runBound,
    prepare: (feeds, outputs) => preparedRun(s, config, feeds, outputs),
    allocate(type, dims) {
      try {
        return new NativeDeviceTensor(s.allocate(type, dims));
      } catch (e) {
        throw addonError(config, `allocate ${type}[${dims.join(',')}]`, e);
      }
    },
    endProfiling() {
      if (!config.enableProfiling) return undefined;
      return s.endProfiling();
    },
    async release() {
      s.release();
    },
  };
}

/** The provider options ORT holds for a CUDA session (GetCUDAProviderOptionsAsString), for the record. */
export type { AddonSession };
