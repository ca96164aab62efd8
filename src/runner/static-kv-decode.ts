/**
 * The GPT decode loop over a `gpt_decode` rewritten by the static-kv pass (input `cache_position`): the KV
 * cache lives in two fixed sets of [1, H, C, D] buffers for the whole utterance — one call reads set A as
 * past and writes set B as present, the next reads B and writes A — so on the native backend the cache never
 * leaves the device, and every buffer a call binds has a fixed address. With `enable_cuda_graph` on
 * gpt_decode each set gets its own CUDA graph (gpu_graph_id 0 and 1), captured on its first call and
 * replayed after. Per step only the token, its position and the cache position go up (3 int64s), and the
 * logits and latent come back (the host samples the next token, as on every other path).
 *
 * On the node backend the same code runs on host-held tensors (every call then copies the whole cache
 * through the host, which is what the static shapes cost there).
 */
import type { PipelineConfig } from '../models/manifest.js';
import { STATIC_KV_INPUTS } from '../quantize/static-kv.js';
import { serializeModel } from '../onnx/write-model.js';
import {
  cudaGraphEnabled,
  isDeviceTensor,
  toHost,
  type DeviceTensor,
  type HostTensor,
  type PreparedRun,
  type Session,
  type Tensor,
  type TensorData,
} from '../runtime/index.js';
import { buildKvPadGraph, paddedName } from './kv-pad-graph.js';
import { StageError } from '../core/input-error.js';
import type { RoleSessions } from './role-sessions.js';

const ROLE = 'gpt_decode';
const STEP_OUTPUTS = ['logits', 'latent'] as const;

/** Whether the loaded gpt_decode keeps its cache in fixed-capacity tensors. */
export function isStaticKv(sessions: RoleSessions): boolean {
  return sessions.inputNames(ROLE).includes(STATIC_KV_INPUTS.position);
}

type KvSet = Record<string, DeviceTensor>;
type StepRun = Pick<PreparedRun, 'run'>;

export class StaticKvDecoder {
  private current = 0;
  private constructor(
    /** The two steps' runs, bound once: set A as past and B as present, then B and A. */
    private readonly runs: [StepRun, StepRun],
    private readonly io: { ids: DeviceTensor; position: DeviceTensor; cachePosition: DeviceTensor },
    private readonly graphs: boolean,
    /** Rows cached so far (the next step writes this row). */
    private rows: number,
    readonly capacity: number,
  ) {}

