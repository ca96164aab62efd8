/**
 * `runPipeline`: text (or an audio file) → XTTS-v2 stage → Ditto stage → run directory with the wav, the
 * frames, the motion sequence, role fingerprints and a typed run.json (timings per stage and role, RTF,
 * time to first audio/frame, memory, call counts, config; quality against a baseline run when given).
 * Every input is checked before any session is created.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { delimiter, join, resolve } from 'node:path';
import type { Role } from '../models/manifest.js';
import { DittoStream, type DittoSummary } from './ditto-stage.js';
import { StageError } from '../core/input-error.js';
import { DeviceMemorySampler } from './memory.js';
import { encodePng, type RgbImage } from '../media/png.js';
import { prepareRun, ttsOptionsOf, type PreparedRun, type RunOptions } from './prepare-run.js';
import { resample } from '../media/resample.js';
import { RoleSessions } from './role-sessions.js';
import { runLabel, runResultOf, writeRunJson } from './run-json.js';
import { PROFILE_DIR, workersSummary, type RunProfile, type RunResult } from './run-result.js';
import { buildGraphSettingFiles } from './graph-settings.js';
import { resolvePipelineSettings, SettingsInUse } from './pipeline-settings.js';
import { runRenderers } from './worker-pool.js';
import { sessionConfigFor, sessionLoadFor } from './session-config.js';
import { StageTimer } from './stage-timer.js';
import { runTts, STREAM_CHUNK_TOKENS } from './tts-stage.js';
import { InputRecorder } from './input-recorder.js';
import { SerialQueue } from './serial-queue.js';
import { writeWav, type Audio } from '../media/wav.js';

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
export async function runStreams(
  p: PreparedRun,
  sessions: RoleSessions,
  timer: StageTimer,
  o: Pick<RunOptions, 'streamChunkTokens' | 'audioTokens'>,
  settings: SettingsInUse,
  onFrame: (img: RgbImage) => Promise<void> | void,
): Promise<StreamRunOutput> {
  const cfg = p.cfg;
  // Overlap applies where TTS chunks arrive; an input wav is pushed in order.
  const overlap = p.text !== undefined && settings.take('overlap');
  const renderOverlap = settings.take('renderOverlap');
  const avatarCache = settings.take('avatarCache');
  let ttff: number | null = null;
  let ttfa: number | null = null;
  const ditto = new DittoStream(
    sessions,
    cfg,
    timer,
    {
      steps: p.steps,
      seed: p.seed,
      renderOverlap,
      avatarCache,
      onFrame: async (f) => {
        if (ttff === null) ttff = timer.elapsed();
        await onFrame(f.image);
      },
    },
    cfg.outputRate,
  );
  await ditto.prepareSource(p.image);
  let audio: Float32Array;
  let textTokens: number | null = null;
  let audioTokens: number | null = null;
  let vocoderCalls: number | null = null;
  // With overlap, Ditto's chunks queue here (in order) while the TTS goes on; the first error stops both.
  const dittoQueue = new SerialQueue();
  const pushAudio = async (chunk: Float32Array): Promise<void> => {
    if (!overlap) return ditto.push(chunk);
    dittoQueue.throwIfFailed();
    dittoQueue.add(() => ditto.push(chunk));
  };
  const ttsRequest = ttsOptionsOf(p, o, settings);
  if (ttsRequest) {
    const tts = await runTts(sessions, cfg, timer, {
      ...ttsRequest,
      onChunk: async (chunk) => {
        if (ttfa === null) ttfa = timer.elapsed();
        await pushAudio(chunk);
      },
    }).finally(() => dittoQueue.settled());
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
  await dittoQueue.drain();
  const summary = await ditto.finish();
  return { audio, sampleRate: cfg.outputRate, ditto: summary, textTokens, audioTokens, vocoderCalls, timeToFirstAudioMs: ttfa, timeToFirstFrameMs: ttff };
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
    ...sessionLoadFor(p.ep, settings, p.deviceId),
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
      // Same inputs: the warm-up's first calls gave the fingerprints the timed pass would take.
      sessions.resetStats(true, true);
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
    ...sessionLoadFor(p.ep, settings, p.deviceId),
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

/** Runs the pipeline: builds the run's rewritten role files (graph settings), then the run, then removes them. */
export async function runPipeline(o: RunOptions): Promise<RunResult> {
  const p0 = prepareRun(o);
  const settings = new SettingsInUse(resolvePipelineSettings([o.settings]));
  // renderGraph / renderBatch / diffusionLoop: rewritten role files for this run, removed at the end (or kept in
  // and reused from `graphCacheDir`).
  const graphs = await buildGraphSettingFiles(settings, {
    loaded: p0.loaded,
    roleFiles: o.roleFiles,
    image: p0.image,
    steps: p0.steps,
    session: sessionConfigFor(p0.ep, settings),
    ...(o.graphCacheDir ? { cacheDir: o.graphCacheDir } : {}),
  });
  try {
    const label = runLabel(o, p0);
    const withGraphs: RunOptions = Object.keys(graphs.roleFiles).length ? { ...o, variant: label, roleFiles: { ...o.roleFiles, ...graphs.roleFiles } } : o;
    return await runPrepared(withGraphs, withGraphs === o ? p0 : prepareRun(withGraphs), settings);
  } finally {
    graphs.cleanup();
  }
}

