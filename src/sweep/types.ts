/**
 * Types of a sweep: the spec a user writes (docs/SWEEP.md), the variants it expands to, the metrics a
 * pipeline run yields and the one-JSON-line result the sweep appends per variant. The pipeline itself is
 * reached through {@link SweepDriver}, so the sweep, the gate and their tests can run a fake driver.
 */
import type { Role } from '../models/manifest.js';
import type { SweepPass } from '../quantize/registry.js';
import type { PipelineSettings, SessionSettings } from '../runner/pipeline-settings.js';

export const SWEEP_SPEC_SCHEMA_VERSION = 1;
export const RESULT_SCHEMA_VERSION = 1;

/** Precisions a role can be rewritten to. `wo8`/`wo4` are weight-only MatMulNBits. */
export type Precision = 'fp32' | 'fp16' | 'int8-dynamic' | 'int8-static' | 'wo8' | 'wo4';
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'int8-dynamic', 'int8-static', 'wo8', 'wo4'];

/**
 * One rewrite applied to one role's model, as a spec writes it (`{ "pass": "wo", "bits": 4 }`): each pass's
 * shape is declared by its registry entry (src/quantize/passes/, `sweep`), and ids hash it as written.
 */
export type PassSpec = SweepPass;

/** Passes per role; `*` applies to every role of the manifest whose model the pass can rewrite. */
export type RolePasses = Partial<Record<Role | '*', PassSpec[]>>;

/** Session options a variant may vary: the runner's SessionSettings. */
export type SessionSpec = SessionSettings;

/**
 * One variant: what to rewrite per role (build fields below) and how to run the pipeline (any field of the
 * runner's PipelineSettings: workers, session, vocoderBucket, overlap, warmup, profile; they override the
 * spec-wide ones). Shorthands (`precision`, `resolution`, `mixedBudget`) expand to per-role passes; explicit
 * `passes` win for the roles they name.
 */
export interface VariantSpec extends Partial<PipelineSettings> {
  /** Display name; defaults to a name made from the settings. */
  name?: string;
  /** Per-role precision, or one precision for every role that has weights worth rewriting (`*`). */
  precision?: Partial<Record<Role | '*', Precision>>;
  /** Output frame size (e.g. 512 → 384): the source crop, extractors, warp and decoder scale by the same ratio. */
  resolution?: number;
  /** Diffusion sampling steps of the LMDM loop. */
  steps?: number;
  /** Mixed-precision budget for the `mixed` pass: the worst relative L2 error each role's outputs may take (e.g. 0.01). */
  mixedBudget?: number;
  /** Explicit passes per role, applied in order. */
  passes?: Partial<Record<Role, PassSpec[]>>;
  /** Generate the GPT's tokens a streaming chunk per call (the `decode-loop` pass on gpt_decode, run last). */
  decodeLoop?: boolean;
}

/** A grid axis per run setting (e.g. `workers: [1, 2, 4]`, `session: [{}, { intraOpThreads: 1 }]`). */
export type SettingsAxes = { [K in keyof PipelineSettings]?: PipelineSettings[K][] };

/** The cross product of axes; each axis lists the values a variant can take (first = the default). */
export interface GridSpec extends SettingsAxes {
  precision?: Precision[];
  /** Roles the grid's precision applies to (default: every role with MatMul/Conv weights, `*`). */
  precisionRoles?: Role[];
  resolution?: number[];
  steps?: number[];
  mixedBudget?: number[];
}

/** A sweep; run settings given here (e.g. `warmup`, `profile`) are the default of every variant. */
export interface SweepSpec extends Partial<PipelineSettings> {
  schemaVersion: typeof SWEEP_SPEC_SCHEMA_VERSION;
  name: string;
  /** Manifest of the FP32 baseline, relative to the spec file. Omitted: the tiny reference set (built when missing). */
  manifest?: string;
  /** Reference set scale used when `manifest` is omitted. */
  scale?: 'tiny' | 'full';
  seed?: number;
  /** Default steps for every variant (the manifest's samplingSteps when omitted). */
  steps?: number;
  /** Timed repeats per variant (median is reported). */
  repeats?: number;
  /** Seconds of speech the pipeline synthesizes per run (keeps sweeps short). */
  text?: string;
  variants?: VariantSpec[];
  grid?: GridSpec;
  /** Cap on the number of grid variants (after explicit variants); the grid is truncated in order. */
  maxVariants?: number;
  /**
   * The report's quality floor (rank.ts DEFAULT_QUALITY_FLOOR when omitted): false for none, or the fields to
   * change, null turning one off. Read by the report, not the runner (it does not change a variant's id).
   */
  qualityFloor?: false | { minPsnr?: number | null; minSsim?: number | null; maxAudioDistance?: number | null };
}

