/**
 * Concurrent renderers on one device, as the realtime-avatar deployment runs them: the TTS is loaded once
 * in the main thread and its audio is shared; each worker (worker_threads) loads its own Ditto sessions and
 * renders the utterance. Workers start one at a time (each with a load timeout, so start-up cannot hang as
 * the seed benchmark's did); adding stops at the first out-of-memory. Every await on a worker is bounded: a
 * worker that errors, runs out of memory or sends no heartbeat within the stage timeout is terminated and
 * reported with its stage and reason.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { XTTS_ROLES, type Role } from '../models/manifest.js';
import { deviceMemoryBytes, isOutOfMemory, peakHostRssBytes } from './memory.js';
import { stringifyWithInfinity } from './quality.js';
import { RoleSessions, type RoleFingerprint } from './role-sessions.js';
import { prepareRun, ttsOptionsOf, type PreparedRun, type RunOptions } from './prepare-run.js';
import { runResultOf, writeRunJson } from './run-json.js';
import { sessionConfigFor, sessionLoadFor } from './session-config.js';
import { resolvePipelineSettings, SettingsInUse } from './pipeline-settings.js';
import { RTF_DIRECTION, type RunResult } from './run-result.js';
import { StageTimer } from './stage-timer.js';
import { runTts } from './tts-stage.js';
import { resample } from '../media/resample.js';
import { resolveWorkerScript } from './worker-script.js';
import type { WorkerInit, WorkerJob, WorkerJobResult, WorkerMessage } from './worker-protocol.js';
import { writeWav } from '../media/wav.js';

/** A run's options; `settings.workers` renderers are started. */
export interface PoolOptions extends RunOptions {
  /** Inject a stall into one worker (test hook). */
  stallWorker?: number;
}

export interface WorkerReport {
  index: number;
  status: 'ok' | 'failed' | 'not-started';
  /** Where it failed ('load', 'load.decoder', 'ditto.lmdm', …) and why. */
  failure: { stage: string; reason: 'error' | 'timeout' | 'oom'; message: string } | null;
  loadMs: number | null;
  /** Device memory the process gained while this worker loaded (null on CPU). */
  deviceBytes: number | null;
  hostRssAfterLoadBytes: number;
  result: WorkerJobResult | null;
  rtf: number | null;
}

export interface PoolResult {
  schemaVersion: 1;
  kind: 'workbench.workers';
  requestedWorkers: number;
  startedWorkers: number;
  okWorkers: number;
  /** Largest worker count that loaded and ran without running out of memory. */
  maxWorkersFit: number;
  stoppedAddingBecause: string | null;
  audioSeconds: number;
  ttsMs: number;
  wallMs: number;
  /** Audio seconds rendered per wall second, over the workers that finished. */
  throughputAudioSecondsPerSecond: number;
  rtfDirection: string;
  workers: WorkerReport[];
  memory: { peakHostRssBytes: number; deviceBytesBeforeWorkers: number | null; deviceBytesAfterLoad: number | null };
}

interface Pending {
  resolve: (m: WorkerMessage) => void;
  want: WorkerMessage['type'];
}

/** A worker wrapped so every wait is bounded by a heartbeat timeout. */
class WorkerHandle {
  readonly worker: Worker;
  stage = 'load';
  lastBeat = performance.now();
  dead: { stage: string; reason: 'error' | 'timeout' | 'oom'; message: string } | undefined;
  private pending: Pending | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(script: string, init: WorkerInit) {
    this.worker = new Worker(script, { workerData: init });
    this.worker.on('message', (m: WorkerMessage) => {
      this.lastBeat = performance.now();
      if (m.type === 'stage') this.stage = m.stage;
      else if (m.type === 'error') this.fail(m.stage, isOutOfMemory(m.message) ? 'oom' : 'error', m.message);
      else if (this.pending && this.pending.want === m.type) {
        const p = this.pending;
        this.pending = undefined;
        p.resolve(m);
      }
    });
    this.worker.on('error', (e) => this.fail(this.stage, isOutOfMemory(e.message) ? 'oom' : 'error', e.message));
    this.worker.on('exit', (code) => {
      if (!this.dead && this.pending) this.fail(this.stage, 'error', `worker exited with code ${code}`);
    });
  }

  private fail(stage: string, reason: 'error' | 'timeout' | 'oom', message: string): void {
    if (!this.dead) this.dead = { stage, reason, message };
    if (this.pending) {
      const p = this.pending;
      this.pending = undefined;
      p.resolve({ type: 'error', stage, message });
    }
  }