  /**
   * The decoder after the prefill: its `present_*` ([1, H, P, D], as past_* names) are padded to the capacity
   * into the first set: on the device by a small pad graph where they are device tensors (the prefill's bound
   * run left them there), else on the host and uploaded. `steps` is how many decode calls will follow.
   */
  static async create(sessions: RoleSessions, cfg: PipelineConfig, prefill: Record<string, Tensor>, steps: number): Promise<StaticKvDecoder> {
    if (sessions.hasRecorder())
      throw new StageError('tts.decode', 'error', 'a static-kv gpt_decode cannot record calibration inputs; calibrate on the one-step graph');
    const s = sessions.session(ROLE) as Session;
    const first = prefill.past_key_0;
    if (!first) throw new StageError('tts.decode', 'error', 'prefill returned no present_key_0');
    const capacity = Number(s.inputMetadata.find((m) => m.name === 'past_key_0')?.shape?.[2]);
    const rows = first.dims[2] ?? 0;
    if (!Number.isInteger(capacity)) throw new StageError('tts.decode', 'error', `${sessions.files[ROLE] ?? ROLE}: past_key_0 has no static capacity (dim 2)`);
    if (rows + steps > capacity)
      throw new StageError(
        'tts.decode',
        'error',
        `${sessions.files[ROLE] ?? ROLE}: the static KV cache holds ${capacity} rows; this utterance needs ${rows + steps} (prefill ${rows} + ${steps} steps): rebuild it with static-kv --capacity ≥ ${rows + steps}`,
      );
    const set = (k: number): KvSet => {
      const out: KvSet = {};
      for (let l = 0; l < cfg.gptLayers; l++)
        for (const kind of ['key', 'value']) {
          const t = prefill[`past_${kind}_${l}`];
          if (!t) throw new StageError('tts.decode', 'error', `prefill returned no present_${kind}_${l} (gptLayers = ${cfg.gptLayers})`);
          out[`${kind}_${l}`] = sessions.deviceBuffer(ROLE, `kv${k}.${kind}_${l}`, t.type, [t.dims[0] ?? 1, t.dims[1] ?? 1, capacity, t.dims[3] ?? 1]);
        }
      return out;
    };
    const sets: [KvSet, KvSet] = [set(0), set(1)];
    await fillFirstSet(sessions, sets[0], prefill, capacity);
    const outType = (name: string): HostTensor['type'] => (s.outputMetadata.find((m) => m.name === name)?.type === 'float16' ? 'float16' : 'float32');
    const dims = (name: string): number[] => (s.outputMetadata.find((m) => m.name === name)?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
    const io = {
      ids: sessions.deviceBuffer(ROLE, 'input_ids', 'int64', [1, 1]),
      position: sessions.deviceBuffer(ROLE, 'mel_position', 'int64', [1, 1]),
      cachePosition: sessions.deviceBuffer(ROLE, STATIC_KV_INPUTS.position, 'int64', [1]),
      logits: sessions.deviceBuffer(ROLE, 'logits', outType('logits'), dims('logits')),
      latent: sessions.deviceBuffer(ROLE, 'latent', outType('latent'), dims('latent')),
    };
    const run = (k: 0 | 1): StepRun => {
      const feeds: Record<string, DeviceTensor> = { input_ids: io.ids, mel_position: io.position, [STATIC_KV_INPUTS.position]: io.cachePosition };
      const outputs: Record<string, DeviceTensor> = { logits: io.logits, latent: io.latent };
      for (const [key, t] of Object.entries(sets[k])) feeds[`past_${key}`] = t;
      for (const [key, t] of Object.entries(sets[1 - k] as KvSet)) outputs[`present_${key}`] = t;
      return sessions.prepareBound(ROLE, `static-kv.${k}`, feeds, outputs);
    };
    return new StaticKvDecoder([run(0), run(1)], io, cudaGraphEnabled(s.config), rows, capacity);
  }

  /**
   * One step: the last token and its mel position in; logits and latent (host) out, copied by the run itself
   * (on the native backend on the run's thread, through pinned memory).
   */
  async step(token: number, melPosition: number): Promise<{ logits: HostTensor; latent: HostTensor }> {
    this.io.ids.upload(BigInt64Array.of(BigInt(token)));
    this.io.position.upload(BigInt64Array.of(BigInt(melPosition)));
    this.io.cachePosition.upload(BigInt64Array.of(BigInt(this.rows)));
    const run = this.runs[this.current] as StepRun;
    const r = await run.run({ download: STEP_OUTPUTS, ...(this.graphs ? { gpuGraphId: this.current } : {}) });
    this.current = 1 - this.current;
    this.rows++;
    const logits = r.downloads?.logits;
    const latent = r.downloads?.latent;
    if (!logits || !latent) throw new StageError('tts.decode', 'error', 'gpt_decode step returned no logits or latent');
    return { logits, latent };
  }
}

/** Set 0 from the prefill's caches: padded on the device where they are device tensors, else on the host. */
async function fillFirstSet(sessions: RoleSessions, set: KvSet, prefill: Record<string, Tensor>, capacity: number): Promise<void> {
  const keys = Object.keys(set);
  const caches = keys.map((key) => prefill[`past_${key}`] as Tensor);
  if (!caches.every((t) => isDeviceTensor(t) && t.type === 'float32')) {
    for (const [i, key] of keys.entries()) (set[key] as DeviceTensor).upload(padRows(toHost(caches[i] as Tensor), capacity));
    return;
  }
  const [, heads = 1, , headDim = 1] = (caches[0] as Tensor).dims;
  const names = keys.map((key) => `past_${key}`);
  const pad = await sessions.helperSession(`kv-pad.${capacity}.${heads}.${headDim}.${names.length}`, 'gpt_prefill', () =>
    serializeModel(buildKvPadGraph(names, capacity, heads, headDim)),
  );
  const feeds: Record<string, Tensor> = {};
  const outputs: Record<string, DeviceTensor> = {};
  keys.forEach((key, i) => {
    feeds[names[i] as string] = caches[i] as Tensor;
    outputs[paddedName(names[i] as string)] = set[key] as DeviceTensor;
  });
  await pad.runBound(feeds, outputs);
}

/** A [1, H, P, D] cache as [1, H, C, D] data: each head's P rows, then zeros. */
function padRows(t: HostTensor, capacity: number): TensorData {
  const [b = 1, h = 1, p = 0, d = 1] = t.dims;
  const Ctor = t.data.constructor as new (n: number) => TensorData;
  const out = new Ctor(b * h * capacity * d);
  for (let i = 0; i < b * h; i++) (out as Float32Array).set((t.data as Float32Array).subarray(i * p * d, (i + 1) * p * d), i * capacity * d);
  return out;
}
