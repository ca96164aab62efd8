/**
 * `runPipeline`: text (or an audio file) → XTTS-v2 stage → Ditto stage → run directory with the wav, the
 * frames, the motion sequence, role fingerprints and a typed run.json (timings per stage and role, RTF,
 * time to first audio/frame, memory, call counts, config; quality against a baseline run when given).
 * Every input is checked before any session is created.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { delimiter, join, resolve } from 'node:path';
import type { Manifest, PipelineConfig, Role } from '../models/manifest.js';
import { describeSessionConfig, onnxruntimeVersion, resolveBackend, type ExecutionProvider, type SessionConfig } from '../runtime/index.js';
import { compareRuns } from './compare-runs.js';
import { DittoStream, type DittoSummary } from './ditto-stage.js';
import { resizeRgb, syntheticFace } from '../media/image.js';
import { InputError, StageError } from '../core/input-error.js';
import { DeviceMemorySampler, peakHostRssBytes, type DeviceMemorySampling } from './memory.js';
import { encodePng, readPng, type RgbImage } from '../media/png.js';
import { syntheticReferenceVoice } from './reference-voice.js';
import { resample } from '../media/resample.js';
import { RoleSessions } from './role-sessions.js';
import { PROFILE_DIR, RTF_DIRECTION, RUN_SCHEMA_VERSION, workersSummary, type RunProfile, type RunResult } from './run-result.js';
import { buildGraphSettingFiles } from './graph-settings.js';
import { resolvePipelineSettings, SettingsInUse, type PipelineSettings } from './pipeline-settings.js';
import { runRenderers } from './worker-pool.js';
import { StageTimer, type StallInjection } from './stage-timer.js';
import { BpeTokenizer, FallbackTokenizer, MAX_TEXT_TOKENS, type Tokenizer } from './tokenizer.js';
import { runTts, STREAM_CHUNK_TOKENS } from './tts-stage.js';
import { readRunManifest, rolesForRun, withRenderer, type LoadedRunManifest } from './validate-manifest.js';
import { InputRecorder, type InputRecorderOptions } from './input-recorder.js';
import { readWav, writeWav, type Audio } from '../media/wav.js';
import { stringifyWithInfinity } from './quality.js';

export interface RunOptions {
  manifest: string;
  /** Label recorded in run.json (default: the manifest name, or 'custom' with role overrides). */
  variant?: string;
  /** Role → model file replacing the manifest's (how a variant is run). */
  roleFiles?: Partial<Record<Role, string>>;
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
  if (refVoice && refVoice.samples.length < refVoice.sampleRate * 0.33) throw new InputError(o.refVoice ?? 'ref-voice', 'samples', 'reference voice is shorter than 0.33 s');
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
  if (o.deviceId !== undefined && (!Number.isInteger(o.deviceId) || o.deviceId < 0)) throw new InputError('--device-id', 'deviceId', `must be an integer >= 0, got ${o.deviceId}`);
  return { loaded, cfg, roles, text: o.text, audio, refVoice, image, tokenizer, steps, seed, ep, deviceId: o.deviceId };
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

/** Frames written as they come: raw RGB file plus PNGs of the first, middle and last frames (all when ≤ 10). */
export class FrameSink {
  private fd: number;
  count = 0;
  width = 0;
  height = 0;
  pngs: string[] = [];
  constructor(readonly dir: string) {
    this.fd = openSync(join(dir, 'frames.rgb'), 'w');
  }
  write(img: RgbImage): void {
    this.width = img.width;
    this.height = img.height;
    writeSync(this.fd, img.data);
    this.count++;
  }
  close(): string[] {
    closeSync(this.fd);
    const frameBytes = this.width * this.height * 3;
    const pick = this.count <= 10 ? Array.from({ length: this.count }, (_, i) => i) : [0, Math.floor(this.count / 2), this.count - 1];
    const raw = readFileSync(join(this.dir, 'frames.rgb'));
    this.pngs = pick.map((i) => {
      const name = `frame_${String(i).padStart(5, '0')}.png`;
      writeFileSync(join(this.dir, name), encodePng({ width: this.width, height: this.height, data: raw.subarray(i * frameBytes, (i + 1) * frameBytes) }));
      return name;
    });
    return this.pngs;
  }
}

export interface StreamRunOutput {
  audio: Float32Array;
  sampleRate: number;
  ditto: DittoSummary;
  textTokens: number | null;
  audioTokens: number | null;
  vocoderCalls: number | null;
  timeToFirstAudioMs: number | null;
  timeToFirstFrameMs: number | null;
}

/**
 * The streamed pipeline on loaded sessions: TTS audio chunks (or chunks of an input wav) go into the Ditto
 * stream as they are made; frames go to `onFrame`.
 */