/** A variant after expansion: a stable id (hash of its normalized settings), its position and settings. */
export interface PlannedVariant {
  id: string;
  index: number;
  name: string;
  baseline: boolean;
  spec: VariantSpec;
  /** The resolved per-role passes (shorthands expanded). */
  passes: RolePasses;
  /** The run settings: defaults ← the spec's ← the variant's. Older results.jsonl lines lack it. */
  settings?: PipelineSettings;
}

export interface StageMetric {
  /** 'tts', 'ditto' or a finer stage ('hubert', 'lmdm', 'render', …) as the runner names it. */
  stage: string;
  seconds: number;
  /** Stage seconds / audio seconds. */
  rtf: number;
  /** When the stage's first step started and its last step ended, seconds since the pipeline start (medians; runs with a timeline). */
  startSeconds?: number;
  endSeconds?: number;
}

export interface RoleMetric {
  role: Role | string;
  calls: number;
  /** Model steps, when one call runs several (a decode loop generates a chunk of tokens per call). */
  steps?: number;
  seconds: number;
  /**
   * A call's median and slowest time, ms (medians over the repeats): one slow call among fast ones (a capture, a
   * shape's first run) shows here and not in `seconds`. Absent in results written before they were recorded.
   */
  medianCallMs?: number;
  maxCallMs?: number;
  /**
   * Bound calls (native device paths): the slowest run as the backend timed it, and the longest a call spent
   * outside its run (waiting for a thread or the event loop); medians over the repeats.
   */
  maxRunMs?: number;
  maxWaitMs?: number;
}

export interface MemoryMetric {
  /** Peak resident set of the process during the run. */
  peakRssBytes?: number;
  /** Bytes of model files (weights) the variant loads. */
  modelBytes?: number;
  /** Peak GPU memory when known. */
  gpuBytes?: number;
}

/** Quality of a run against the FP32 baseline's outputs. */
export interface QualityMetrics {
  framePsnrMean?: number;
  framePsnrWorst?: number;
  ssimMean?: number;
  ssimWorst?: number;
  audioSnr?: number;
  logMelDistance?: number;
  motionError?: number;
  /** Per role: max relative output error vs the baseline's role outputs. */
  roleError?: Record<string, number>;
  /** The earliest role, in pipeline order, whose outputs differ from the baseline's. */
  firstDivergentRole?: string;
}

/** Per-op-type time from a profile, one role at a time. */
export interface OpTypeTime {
  role: string;
  opType: string;
  seconds: number;
  count?: number;
}

/** A top node of a profile with its roofline position. */
export interface TopOp {
  role: string;
  node: string;
  opType: string;
  seconds: number;
  /** FLOPs / bytes moved. */
  intensity?: number;
  /** Achieved FLOP/s. */
  flops?: number;
  bound?: 'compute' | 'memory' | 'unknown';
}

export interface ProfileSummary {
  opTypes: OpTypeTime[];
  topOps: TopOp[];
  /** Peak compute (FLOP/s) and bandwidth (bytes/s) the roofline used. */
  peakFlops?: number;
  peakBandwidth?: number;
  fallbacks?: string[];
}

export interface WorkerScalingPoint {
  workers: number;
  rtf: number;
  throughput?: number;
}

/** What one pipeline run (median over repeats) yields; the sweep and the gate read only this. */
export interface RunMetrics {
  audioSeconds: number;
  wallSeconds: number;
  /** End-to-end RTF (wall / audio seconds). */
  rtf: number;
  ttffSeconds?: number;
  /** Median wall time of the untimed warm-up passes (the sessions' first run), when the sweep warms up. */
  warmupSeconds?: number;
  stages: StageMetric[];
  roles: RoleMetric[];
  memory: MemoryMetric;
  quality?: QualityMetrics;
  /** Per-repeat samples for noise-aware comparisons. */
  samples: { rtf: number[]; stageSeconds: Record<string, number[]> };
  profile?: ProfileSummary;
  workers?: WorkerScalingPoint[];
  /** The run folder (run.json and outputs), used as the quality reference for later runs. */
  runDir?: string;
  /**
   * The run settings as the pipeline's stages applied them (RunResult.appliedSettings of the first repeat),
   * each recorded where it took effect; a requested setting missing here reached no code.
   */
  settings?: Partial<PipelineSettings>;
  /** Projected RTFs on other GPUs, added by `workbench project results.jsonl --annotate` (never measured). */
  projections?: ProjectedRtf[];
}

/** A variant's end-to-end RTF projected to another GPU (src/projection); always labelled as a projection. */
export interface ProjectedRtf {
  projected: true;
  /** Target GPU id (src/core/devices.ts), e.g. 'l4'. */
  target: string;
  rtf: number;
  /** Largest validated |relative error| of end-to-end projections, or null when unvalidated. */
  errorBand: number | null;
  /** '±18% (validated h100-sxm→h200)' or 'unvalidated'. */
  errorLabel: string;
}

