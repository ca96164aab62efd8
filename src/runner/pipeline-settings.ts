/**
 * The pipeline's run settings: the ONE type a sweep variant, the sweep driver, `runPipeline` and its stages
 * share. A spec's settings are parsed here, passed whole down to the stage that acts on each field, and that
 * stage records the value it acted on ({@link SettingsInUse.take}); run.json and the sweep result carry that
 * record, and the contract tests (test/sweep/driver-contract.test.ts) compare it with the request for every
 * key of {@link PIPELINE_SETTINGS_DEFAULTS}, so a setting that reaches no code fails a test.
 *
 * Adding a field (e.g. `backend`, `providerOptions`, `renderBatch`):
 *   1. add it to {@link PipelineSettings} with a doc comment,
 *   2. give it a default in {@link PIPELINE_SETTINGS_DEFAULTS} (a default that keeps today's behaviour keeps
 *      the sweep's variant ids unchanged: non-default values alone join the id, src/sweep/spec.ts),
 *   3. give it a parser in {@link SETTING_PARSERS} (names the field on bad input),
 *   4. call `settings.take('<field>')` where the field takes effect (hand the stage the SettingsInUse whole
 *      if it does not have it yet; a worker thread gets the plain value in its WorkerInit),
 *   5. the compiler then asks for a non-default value in the contract test's NON_DEFAULT_SETTINGS and an
 *      effect in the fake driver's FAKE_EFFECTS (test/sweep/).
 * Nothing else: the sweep spec (variant, spec-wide defaults, grid axes), variant ids and names, the driver
 * and run.json pick it up.
 */
import { WorkbenchError } from '../errors.js';
import { MANIFEST_ROLES, type Role } from '../models/manifest.js';
import { BACKENDS, validateProviderOptions, type Backend, type GraphOptimizationLevel, type SessionConfig } from '../runtime/index.js';

/** Session options a run may vary: the part of runtime SessionConfig that goes whole into every session it creates. */
export type SessionSettings = Pick<SessionConfig, 'graphOptimizationLevel' | 'intraOpThreads' | 'useTf32' | 'cudaGraph' | 'preferNhwc'>;

/**
 * CUDA EP provider options per role: `'*'` for every role, a role name for that role (its keys win over '*'),
 * each an object of ORT option names to values (`{"*": {"prefer_nhwc": "1"}, "decoder": {"enable_cuda_graph": "1"}}`).
 */
export type RoleProviderOptions = Partial<Record<string, Record<string, string>>>;

/** The provider options of one role: '*' then the role's own. */
export function providerOptionsForRole(po: RoleProviderOptions, role: string): Record<string, string> {
  return { ...(po['*'] ?? {}), ...(po[role] ?? {}) };
}