export async function runStreams(p: PreparedRun, sessions: RoleSessions, timer: StageTimer, o: Pick<RunOptions, 'streamChunkTokens' | 'audioTokens'>, settings: SettingsInUse, onFrame: (img: RgbImage) => Promise<void> | void): Promise<StreamRunOutput> {
  const cfg = p.cfg;
  // Overlap applies where TTS chunks arrive; an input wav is pushed in order.
  const overlap = p.text !== undefined && settings.take('overlap');
  let ttff: number | null = null;
  let ttfa: number | null = null;
  const ditto = new DittoStream(sessions, cfg, timer, {
    steps: p.steps,
    seed: p.seed,
    onFrame: async (f) => {
      if (ttff === null) ttff = timer.elapsed();
      await onFrame(f.image);
    },
  }, cfg.outputRate);
  await ditto.prepareSource(p.image);
  let audio: Float32Array;
  let textTokens: number | null = null;
  let audioTokens: number | null = null;
  let vocoderCalls: number | null = null;
  // With overlap, Ditto's chunks queue here (in order) while the TTS goes on; the first error stops both.
  let dittoQueue: Promise<void> = Promise.resolve();
  let dittoError: unknown;
  const pushAudio = async (chunk: Float32Array): Promise<void> => {
    if (!overlap) return ditto.push(chunk);
    if (dittoError !== undefined) throw dittoError;
    dittoQueue = dittoQueue.then(() => (dittoError === undefined ? ditto.push(chunk) : undefined)).catch((e: unknown) => {
      dittoError ??= e;
    });
  };
  const drain = async (): Promise<void> => {
    await dittoQueue;
    if (dittoError !== undefined) throw dittoError;
  };
  if (p.text !== undefined && p.tokenizer && p.refVoice) {
    const tts = await runTts(sessions, cfg, timer, {
      text: p.text,
      refVoice: p.refVoice,
      tokenizer: p.tokenizer,
      seed: p.seed,
      streamChunkTokens: o.streamChunkTokens ?? STREAM_CHUNK_TOKENS,
      settings,
      ...(o.audioTokens !== undefined ? { audioTokens: o.audioTokens } : {}),
      onChunk: async (chunk) => {
        if (ttfa === null) ttfa = timer.elapsed();
        await pushAudio(chunk);
      },
    }).finally(() => dittoQueue);
    audio = tts.audio;
    textTokens = tts.textTokens;
    audioTokens = tts.audioTokens;
    vocoderCalls = tts.vocoderCalls;
  } else {
    const src = p.audio as Audio;
    audio = resample(src.samples, src.sampleRate, cfg.outputRate);
    const step = Math.round(cfg.samplesPerToken * STREAM_CHUNK_TOKENS);
    for (let i = 0; i < audio.length; i += step) await ditto.push(audio.subarray(i, i + step));
  }
  await drain();
  const summary = await ditto.finish();
  return { audio, sampleRate: cfg.outputRate, ditto: summary, textTokens, audioTokens, vocoderCalls, timeToFirstAudioMs: ttfa, timeToFirstFrameMs: ttff };
}

/** The session config of every role: the run's session settings, whole, on its execution provider (and device). */
export function sessionConfigFor(ep: ExecutionProvider, settings: SettingsInUse, deviceId?: number): SessionConfig {
  return { ...settings.take('session'), ep, backend: settings.take('backend'), ...(deviceId !== undefined ? { deviceId } : {}) };
}

/** The timed pass (after the optional warm-up) on freshly loaded sessions; sessions and the frame file close on every path. */
interface TimedRun {
  sessions: RoleSessions;
  sink: FrameSink;
  streams: StreamRunOutput;
  timer: StageTimer;
  totalMs: number;
  warmupMs: number | null;
}

async function timedRun(p: PreparedRun, o: RunOptions, settings: SettingsInUse, out: string, recorder: InputRecorder | undefined): Promise<TimedRun> {
  const sessions = await RoleSessions.load({
    ...(recorder ? { recorder } : {}),
    manifest: p.loaded.manifest,
    manifestDir: p.loaded.dir,
    roles: p.roles,
    session: sessionConfigFor(p.ep, settings, p.deviceId),
    providerOptions: settings.take('providerOptions'),
    ...(o.roleFiles ? { overrides: o.roleFiles } : {}),
    ...(o.loadTimeoutMs ? { loadTimeoutMs: o.loadTimeoutMs } : {}),
  });
  // A native request that fell back to onnxruntime-node (no addon here) applied 'node'.
  if (settings.requested.backend === 'native' && sessions.servedBackend === 'node') settings.settle('backend', 'node');
  let sink: FrameSink | undefined;
  try {
    const frames = new FrameSink(out);
    sink = frames;
    let timer = new StageTimer(o.stageTimeoutMs, o.stall);
    let warmupMs: number | null = null;
    if (settings.take('warmup')) {
      sessions.resetStats(false);
      const w = new StageTimer(o.stageTimeoutMs);
      await runStreams(p, sessions, w, o, settings, () => undefined);
      warmupMs = w.elapsed();
      sessions.resetStats(true);
      // The timed run's clock starts after the warm-up.
      timer = new StageTimer(o.stageTimeoutMs, o.stall);
    }
    const streams = await runStreams(p, sessions, timer, o, settings, (img) => frames.write(img));
    return { sessions, sink: frames, streams, timer, totalMs: timer.elapsed(), warmupMs };
  } finally {
    await sessions.release();
    sink?.close();
  }
}