  /** Waits for a message of type `want`, an error, or `timeoutMs` without a heartbeat (then terminates). */
  wait(want: 'ready' | 'done', timeoutMs: number): Promise<WorkerMessage> {
    if (this.dead) return Promise.resolve({ type: 'error', stage: this.dead.stage, message: this.dead.message });
    this.lastBeat = performance.now();
    return new Promise((res) => {
      this.pending = { want, resolve: res };
      this.watchdog = setInterval(
        () => {
          if (performance.now() - this.lastBeat > timeoutMs) {
            this.fail(this.stage, 'timeout', `no progress for ${timeoutMs} ms in stage ${this.stage}`);
            void this.worker.terminate();
          }
        },
        Math.min(250, timeoutMs / 4),
      );
    }).finally(() => clearInterval(this.watchdog)) as Promise<WorkerMessage>;
  }

  post(job: WorkerJob): void {
    this.worker.postMessage(job);
  }

  async terminate(): Promise<void> {
    clearInterval(this.watchdog);
    await this.worker.terminate();
  }
}

export async function runWorkerPool(o: PoolOptions): Promise<PoolResult> {
  const p = prepareRun(o);
  const settings = new SettingsInUse(resolvePipelineSettings([o.settings]));
  const cfg = p.cfg;
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const loadTimeoutMs = o.loadTimeoutMs ?? 120_000;
  // Shared TTS in the main thread (or the input audio).
  let audio: Float32Array;
  let ttsMs = 0;
  let tts: TtsRecord | undefined;
  const ttsRequest = ttsOptionsOf(p, o, settings);
  if (ttsRequest) {
    const ttsSessions = await RoleSessions.load({
      manifest: p.loaded.manifest,
      manifestDir: p.loaded.dir,
      roles: XTTS_ROLES,
      ...sessionLoadFor(p.ep, settings, p.deviceId),
      ...(o.roleFiles ? { overrides: o.roleFiles } : {}),
      loadTimeoutMs,
    });
    try {
      const timer = new StageTimer(o.stageTimeoutMs ?? 120_000);
      const r = await runTts(ttsSessions, cfg, timer, ttsRequest);
      audio = r.audio;
      ttsMs = timer.elapsed();
      tts = {
        textTokens: r.textTokens,
        audioTokens: r.audioTokens,
        vocoderCalls: r.vocoderCalls,
        stagesMs: Object.fromEntries(timer.totals),
        roles: ttsSessions.stats(),
        fingerprints: { ...ttsSessions.fingerprints },
        loadMs: ttsSessions.loadMs,
      };
    } finally {
      await ttsSessions.release();
    }
  } else {
    const a = p.audio;
    audio = a ? resample(a.samples, a.sampleRate, cfg.outputRate) : new Float32Array(0);
  }
  writeWav(join(out, 'audio.wav'), { sampleRate: cfg.outputRate, samples: audio });
  const result = await runRenderers(p, audio, ttsMs, settings, { ...o, out, worker0WritesRun: true });
  const first = result.workers[0];
  if (first?.status === 'ok' && first.result) writePoolRunJson(o, p, out, audio, tts, first.result, ttsMs, settings);
  return result;
}

export interface RenderersOptions extends Pick<RunOptions, 'roleFiles' | 'stageTimeoutMs' | 'loadTimeoutMs' | 'stall'> {
  /** Folder of workers.json. */
  out: string;
  /** Inject the stall into this worker only (test hook). */
  stallWorker?: number;
  /**
   * `run --workers N` (runWorkerPool): worker 0 renders with the run's seed and writes its frames, motion and
   * fingerprints into `out`, as a single run would. runPipeline's renderers leave the timed run's files alone.
   */
  worker0WritesRun?: boolean;
}

/**
 * `settings.workers` Ditto renderers (worker threads, each with its own sessions made with `settings.session`)
 * render `audio` at once; writes `<out>/workers.json`. Every worker is terminated on every path.
 */
export async function runRenderers(p: PreparedRun, audio: Float32Array, ttsMs: number, settings: SettingsInUse, o: RenderersOptions): Promise<PoolResult> {
  const script = await resolveWorkerScript();
  const handles: WorkerHandle[] = [];
  try {
    return await startAndRender(p, audio, ttsMs, settings, o, (init) => {
      const h = new WorkerHandle(script, init);
      handles.push(h);
      return h;
    });
  } finally {
    await Promise.all(handles.map((h) => h.terminate()));
  }
}