/** One role's placement check: the nodes (compute and ORT-inserted Casts) that ran off the target EP. */
export interface RolePlacement {
  role: Role | string;
  status: 'clean' | 'off-ep' | 'skipped';
  /** Off-EP node names, at most 20 (`offEpCount` has them all); integer shape nodes are not listed. */
  offEp: string[];
  offEpCount: number;
  reason?: string;
}

/**
 * Where the variant's rewritten roles ran (CUDA sweeps): each rewritten role is loaded on the target EP,
 * run once, and every node's provider read from ORT's trace (src/profiler/placement-probe.ts).
 * 'off-ep': some role had nodes off the EP, so the variant measured CPU fallbacks, not its rewrite.
 */
export interface VariantPlacement {
  target: 'cpu' | 'cuda';
  status: 'clean' | 'off-ep' | 'skipped';
  roles: RolePlacement[];
}

/** One line of results.jsonl. */
export interface VariantResult extends PlannedVariant {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  status: 'ok' | 'error';
  error?: string;
  /** The manifest that was run. */
  manifest?: string;
  metrics?: RunMetrics;
  /** Placement check of the rewritten roles (CUDA sweeps, variants with passes). */
  placement?: VariantPlacement;
  /** Where it ran; `deviceId` is the GPU a `sweep --devices` worker used. */
  env: { ep: string; ortVersion?: string; node: string; host?: string; cpus?: number; gpu?: string; deviceId?: number };
  /** The shard of the sweep that ran it (`--shard i/n` or `--shard auto`, with the engine it was read from). */
  shard?: { index: number; count: number; engine?: string };
  startedAt: string;
  finishedAt: string;
  /** Wall seconds to build and run the variant. */
  totalSeconds: number;
}

/** What a driver is doing for a variant ('build', 'run', 'run 2/3', 'profile'), shown in progress lines. */
export type VariantStage = string;

export interface RunRequest {
  manifestPath: string;
  ep: 'cpu' | 'cuda';
  seed: number;
  steps?: number;
  repeats: number;
  /** The variant's run settings, whole (default PIPELINE_SETTINGS_DEFAULTS); a driver passes them on unchanged. */
  settings?: PipelineSettings;
  /** A folder with the FP32 baseline run; quality is measured against it. */
  baselineRunDir?: string;
  /** The GPU to run on (`sweep --devices`): reaches the sessions' CUDA provider; the CPU ignores it. */
  deviceId?: number;
  /**
   * The run folder. A driver writes run.json there and, with `settings.profile`, one ORT trace per role as
   * `<outDir>/profile/<role>.json` (the contract tests check both drivers).
   */
  outDir: string;
  /** The sweep's variant cache folder: a driver may keep files it makes per run there (the real one: graph settings). */
  cacheDir?: string;
  text?: string;
  /** Roles whose inputs this run writes to `<outDir>/calib/<role>` as calibration samples (the baseline's). */
  recordInputs?: readonly Role[];
  onStage?: (stage: VariantStage) => void;
}

/**
 * What the sweep and the gate need from the rest of the workbench: a baseline manifest, variant builds
 * (rewrite passes, cached by content hash) and pipeline runs. `createPipelineDriver()` is the real one.
 */
export interface SweepDriver {
  /** Resolves the baseline manifest (building the reference set when the spec names none). */
  baselineManifest(spec: SweepSpec, specDir: string): Promise<string>;
  /**
   * Writes a variant's models and manifest under `cacheDir` and returns the manifest path; passes that
   * calibrate read `<calibrationDir>/<role>` (samples the baseline run recorded) when given.
   */
  buildVariant(baseManifest: string, variant: PlannedVariant, cacheDir: string, calibrationDir?: string): Promise<string>;
  run(request: RunRequest): Promise<RunMetrics>;
  /**
   * Where the rewritten roles of a built variant run on `ep` (optional: a fake driver may leave it out).
   * The sweep calls it for CUDA sweeps on variants with passes, and marks the variant when nodes fell off.
   */
  checkPlacement?(manifestPath: string, variant: PlannedVariant, ep: 'cpu' | 'cuda'): Promise<VariantPlacement>;
  /** Environment recorded with each result. */
  env(ep: 'cpu' | 'cuda'): VariantResult['env'];
}

/**
 * What `roleError` holds for a role whose outputs cannot be compared with the baseline's (shapes differ, e.g. a
 * resolution variant's decoder): not an error size, so the report says it in words.
 */
export const ROLE_ERROR_NOT_COMPARABLE = 1e6;

/** The fields of a result that name its variant (every result of a variant starts with them). */
export function resultIdentity(
  v: PlannedVariant,
): Pick<VariantResult, 'schemaVersion' | 'id' | 'index' | 'name' | 'baseline' | 'spec' | 'passes' | 'settings'> {
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    id: v.id,
    index: v.index,
    name: v.name,
    baseline: v.baseline,
    spec: v.spec,
    passes: v.passes,
    ...(v.settings ? { settings: v.settings } : {}),
  };
}