/**
 * A run on checked inputs, in phases: the timed pass (with device memory sampled around it), the media files,
 * the mp4, the optional profiled pass and renderer pool, then run.json.
 */
async function runPrepared(o: RunOptions, p: PreparedRun, settings: SettingsInUse): Promise<RunResult> {
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const recorder = o.recordInputs ? new InputRecorder(o.recordInputs) : undefined;
  const { run, peakDevice, deviceSource } = await sampledTimedRun(p, o, settings, out, recorder);
  const { sessions, sink, streams, timer, totalMs, warmupMs } = run;
  writeMediaFiles(out, streams, sessions);
  const mp4 = o.mp4 !== false ? encodeMp4(out, sink, p.cfg.fps) : null;
  const profile = settings.take('profile') ? await profilePass(p, o, settings, out) : null;
  const stagesMs = stageTotals(timer);
  // More renderers at once on the run's audio (the TTS is shared, so its time is the timed run's).
  const pool = settings.take('workers') > 1 ? await runRenderers(p, streams.audio, stagesMs.tts ?? 0, settings, { ...o, out }) : null;
  const result = runResultOf(o, p, settings, {
    roleFiles: sessions.files,
    session: sessionConfigFor(p.ep, settings, p.deviceId),
    render: { batch: streams.ditto.render.batch, graph: streams.ditto.render.graph },
    diffusionLoop: streams.ditto.diffusionLoop,
    audio: streams.audio,
    sampleRate: streams.sampleRate,
    video: { frames: sink.count, width: sink.width, height: sink.height },
    counts: {
      textTokens: streams.textTokens,
      audioTokens: streams.audioTokens,
      vocoderCalls: streams.vocoderCalls,
      hubertChunks: streams.ditto.hubertCalls,
      lmdmWindows: streams.ditto.windows,
      renderCalls: streams.ditto.render.calls,
    },
    timing: {
      totalMs,
      loadMs: sessions.loadMs,
      warmupMs,
      stagesMs,
      timeline: timer.timeline(),
      timeToFirstAudioMs: streams.timeToFirstAudioMs,
      timeToFirstFrameMs: streams.timeToFirstFrameMs,
    },
    roles: sessions.stats(),
    memory: { peakDeviceBytes: peakDevice, deviceSource },
    pngs: sink.pngs,
    mp4,
    profile,
    workers: pool ? workersSummary(pool) : null,
    ...(recorder && o.recordInputs ? { recordedInputs: { dir: resolve(o.recordInputs.dir), samples: recorder.counts() } } : {}),
  });
  writeRunJson(out, result, o.baseline);
  return result;
}

/** The timed pass, with device memory sampled exactly as long as it runs (the nvidia-smi child stops on every path). */
async function sampledTimedRun(
  p: PreparedRun,
  o: RunOptions,
  settings: SettingsInUse,
  out: string,
  recorder: InputRecorder | undefined,
): Promise<{ run: TimedRun; peakDevice: number | null; deviceSource: string }> {
  const device = new DeviceMemorySampler(p.ep === 'cuda', o.deviceMemory ?? 'stream');
  let run: TimedRun;
  let peakDevice: number | null;
  try {
    run = await timedRun(p, o, settings, out, recorder);
  } finally {
    peakDevice = await device.stop();
  }
  return { run, peakDevice, deviceSource: p.ep === 'cuda' ? device.describe() : 'none on the CPU EP' };
}

/** audio.wav, motion.f32 and fingerprints.json (frames.rgb and the PNGs were written by the FrameSink). */
function writeMediaFiles(out: string, streams: StreamRunOutput, sessions: RoleSessions): void {
  writeWav(join(out, 'audio.wav'), { sampleRate: streams.sampleRate, samples: streams.audio });
  const motion = streams.ditto.motion;
  writeFileSync(join(out, 'motion.f32'), new Uint8Array(motion.buffer, motion.byteOffset, motion.byteLength));
  writeFileSync(join(out, 'fingerprints.json'), JSON.stringify(sessions.fingerprints));
}

/** video.mp4 from frames.rgb and audio.wav when ffmpeg is on PATH and there are frames; its name, else null. */
function encodeMp4(out: string, sink: FrameSink, fps: number): string | null {
  if (!onPath('ffmpeg') || sink.count === 0) return null;
  const args = [
    '-y',
    '-loglevel',
    'error',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${sink.width}x${sink.height}`,
    '-r',
    String(fps),
    '-i',
    join(out, 'frames.rgb'),
    '-i',
    join(out, 'audio.wav'),
    '-c:v',
    'libx264',
    '-crf',
    '18',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
    join(out, 'video.mp4'),
  ];
  const r = spawnSync('ffmpeg', args, { timeout: 600_000 });
  return r.status === 0 ? 'video.mp4' : null;
}

/** Stage times (ms) by stage and sub-stage ('ditto.render'), each sub-stage also added to its stage ('ditto'). */
function stageTotals(timer: StageTimer): Record<string, number> {
  const stagesMs: Record<string, number> = {};
  for (const [k, v] of timer.totals) {
    stagesMs[k] = v;
    const top = k.split('.')[0] as string;
    stagesMs[top] = (stagesMs[top] ?? 0) + v;
  }
  return stagesMs;
}