/** What the phases of startAndRender share: the run, the settings taken once, and each worker's report. */
interface PoolState {
  p: PreparedRun;
  o: RenderersOptions;
  workers: number;
  /** The init every worker gets, less its index, stall and output folder. */
  init: Omit<WorkerInit, 'index' | 'stall' | 'outDir'>;
  stageTimeoutMs: number;
  loadTimeoutMs: number;
  audioSeconds: number;
  reports: WorkerReport[];
  /** The workers that loaded, with their reports. */
  reportOf: Map<WorkerHandle, WorkerReport>;
  /** Why adding workers stopped (an out-of-memory), or null. */
  stopped: string | null;
  deviceBefore: number | null;
  deviceAfterLoad: number | null;
}

/** The pool's work: start the workers one by one (stop at the first out-of-memory), then render on all at once. */
async function startAndRender(
  p: PreparedRun,
  audio: Float32Array,
  ttsMs: number,
  settings: SettingsInUse,
  o: RenderersOptions,
  start: (init: WorkerInit) => WorkerHandle,
): Promise<PoolResult> {
  const workers = settings.take('workers');
  const renderOverlap = settings.take('renderOverlap');
  const stageTimeoutMs = o.stageTimeoutMs ?? 120_000;
  const loadTimeoutMs = o.loadTimeoutMs ?? 120_000;
  const st: PoolState = {
    p,
    o,
    workers,
    init: {
      manifestPath: p.loaded.path,
      roleFiles: (o.roleFiles ?? {}) as Partial<Record<Role, string>>,
      load: sessionLoadFor(p.ep, settings, p.deviceId),
      renderOverlap,
      loadTimeoutMs,
      stageTimeoutMs,
    },
    stageTimeoutMs,
    loadTimeoutMs,
    audioSeconds: audio.length / p.cfg.outputRate,
    reports: [],
    reportOf: new Map(),
    stopped: null,
    deviceBefore: p.ep === 'cuda' ? await deviceMemoryBytes() : null,
    deviceAfterLoad: null,
  };
  await startWorkers(st, start);
  const wallMs = await renderAll(st, audio);
  const result = poolResult(st, ttsMs, wallMs);
  writeFileSync(join(o.out, 'workers.json'), stringifyWithInfinity(result));
  // What really ran at once: fewer than asked when one failed or did not fit.
  settings.settle('workers', result.okWorkers);
  return result;
}

/** Phase 1: starts the workers one at a time, each waited for until loaded; stops adding at an out-of-memory. */
async function startWorkers(st: PoolState, start: (init: WorkerInit) => WorkerHandle): Promise<void> {
  const { p, o } = st;
  let deviceLast = st.deviceBefore;
  for (let i = 0; i < st.workers; i++) {
    const report: WorkerReport = {
      index: i,
      status: 'not-started',
      failure: null,
      loadMs: null,
      deviceBytes: null,
      hostRssAfterLoadBytes: 0,
      result: null,
      rtf: null,
    };
    st.reports.push(report);
    if (st.stopped) continue;
    const init: WorkerInit = {
      index: i,
      ...st.init,
      stall: o.stall && (o.stallWorker === undefined || o.stallWorker === i) ? o.stall : undefined,
      // Worker 0 renders with the run's seed: its frames are the run's, written where a single run writes them.
      ...(i === 0 && o.worker0WritesRun ? { outDir: o.out } : {}),
    };
    const h = start(init);
    const m = await h.wait('ready', st.loadTimeoutMs);
    report.hostRssAfterLoadBytes = process.memoryUsage().rss;
    if (m.type !== 'ready') {
      report.status = 'failed';
      report.failure = h.dead ?? { stage: 'load', reason: 'error', message: m.type === 'error' ? m.message : 'unexpected message' };
      await h.terminate();
      if (report.failure.reason === 'oom') st.stopped = `worker ${i} ran out of memory while loading`;
      continue;
    }
    report.loadMs = m.loadMs;
    if (p.ep === 'cuda') {
      const now = await deviceMemoryBytes();
      report.deviceBytes = now !== null && deviceLast !== null ? now - deviceLast : null;
      deviceLast = now;
    }
    st.reportOf.set(h, report);
  }
  st.deviceAfterLoad = deviceLast;
}

/** Phase 2: all loaded workers render the utterance at once (each its own seed); returns the wall time (ms). */
async function renderAll(st: PoolState, audio: Float32Array): Promise<number> {
  const { p } = st;
  const t0 = performance.now();
  const image = { width: p.image.width, height: p.image.height, data: p.image.data };
  await Promise.all(
    [...st.reportOf.keys()].map(async (h) => {
      const report = st.reportOf.get(h) as WorkerReport;
      const job: WorkerJob = {
        type: 'job',
        audio: audio.slice(),
        sampleRate: p.cfg.outputRate,
        image: { ...image, data: image.data.slice() },
        steps: p.steps,
        seed: p.seed + report.index,
      };
      h.post(job);
      const m = await h.wait('done', st.stageTimeoutMs);
      if (m.type === 'done') {
        report.status = 'ok';
        report.result = m.result;
        report.rtf = m.result.totalMs / 1000 / st.audioSeconds;
      } else {
        report.status = 'failed';
        report.failure = h.dead ?? { stage: h.stage, reason: 'error', message: m.type === 'error' ? m.message : 'unexpected message' };
        if (report.failure.reason === 'oom' && !st.stopped) st.stopped = `worker ${report.index} ran out of memory while rendering`;
      }
    }),
  );
  return performance.now() - t0;
}