export interface PipelineSettings {
  /** Concurrent Ditto renderers sharing the run's TTS audio (src/runner/worker-pool.ts); 1 = the single stream only. */
  workers: number;
  /** ONNX Runtime session options of every role (src/runtime/index.ts says which the binding applies). */
  session: SessionSettings;
  /** Pad HiFi-GAN calls to multiples of this many tokens (0 = exact lengths; src/runner/tts-stage.ts). */
  vocoderBucket: number;
  /**
   * Let Ditto work on each TTS audio chunk while the TTS goes on to the next one (false: TTS waits for Ditto
   * after every chunk). The outputs are the same; the stages overlap in time, so their times add up to more
   * than the wall time (runStreams, src/runner/run-pipeline.ts).
   */
  overlap: boolean;
  /**
   * The TTS's streaming vocoder calls run in the background, in order, while the GPT decodes the next tokens
   * (false: the decode waits for each call). Each call's latents are taken when it is queued, so the audio is
   * the same; the vocoder and the GPT step then share the GPU (src/runner/tts-stage.ts). Needs `overlap` (Ditto's
   * work on a chunk runs behind the TTS); without it, recorded as not applied.
   */
  vocoderOverlap: boolean;
  /**
   * Ditto renders the frames that can no longer change in the background while its stream goes on (HuBERT,
   * the next LMDM window, the TTS), instead of before it takes the next audio (src/runner/ditto-stage.ts). Same
   * frames; the render then overlaps LMDM's sampling on the GPU.
   */
  renderOverlap: boolean;
  /**
   * Prepare the avatar once per loaded sessions, as a deployed avatar does: the voice's conditioning
   * (cond_encoder, speaker_encoder: XTTS's `get_conditioning_latents`) and Ditto's source features (its
   * `setup(source)`) are computed on their first use and reused by every later utterance on the same sessions
   * (with `warmup`, the timed run reuses the warm-up's). false: every utterance computes them again. Same
   * outputs; the timed run then measures text → frames only (src/runner/role-sessions.ts `memo`).
   */
  avatarCache: boolean;
  /**
   * Run the whole pipeline once on the loaded sessions before the timed run (false: the timed run is also the
   * sessions' first). The first calls pay one-off costs — cuDNN's algorithm search per conv shape, arena
   * growth — which a long-running avatar pays once, not per utterance: on the H100 ~0.7–1.5 s for the
   * decoder's first call and ~0.9 s for HiFi-GAN's. run.json keeps that first pass's time (`warmupMs`).
   */
  warmup: boolean;
  /** After the timed run, one more pass with ORT profiling per role; traces land in `<out>/profile/<role>.json`. */
  profile: boolean;
  /**
   * Render with stitch + warp + decoder composed into one graph (render-graph pass): false = three calls per
   * frame, true = one renderer call (source features as inputs), 'baked' = the run's source features baked
   * into the renderer, only the driving keypoints go in (src/runner/graph-settings.ts).
   */
  renderGraph: false | true | 'baked';
  /**
   * Frames per render call (batch pass on the renderer, or on the three roles without renderGraph). A frame
   * is out when its batch is done, so time to first frame grows with it (src/runner/render-batched.ts).
   */
  renderBatch: number;
  /**
   * LMDM's DDIM sampling as one call per window (diffusion-loop pass) instead of `steps` calls: true = an ONNX
   * Loop, 'unrolled' = the steps as straight-line copies of the step graph (no Loop: a CUDA graph can capture
   * the whole window, `enable_cuda_graph` on lmdm).
   */
  diffusionLoop: boolean | 'unrolled';
  /**
   * Which runtime backend runs the sessions (src/runtime/index.ts): onnxruntime-node, the native addon, or
   * native where it is built. Applied = the backend that served (a fallback records 'node').
   */
  backend: Backend;
  /** CUDA EP provider options per role (native backend; see {@link RoleProviderOptions}). */
  providerOptions: RoleProviderOptions;
  /**
   * Sessions per role, each kept on the input shapes it ran last (`{"hifigan": 5}`; src/runner/shape-pool.ts):
   * a role whose calls change shape (streaming HiFi-GAN: a new length every call) stops paying the CUDA EP's
   * per-shape preparation on lengths that recur. Outputs are unchanged; memory grows by the role's weights
   * per extra session.
   */
  shapeSessions: Partial<Record<Role, number>>;
}

export type SettingKey = keyof PipelineSettings;

/** Key order is the grid's axis order (src/sweep/spec.ts), so `workers` before `session`. */
export const PIPELINE_SETTINGS_DEFAULTS: Readonly<PipelineSettings> = Object.freeze({
  workers: 1,
  session: {},
  vocoderBucket: 0,
  overlap: false,
  vocoderOverlap: false,
  renderOverlap: false,
  avatarCache: false,
  warmup: false,
  profile: false,
  renderGraph: false,
  renderBatch: 1,
  diffusionLoop: false,
  backend: 'node',
  providerOptions: {},
  shapeSessions: {},
});

export const SETTING_KEYS = Object.keys(PIPELINE_SETTINGS_DEFAULTS) as SettingKey[];

