/**
 * The options of a pipeline run and `prepareRun`, which reads and checks every input (text, audio, voice, image,
 * manifest, tokenizer) before any session is created.
 */
import { join } from 'node:path';
import type { Manifest, PipelineConfig, Role } from '../models/manifest.js';
import type { ExecutionProvider } from '../runtime/index.js';
import { resizeRgb, syntheticFace } from '../media/image.js';
import type { InputRecorderOptions } from './input-recorder.js';
import { InputError } from '../core/input-error.js';
import type { DeviceMemorySampling } from './memory.js';
import type { PipelineSettings, SettingsInUse } from './pipeline-settings.js';
import { readPng, type RgbImage } from '../media/png.js';
import { syntheticReferenceVoice } from './reference-voice.js';
import type { StallInjection } from './stage-timer.js';
import { STREAM_CHUNK_TOKENS, type TtsOptions } from './tts-stage.js';
import { BpeTokenizer, FallbackTokenizer, MAX_TEXT_TOKENS, type Tokenizer } from './tokenizer.js';
import { readRunManifest, rolesForRun, withRenderer, type LoadedRunManifest } from './validate-manifest.js';
import { readWav, type Audio } from '../media/wav.js';

export interface RunOptions {
  manifest: string;
  /** Label recorded in run.json (default: the manifest name, or 'custom' with role overrides). */
  variant?: string;
  /** Role → model file replacing the manifest's (how a variant is run). */
  roleFiles?: Partial<Record<Role, string>>;
  /**
   * Where the files of renderGraph / renderBatch / diffusionLoop are kept and reused across runs (a sweep's
   * variant cache; src/runner/graph-settings.ts). Absent: made per run in a temporary folder and removed.
   */
  graphCacheDir?: string;
  text?: string;
  /** A WAV to drive the avatar instead of TTS. */
  audio?: string;
  refVoice?: string;
  image?: string;
  ep?: ExecutionProvider;
  steps?: number;
  seed?: number;
  out: string;
  baseline?: string;
  /** Limit per awaited stage step (ms); a step past it fails the run with StageError. */
  stageTimeoutMs?: number;
  loadTimeoutMs?: number;
  /**
   * Run settings (src/runner/pipeline-settings.ts: workers, session options, vocoder buckets, overlap, warm-up,
   * profiling); omitted fields take PIPELINE_SETTINGS_DEFAULTS. Passed whole to the stages; run.json records
   * the request (`config.settings`) and what the stages applied (`appliedSettings`).
   */
  settings?: Partial<PipelineSettings>;
  /** How device memory is sampled on the CUDA EP (default 'stream'; memory.ts says why not 'poll'). */
  deviceMemory?: DeviceMemorySampling;
  streamChunkTokens?: number;
  /** Overrides the text-length rule for the audio token count (tests). */
  audioTokens?: number;
  /** Test hook: a stage that sleeps before its work. */
  stall?: StallInjection;
  /** The GPU every session runs on (CUDA provider deviceId; `sweep --devices` gives each worker its own). The CPU ignores it. */
  deviceId?: number;
  /** Write an mp4 when ffmpeg is on PATH (default true). */
  mp4?: boolean;
  /** Record these roles' inputs as calibration samples (mixed precision, static int8). */
  recordInputs?: InputRecorderOptions;
}

/** Everything read and checked before any session exists. */
export interface PreparedRun {
  loaded: LoadedRunManifest;
  cfg: PipelineConfig;
  roles: Role[];
  text: string | undefined;
  audio: Audio | undefined;
  refVoice: Audio | undefined;
  image: RgbImage;
  tokenizer: Tokenizer | undefined;
  steps: number;
  seed: number;
  ep: ExecutionProvider;
  deviceId: number | undefined;
}

/** Reads and checks every input; throws a WorkbenchError naming the file/field before any model runs. */
export function prepareRun(o: RunOptions): PreparedRun {
  if (o.text === undefined && o.audio === undefined) throw new InputError('--text', 'text', 'give --text or --audio');
  if (o.text !== undefined && o.audio !== undefined) throw new InputError('--text', 'text', 'give either --text or --audio, not both');
  if (o.text !== undefined && o.text.trim().length === 0) throw new InputError('--text', 'text', 'is empty');
  const ep = o.ep ?? 'cpu';
  if (ep !== 'cpu' && ep !== 'cuda') throw new InputError('--ep', 'ep', `unknown execution provider '${String(ep)}' (cpu, cuda)`);
  const steps = o.steps ?? 50;
  if (!Number.isInteger(steps) || steps < 1 || steps > 1000) throw new InputError('--steps', 'steps', `must be an integer in 1..1000, got ${steps}`);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) throw new InputError('--seed', 'seed', `must be an integer, got ${seed}`);
  const withTts = o.text !== undefined;
  const roles = withRenderer(rolesForRun(withTts), o.manifest, o.roleFiles);
  const loaded = readRunManifest(o.manifest, roles, o.roleFiles);
  const cfg = loaded.manifest.config;
  const audio = o.audio !== undefined ? readWav(o.audio) : undefined;
  const refVoice = withTts ? (o.refVoice !== undefined ? readWav(o.refVoice) : syntheticReferenceVoice(cfg.ttsRate, 3, seed)) : undefined;
  if (refVoice && refVoice.samples.length < refVoice.sampleRate * 0.33) {
    throw new InputError(o.refVoice ?? 'ref-voice', 'samples', 'reference voice is shorter than 0.33 s');
  }
  const src = o.image !== undefined ? readPng(o.image) : syntheticFace(512);
  const image = resizeRgb(src, cfg.sourceSize, cfg.sourceSize);
  let tokenizer: Tokenizer | undefined;
  if (withTts) {
    const vocab = (loaded.manifest as Manifest).vocab;
    tokenizer = vocab ? BpeTokenizer.load(join(loaded.dir, vocab)) : new FallbackTokenizer(cfg.textVocab);
    const n = tokenizer.encode(o.text ?? '').length;
    if (n === 0) throw new InputError('--text', 'text', 'has no tokens');
    if (n > MAX_TEXT_TOKENS) throw new InputError('--text', 'text', `${n} tokens, over XTTS's limit of ${MAX_TEXT_TOKENS}: split the text`);
  }
  if (o.deviceId !== undefined && (!Number.isInteger(o.deviceId) || o.deviceId < 0)) {
    throw new InputError('--device-id', 'deviceId', `must be an integer >= 0, got ${o.deviceId}`);
  }
  return { loaded, cfg, roles, text: o.text, audio, refVoice, image, tokenizer, steps, seed, ep, deviceId: o.deviceId };
}

/** The TTS request of a run driven by text (undefined when an audio file drives it); the caller adds onChunk. */
export function ttsOptionsOf(p: PreparedRun, o: Pick<RunOptions, 'streamChunkTokens' | 'audioTokens'>, settings: SettingsInUse): TtsOptions | undefined {
  if (p.text === undefined || !p.tokenizer || !p.refVoice) return undefined;
  return {
    text: p.text,
    refVoice: p.refVoice,
    tokenizer: p.tokenizer,
    seed: p.seed,
    streamChunkTokens: o.streamChunkTokens ?? STREAM_CHUNK_TOKENS,
    settings,
    ...(o.audioTokens !== undefined ? { audioTokens: o.audioTokens } : {}),
  };
}