/** Phase 3: workers.json: how many fit and ran, throughput, each worker's report, memory. */
function poolResult(st: PoolState, ttsMs: number, wallMs: number): PoolResult {
  const { reports, audioSeconds } = st;
  const ok = reports.filter((r) => r.status === 'ok');
  const firstOom = reports.find((r) => r.failure?.reason === 'oom');
  return {
    schemaVersion: 1,
    kind: 'workbench.workers',
    requestedWorkers: st.workers,
    startedWorkers: st.reportOf.size,
    okWorkers: ok.length,
    maxWorkersFit: firstOom ? firstOom.index : reports.filter((r) => r.status !== 'not-started').length,
    stoppedAddingBecause: st.stopped,
    audioSeconds,
    ttsMs,
    wallMs,
    throughputAudioSecondsPerSecond: wallMs > 0 ? (ok.length * audioSeconds) / (wallMs / 1000) : 0,
    rtfDirection: RTF_DIRECTION,
    workers: reports,
    memory: { peakHostRssBytes: peakHostRssBytes(), deviceBytesBeforeWorkers: st.deviceBefore, deviceBytesAfterLoad: st.deviceAfterLoad },
  };
}

/** What the shared TTS did, for run.json. */
interface TtsRecord {
  textTokens: number;
  audioTokens: number;
  vocoderCalls: number;
  stagesMs: Record<string, number>;
  roles: RunResult['roles'];
  fingerprints: Partial<Record<Role, RoleFingerprint>>;
  loadMs: number;
}

/**
 * run.json of a pool run, as a single run writes it: the shared TTS and worker 0 (the run's seed, whose
 * frames, motion and fingerprints are in `out`). Timings are TTS then worker 0, as if run one after the
 * other; the pool's concurrency figures are in workers.json. With --baseline, quality as a single run.
 */
/** run.json of a pool run: the TTS of this process and the first renderer's (worker 0's) frames, times and calls. */
function writePoolRunJson(
  o: PoolOptions,
  p: PreparedRun,
  out: string,
  audio: Float32Array,
  tts: TtsRecord | undefined,
  w: WorkerJobResult,
  ttsMs: number,
  settings: SettingsInUse,
): void {
  writeFileSync(join(out, 'fingerprints.json'), JSON.stringify({ ...(tts?.fingerprints ?? {}), ...w.fingerprints }));
  const stagesMs: Record<string, number> = { ...(tts?.stagesMs ?? {}) };
  for (const [k, v] of Object.entries(w.stagesMs)) stagesMs[k] = (stagesMs[k] ?? 0) + v;
  for (const [k, v] of Object.entries({ ...stagesMs })) {
    const top = k.split('.')[0] as string;
    if (top !== k) stagesMs[top] = (stagesMs[top] ?? 0) + v;
  }
  const written = w.written ?? { pngs: [], width: 0, height: 0 };
  const result = runResultOf(o, p, settings, {
    roleFiles: o.roleFiles ?? {},
    session: sessionConfigFor(p.ep, settings),
    audio,
    sampleRate: p.cfg.outputRate,
    video: { frames: w.frames, width: written.width, height: written.height },
    counts: {
      textTokens: tts?.textTokens ?? null,
      audioTokens: tts?.audioTokens ?? null,
      vocoderCalls: tts?.vocoderCalls ?? null,
      hubertChunks: w.hubertChunks,
      lmdmWindows: w.lmdmWindows,
    },
    timing: {
      totalMs: ttsMs + w.totalMs,
      loadMs: tts?.loadMs ?? 0,
      stagesMs,
      timeToFirstAudioMs: null,
      timeToFirstFrameMs: w.timeToFirstFrameMs === null ? null : ttsMs + w.timeToFirstFrameMs,
    },
    roles: { ...(tts?.roles ?? {}), ...w.roles },
    memory: { peakDeviceBytes: null, deviceSource: p.ep === 'cuda' ? 'see workers.json' : 'none on the CPU EP' },
    pngs: written.pngs,
    mp4: null,
    profile: null,
    workers: null,
  });
  writeRunJson(out, result, o.baseline);
}