/**
 * `settings.profile`: one more pass on fresh sessions with ORT profiling per role (the timed run stays
 * unprofiled). With `warmup`, a warm-up pass runs first on the same sessions; `warmupCalls` says how many of
 * each trace's first `model_run`s it made. Traces are moved to `<out>/profile/<role>.json`.
 */
async function profilePass(p: PreparedRun, o: RunOptions, settings: SettingsInUse, out: string): Promise<RunProfile> {
  const dir = join(out, PROFILE_DIR);
  mkdirSync(dir, { recursive: true });
  const sessions = await RoleSessions.load({
    manifest: p.loaded.manifest,
    manifestDir: p.loaded.dir,
    roles: p.roles,
    session: sessionConfigFor(p.ep, settings, p.deviceId),
    providerOptions: settings.take('providerOptions'),
    profileDir: dir,
    ...(o.roleFiles ? { overrides: o.roleFiles } : {}),
    ...(o.loadTimeoutMs ? { loadTimeoutMs: o.loadTimeoutMs } : {}),
  });
  const warmupCalls: Partial<Record<Role, number>> = {};
  let written: Partial<Record<Role, string>> = {};
  try {
    if (settings.take('warmup')) {
      await runStreams(p, sessions, new StageTimer(o.stageTimeoutMs), o, settings, () => undefined);
      for (const [role, st] of Object.entries(sessions.stats())) warmupCalls[role as Role] = st.calls;
    }
    await runStreams(p, sessions, new StageTimer(o.stageTimeoutMs), o, settings, () => undefined);
  } finally {
    // The traces are written when profiling ends, which must come before the sessions go.
    written = sessions.endProfiling();
    await sessions.release();
  }
  const traces: Partial<Record<Role, string>> = {};
  for (const role of p.roles) {
    const file = written[role];
    if (!file || !existsSync(file)) throw new StageError('profile', 'error', `ONNX Runtime wrote no trace for role ${role} (prefix ${join(dir, role)})`);
    const rel = join(PROFILE_DIR, `${role}.json`);
    renameSync(file, join(out, rel));
    traces[role] = rel;
  }
  return { dir: PROFILE_DIR, traces, warmupCalls };
}

export async function runPipeline(o: RunOptions): Promise<RunResult> {
  const p0 = prepareRun(o);
  const settings = new SettingsInUse(resolvePipelineSettings([o.settings]));
  // renderGraph / renderBatch / diffusionLoop: rewritten role files for this run, removed at the end.
  const graphs = await buildGraphSettingFiles(settings, { loaded: p0.loaded, roleFiles: o.roleFiles, image: p0.image, steps: p0.steps, session: sessionConfigFor(p0.ep, settings) });
  try {
    const label = o.variant ?? (o.roleFiles && Object.keys(o.roleFiles).length ? 'custom' : p0.loaded.manifest.name);
    const withGraphs: RunOptions = Object.keys(graphs.roleFiles).length ? { ...o, variant: label, roleFiles: { ...o.roleFiles, ...graphs.roleFiles } } : o;
    return await runPrepared(withGraphs, withGraphs === o ? p0 : prepareRun(withGraphs), settings);
  } finally {
    graphs.cleanup();
  }
}