/** A bad setting: names where it came from (a spec file, 'run options') and the field. */
export class SettingsError extends WorkbenchError {
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}: ${field}: ${detail}`);
  }
}

type Parser<T> = (v: unknown, bad: (detail: string, subfield?: string) => never) => T;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bool: Parser<boolean> = (v, bad) => (typeof v === 'boolean' ? v : bad(`expected true or false, got ${JSON.stringify(v)}`));
const int =
  (min: number, what: string): Parser<number> =>
  (v, bad) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min ? v : bad(`expected ${what}, got ${JSON.stringify(v)}`);

const GRAPH_OPTIMIZATION_LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

const SESSION_PARSERS: { [K in keyof Required<SessionSettings>]: Parser<SessionSettings[K]> } = {
  graphOptimizationLevel: (v, bad) =>
    GRAPH_OPTIMIZATION_LEVELS.includes(v as GraphOptimizationLevel)
      ? (v as GraphOptimizationLevel)
      : bad(`expected one of ${GRAPH_OPTIMIZATION_LEVELS.join(', ')}, got ${JSON.stringify(v)}`),
  intraOpThreads: int(0, 'an integer >= 0 (0 = ORT default)'),
  useTf32: bool,
  cudaGraph: bool,
  preferNhwc: bool,
};

const parseSession: Parser<SessionSettings> = (v, bad) => {
  if (!isObj(v)) return bad('expected an object');
  const out: Record<string, unknown> = {};
  const known = Object.keys(SESSION_PARSERS);
  for (const [k, x] of Object.entries(v)) {
    const p = SESSION_PARSERS[k as keyof SessionSettings] as Parser<unknown> | undefined;
    if (!p) return bad(`unknown session option. Should be one of: ${known.join(', ')}.`, k);
    out[k] = p(x, (d) => bad(d, k));
  }
  return out as SessionSettings;
};

const parseProviderOptions: Parser<RoleProviderOptions> = (v, bad) => {
  if (!isObj(v)) return bad('expected an object of role (or "*") → {option: value}');
  const out: Record<string, Record<string, string>> = {};
  for (const [role, opts] of Object.entries(v)) {
    if (role !== '*' && !(MANIFEST_ROLES as readonly string[]).includes(role))
      return bad(`unknown role. Should be "*" or one of: ${MANIFEST_ROLES.join(', ')}.`, role);
    if (!isObj(opts)) return bad('expected an object of option: value', role);
    const o: Record<string, string> = {};
    for (const [k, x] of Object.entries(opts)) {
      if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean')
        return bad(`expected a string or number, got ${JSON.stringify(x)}`, `${role}.${k}`);
      o[k] = typeof x === 'boolean' ? (x ? '1' : '0') : String(x);
    }
    try {
      validateProviderOptions(o, role);
    } catch (e) {
      return bad((e as Error).message.replace(/^[^:]*: /, ''), role);
    }
    out[role] = o;
  }
  return out;
};

const parseShapeSessions: Parser<Partial<Record<Role, number>>> = (v, bad) => {
  if (!isObj(v)) return bad('expected an object of role → sessions (an integer >= 1)');
  const out: Partial<Record<Role, number>> = {};
  for (const [role, n] of Object.entries(v)) {
    if (!(MANIFEST_ROLES as readonly string[]).includes(role)) return bad(`unknown role. Should be one of: ${MANIFEST_ROLES.join(', ')}.`, role);
    out[role as Role] = int(1, 'an integer >= 1 (sessions)')(n, (d) => bad(d, role));
  }
  return out;
};

/** One parser per field; each names the field (and sub-field) it rejects. */
export const SETTING_PARSERS: { [K in SettingKey]: Parser<PipelineSettings[K]> } = {
  workers: int(1, 'a positive integer'),
  session: parseSession,
  vocoderBucket: int(0, 'an integer >= 0 (tokens)'),
  overlap: bool,
  vocoderOverlap: bool,
  renderOverlap: bool,
  avatarCache: bool,
  warmup: bool,
  profile: bool,
  renderGraph: (v, bad) => (v === false || v === true || v === 'baked' ? v : bad(`expected false, true or 'baked', got ${JSON.stringify(v)}`)),
  renderBatch: int(1, 'an integer >= 1 (frames per render call)'),
  diffusionLoop: (v, bad) => (v === false || v === true || v === 'unrolled' ? v : bad(`expected false, true or 'unrolled', got ${JSON.stringify(v)}`)),
  backend: (v, bad) =>
    (BACKENDS as readonly unknown[]).includes(v) ? (v as Backend) : bad(`expected one of ${BACKENDS.join(', ')}, got ${JSON.stringify(v)}`),
  providerOptions: parseProviderOptions,
  shapeSessions: parseShapeSessions,
};

export function isSettingKey(k: string): k is SettingKey {
  return Object.hasOwn(PIPELINE_SETTINGS_DEFAULTS, k);
}

/** Checks one setting; errors read `<file>: <field>[.<sub>]: <detail>`. */
export function parseSetting<K extends SettingKey>(key: K, value: unknown, file: string, field: string = key): PipelineSettings[K] {
  return SETTING_PARSERS[key](value, (detail, sub) => {
    throw new SettingsError(file, sub ? `${field}.${sub}` : field, detail);
  });
}

/**
 * The settings keys of `obj` (other keys are left to the caller), checked; `prefix` is the field path of
 * `obj` in `file` (e.g. 'variants[2]').
 */
export function pickSettings(obj: Record<string, unknown>, file: string, prefix = ''): Partial<PipelineSettings> {
  const out: Partial<Record<SettingKey, unknown>> = {};
  for (const k of SETTING_KEYS) if (obj[k] !== undefined) out[k] = parseSetting(k, obj[k], file, prefix ? `${prefix}.${k}` : k);
  return out as Partial<PipelineSettings>;
}

/** Defaults ← each layer in order (later wins), every layer checked; unknown keys are errors. */
export function resolvePipelineSettings(layers: readonly (Partial<PipelineSettings> | undefined)[], file = 'run options'): PipelineSettings {
  const out: Record<string, unknown> = { ...PIPELINE_SETTINGS_DEFAULTS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (!isSettingKey(k)) throw new SettingsError(file, k, `unknown setting. Should be one of: ${SETTING_KEYS.join(', ')}.`);
      if (v !== undefined) out[k] = parseSetting(k, v, file);
    }
  }
  return out as unknown as PipelineSettings;
}

/** The fields of `s` that differ from the defaults (what a variant changes). */
export function nonDefaultSettings(s: PipelineSettings): Partial<PipelineSettings> {
  const out: Partial<Record<SettingKey, unknown>> = {};
  for (const k of SETTING_KEYS) if (JSON.stringify(s[k]) !== JSON.stringify(PIPELINE_SETTINGS_DEFAULTS[k])) out[k] = s[k];
  return out as Partial<PipelineSettings>;
}

/**
 * One run's settings, passed whole to every stage. A stage reads a field with {@link take} where the field
 * takes effect, which also records it: {@link applied} is what run.json reports as the settings the code used.
 */
export class SettingsInUse {
  private readonly used: Partial<Record<SettingKey, unknown>> = {};
  constructor(readonly requested: Readonly<PipelineSettings>) {}

  take<K extends SettingKey>(key: K): PipelineSettings[K] {
    const v = this.requested[key];
    this.used[key] = v;
    return v;
  }

  /** Records a value that differs from the request because the consumer could not do all of it (fewer workers fit). */
  settle<K extends SettingKey>(key: K, value: PipelineSettings[K]): void {
    this.used[key] = value;
  }

  applied(): Partial<PipelineSettings> {
    return structuredClone(this.used) as Partial<PipelineSettings>;
  }
}
