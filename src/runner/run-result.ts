/** The typed content of a run directory's run.json (schemaVersion 1). */
import type { Role } from '../models/manifest.js';
import { median } from '../core/stats.js';
import type { AppliedSessionOption } from '../runtime/index.js';
import type { PipelineSettings } from './pipeline-settings.js';
import type { RoleCallStats } from './role-sessions.js';
import type { PoolResult } from './worker-pool.js';

export const RUN_SCHEMA_VERSION = 1;
export const RTF_DIRECTION = 'processing seconds / audio seconds (lower is faster; below 1 is faster than real time)';

export interface RunConfig {
  ep: 'cpu' | 'cuda';
  steps: number;
  seed: number;
  variant: string;
  manifest: string;
  manifestSha256: string;
  manifestName: string;
  scale: string;
  /** Absolute model file per role (variants replace some). */
  roleFiles: Partial<Record<Role, string>>;
  text: string | null;
  audioInput: string | null;
  refVoice: string | null;
  image: string | null;
  streamChunkTokens: number;
  /** The run's settings as requested, defaults filled in (src/runner/pipeline-settings.ts). */
  settings: PipelineSettings;
  /** How each session option reached ONNX Runtime (the binding cannot apply some; src/runtime/index.ts). */
  sessionOptions: AppliedSessionOption[];
  tokenizer: 'bpe' | 'fallback' | null;
  /**
   * How the frames were rendered, as the loaded models say (render-graph and batch passes): frames per call
   * and the renderer graph ('none' = stitch, warp, decoder). Older run.json files lack it.
   */
  render?: { batch: number; graph: 'none' | 'composed' | 'baked' };
  /** Whether LMDM ran each window as one diffusion-loop call. Older run.json files lack it. */
  diffusionLoop?: boolean;
  onnxruntimeVersion: string;
  node: string;
}

export interface RunTiming {
  /** Pipeline wall time after the sessions are loaded (the RTF numerator). */
  totalMs: number;
  loadMs: number;
  /** Wall time of the untimed warm-up pass (RunOptions.warmup), the sessions' first; null without one. Older files lack it. */
  warmupMs?: number | null;
  /** Wall time per stage ('tts', 'ditto') and sub-stage ('tts.decode', 'ditto.render', …). */
  stagesMs: Record<string, number>;
  rtfDirection: string;
  /** endToEnd = totalMs / 1000 / audio seconds; per stage likewise with the stage's time. */
  rtf: Record<string, number>;
  /** Since the pipeline start; null without a TTS stage. */
  timeToFirstAudioMs: number | null;
  timeToFirstFrameMs: number | null;
  /**
   * When each sub-stage ran: every step's [start, end] in ms since the pipeline start, in order (the stages
   * overlap under `overlap`; this shows which one the end waited on). Older run.json files lack it.
   */
  timeline?: Record<string, [number, number][]>;
}

export interface RunCounts {
  textTokens: number | null;
  audioTokens: number | null;
  vocoderCalls: number | null;
  hubertChunks: number;
  lmdmWindows: number;
  diffusionSteps: number;
  frames: number;
  /** Render calls (one per frame on the per-frame path, one per batch otherwise). Older run.json files lack it. */
  renderCalls?: number;
}

export interface RunFiles {
  audio: string;
  /** Raw uint8 RGB (HWC) frames back to back, frames × height × width × 3. */
  frames: string;
  /** [frames × 265] float32 little-endian smoothed motion. */
  motion: string;
  fingerprints: string;
  pngs: string[];
  mp4: string | null;
}

export interface RunResult {
  schemaVersion: typeof RUN_SCHEMA_VERSION;
  kind: 'workbench.run';
  createdAt: string;
  config: RunConfig;
  audio: { sampleRate: number; samples: number; seconds: number };
  video: { fps: number; frames: number; width: number; height: number };
  counts: RunCounts;
  timing: RunTiming;
  roles: Partial<Record<Role, RoleCallStats>>;
  memory: { peakHostRssBytes: number; peakDeviceBytes: number | null; deviceSource: string };
  files: RunFiles;
  /** Against --baseline, when given. */
  quality: QualityReport | null;
  /**
   * The settings as the stages that act on them used them, each recorded at its point of use (a field a run
   * never acted on is missing: audio input has no vocoder, so no `vocoderBucket`). Equal to the request
   * unless a consumer could not do all of it (`workers`: how many rendered at once).
   */
  appliedSettings: Partial<PipelineSettings>;
  /** `settings.profile`: the ORT trace of each role, relative to the run folder (`profile/<role>.json`). */
  profile: RunProfile | null;
  /** `settings.workers` > 1: the concurrent renderers (details in workers.json). */
  workers: RunWorkers | null;
  /** Calibration samples written during the run (`--record-inputs`). */
  recordedInputs?: { dir: string; samples: Partial<Record<Role, number>> };
}

/** Where a run's profile traces lie (the folder's name in a run folder: {@link PROFILE_DIR}). */
export const PROFILE_DIR = 'profile';

export interface RunProfile {
  dir: string;
  /** Role → trace file, relative to the run folder. */
  traces: Partial<Record<Role, string>>;
  /** Role → calls of the warm-up pass at the start of its trace (its first `model_run`s), when `warmup` is on. */
  warmupCalls: Partial<Record<Role, number>>;
}

export interface RunWorkers {
  file: 'workers.json';
  requested: number;
  ok: number;
  /** Median RTF (render seconds / audio seconds) of the workers that finished, each rendering the whole audio. */
  medianRtf: number | null;
  throughputAudioSecondsPerSecond: number;
  /**
   * Renderers that failed with an error or a timeout (not those stopped for memory: the pool stops adding
   * renderers when one runs out, which measures how many fit), and the first one's stage and message.
   */
  failed: number;
  firstFailure: string | null;
}

export function workersSummary(r: PoolResult): RunWorkers {
  const rtfs = r.workers.flatMap((w) => (w.rtf !== null ? [w.rtf] : []));
  const failures = r.workers.flatMap((w) => (w.failure && w.failure.reason !== 'oom' ? [w.failure] : []));
  return {
    file: 'workers.json',
    requested: r.requestedWorkers,
    ok: r.okWorkers,
    failed: failures.length,
    firstFailure: failures[0] ? `worker ${r.workers.findIndex((w) => w.failure === failures[0])} in ${failures[0].stage}: ${failures[0].message}` : null,
    medianRtf: rtfs.length ? median(rtfs) : null,
    throughputAudioSecondsPerSecond: r.throughputAudioSecondsPerSecond,
  };
}

export interface FrameQuality {
  compared: number;
  /** PSNR of the whole sequence (mean squared error over all compared frames), dB. */
  psnrMean: number;
  psnrWorst: number;
  psnrWorstFrame: number;
  ssimMean: number;
  ssimWorst: number;
  ssimWorstFrame: number;
}

export interface QualityReport {
  baseline: string;
  candidate: string;
  frames: FrameQuality | null;
  audio: { snrDb: number; logMelDistanceDb: number; comparedSamples: number } | null;
  motion: { rmse: number; frames: number } | null;
  /** Relative L2 (‖a − b‖ / ‖a‖ on the stored samples) of each role's first-call outputs. */
  roles: Partial<Record<Role, Record<string, number>>>;
  /** The earliest role, in pipeline order, whose outputs differ by more than the tolerance. */
  firstDivergentRole: Role | null;
  warnings: string[];
}