async function runPrepared(o: RunOptions, p: PreparedRun, settings: SettingsInUse): Promise<RunResult> {
  const cfg = p.cfg;
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const recorder = o.recordInputs ? new InputRecorder(o.recordInputs) : undefined;
  // The sampler's nvidia-smi child lives exactly as long as the timed run, failed or not.
  const device = new DeviceMemorySampler(p.ep === 'cuda', o.deviceMemory ?? 'stream');
  let run: TimedRun;
  let peakDevice: number | null;
  try {
    run = await timedRun(p, o, settings, out, recorder);
  } finally {
    peakDevice = await device.stop();
  }
  const { sessions, sink, streams, timer, totalMs, warmupMs } = run;
  const pngs = sink.pngs;
  const audioSeconds = streams.audio.length / streams.sampleRate;
  writeWav(join(out, 'audio.wav'), { sampleRate: streams.sampleRate, samples: streams.audio });
  const motion = streams.ditto.motion;
  writeFileSync(join(out, 'motion.f32'), new Uint8Array(motion.buffer, motion.byteOffset, motion.byteLength));
  writeFileSync(join(out, 'fingerprints.json'), JSON.stringify(sessions.fingerprints));
  let mp4: string | null = null;
  if (o.mp4 !== false && onPath('ffmpeg') && sink.count > 0) {
    const r = spawnSync('ffmpeg', ['-y', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${sink.width}x${sink.height}`, '-r', String(cfg.fps), '-i', join(out, 'frames.rgb'), '-i', join(out, 'audio.wav'), '-c:v', 'libx264', '-crf', '18', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', join(out, 'video.mp4')], { timeout: 600_000 });
    if (r.status === 0) mp4 = 'video.mp4';
  }
  const profile = settings.take('profile') ? await profilePass(p, o, settings, out) : null;
  const stagesMs: Record<string, number> = {};
  for (const [k, v] of timer.totals) {
    stagesMs[k] = v;
    const top = k.split('.')[0] as string;
    stagesMs[top] = (stagesMs[top] ?? 0) + v;
  }
  // More renderers at once on the run's audio (the TTS is shared, so its time is the timed run's).
  const pool = settings.take('workers') > 1 ? await runRenderers(p, streams.audio, stagesMs.tts ?? 0, settings, { ...o, out }) : null;
  const rtf: Record<string, number> = { endToEnd: totalMs / 1000 / audioSeconds };
  for (const [k, v] of Object.entries(stagesMs)) rtf[k] = v / 1000 / audioSeconds;
  const result: RunResult = {
    schemaVersion: RUN_SCHEMA_VERSION,
    kind: 'workbench.run',
    createdAt: new Date().toISOString(),
    config: {
      ep: p.ep,
      steps: p.steps,
      seed: p.seed,
      variant: o.variant ?? (o.roleFiles && Object.keys(o.roleFiles).length ? 'custom' : p.loaded.manifest.name),
      manifest: p.loaded.path,
      manifestSha256: p.loaded.sha256,
      manifestName: p.loaded.manifest.name,
      scale: p.loaded.manifest.scale,
      roleFiles: { ...sessions.files },
      text: p.text ?? null,
      audioInput: o.audio ? resolve(o.audio) : null,
      refVoice: o.refVoice ? resolve(o.refVoice) : null,
      image: o.image ? resolve(o.image) : null,
      settings: settings.requested,
      sessionOptions: describeSessionConfig(sessionConfigFor(p.ep, settings, p.deviceId), process.env, settings.applied().backend === 'node' ? 'node' : resolveBackend(settings.requested.backend)),
      streamChunkTokens: o.streamChunkTokens ?? STREAM_CHUNK_TOKENS,
      tokenizer: p.tokenizer?.kind ?? null,
      render: { batch: streams.ditto.render.batch, graph: streams.ditto.render.graph },
      diffusionLoop: streams.ditto.diffusionLoop,
      onnxruntimeVersion: onnxruntimeVersion(),
      node: process.version,
    },
    audio: { sampleRate: streams.sampleRate, samples: streams.audio.length, seconds: audioSeconds },
    video: { fps: cfg.fps, frames: sink.count, width: sink.width, height: sink.height },
    counts: {
      textTokens: streams.textTokens,
      audioTokens: streams.audioTokens,
      vocoderCalls: streams.vocoderCalls,
      hubertChunks: streams.ditto.hubertCalls,
      lmdmWindows: streams.ditto.windows,
      diffusionSteps: p.steps,
      frames: sink.count,
      renderCalls: streams.ditto.render.calls,
    },
    timing: {
      totalMs,
      loadMs: sessions.loadMs,
      warmupMs,
      stagesMs,
      rtfDirection: RTF_DIRECTION,
      rtf,
      timeToFirstAudioMs: streams.timeToFirstAudioMs,
      timeToFirstFrameMs: streams.timeToFirstFrameMs,
    },
    roles: sessions.stats(),
    memory: { peakHostRssBytes: peakHostRssBytes(), peakDeviceBytes: peakDevice, deviceSource: p.ep === 'cuda' ? device.describe() : 'none on the CPU EP' },
    files: { audio: 'audio.wav', frames: 'frames.rgb', motion: 'motion.f32', fingerprints: 'fingerprints.json', pngs, mp4 },
    quality: null,
    appliedSettings: settings.applied(),
    profile,
    workers: pool ? workersSummary(pool) : null,
    ...(recorder && o.recordInputs ? { recordedInputs: { dir: resolve(o.recordInputs.dir), samples: recorder.counts() } } : {}),
  };
  writeFileSync(join(out, 'run.json'), stringifyWithInfinity(result));
  if (o.baseline) {
    result.quality = compareRuns(o.baseline, out);
    writeFileSync(join(out, 'run.json'), stringifyWithInfinity(result));
  }
  return result;
}
