/**
 * The real SweepDriver: the baseline manifest (the reference set is built when the spec names none),
 * variant builds (each rewritten role cached under `<cacheDir>/<sha256(source bytes + passes + ep)>/`, the
 * variant's manifest.json pointing at them) and pipeline runs through src/runner, repeated and reduced to
 * medians. Quality is measured once against the baseline's run folder.
 */
import { StageError } from '../core/input-error.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { ManifestError } from '../errors.js';
import { buildReferenceSet } from '../models/build.js';
import type { Manifest, Role, RoleSpec } from '../models/manifest.js';
import { readManifestJson, sha256File, tensorSpecOf } from '../models/manifest-io.js';
import { readModel } from '../onnx/read-model.js';
import { writeModel } from '../onnx/write-model.js';
import { PIPELINE_SETTINGS_DEFAULTS, type PipelineSettings } from '../runner/pipeline-settings.js';
import { runPipeline } from '../runner/run-pipeline.js';
import type { QualityReport, RunResult } from '../runner/run-result.js';
import { onnxruntimeVersion } from '../runtime/index.js';
import { loadCalibrationDir } from '../quantize/calibrate.js';
import { applyPasses, needsCalibration } from './apply-passes.js';
import { summarizeRunProfile } from './profile-summary.js';
import { CALIBRATION_MAX_SAMPLES, CALIBRATION_SUBDIR, calibrationEvery } from './calibration-roles.js';
import { PSNR_IDENTICAL } from './rank.js';
import { ROLE_ERROR_NOT_COMPARABLE } from './types.js';
import { checkManifestPlacement } from './variant-placement.js';
import { writeRunPreview } from './run-preview.js';
import { canonicalJson } from './spec.js';
import type { PassSpec, PlannedVariant, QualityMetrics, RunMetrics, RunRequest, StageMetric, SweepDriver, SweepSpec } from './types.js';
import { median } from '../core/stats.js';

export const DEFAULT_TEXT = 'Hello there, this is a short test of the talking avatar.';

export interface PipelineDriverOptions {
  /** Where reference sets are built when a spec names no manifest (default models/reference/<scale>). */
  referenceDir?: (scale: 'tiny' | 'full') => string;
  /** Progress lines (reference build). */
  log?: (s: string) => void;
}

const finite = (v: number | undefined | null): number | undefined =>
  v === undefined || v === null || Number.isNaN(v) ? undefined : Number.isFinite(v) ? v : v > 0 ? PSNR_IDENTICAL : -PSNR_IDENTICAL;

/** The runner's quality report as sweep metrics (identical outputs → PSNR_IDENTICAL dB, never Infinity). */
export function qualityMetricsOf(q: QualityReport): QualityMetrics {
  const out: QualityMetrics = {};
  const set = <K extends keyof QualityMetrics>(k: K, v: QualityMetrics[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set('framePsnrMean', finite(q.frames?.psnrMean));
  set('framePsnrWorst', finite(q.frames?.psnrWorst));
  set('ssimMean', finite(q.frames?.ssimMean));
  set('ssimWorst', finite(q.frames?.ssimWorst));
  set('audioSnr', finite(q.audio?.snrDb));
  set('logMelDistance', finite(q.audio?.logMelDistanceDb));
  set('motionError', finite(q.motion?.rmse));
  const roleError: Record<string, number> = {};
  for (const [role, outs] of Object.entries(q.roles)) {
    // Infinity (shapes differ) → ROLE_ERROR_NOT_COMPARABLE; NaN (e.g. all-zero reference) is left out.
    const vals = Object.values(outs ?? {}).filter((x) => !Number.isNaN(x));
    if (vals.length) roleError[role] = Math.min(Math.max(...vals), ROLE_ERROR_NOT_COMPARABLE);
  }
  if (Object.keys(roleError).length) out.roleError = roleError;
  if (q.firstDivergentRole) out.firstDivergentRole = q.firstDivergentRole;
  return out;
}

/** Stages for the stacked bars: sub-stages ('ditto.render') when the runner reports them, else top-level stages. */
export function stagesOf(runs: readonly RunResult[]): StageMetric[] {
  const first = runs[0];
  if (!first) return [];
  const keys = Object.keys(first.timing.stagesMs);
  const subs = keys.filter((k) => k.includes('.'));
  const chosen = subs.length ? subs : keys;
  const audio = first.audio.seconds || 1;
  return chosen.map((stage) => {
    const seconds = median(runs.map((r) => (r.timing.stagesMs[stage] ?? 0) / 1000));
    const m: StageMetric = { stage, seconds, rtf: seconds / audio };
    const steps = runs.map((r) => r.timing.timeline?.[stage]).filter((t): t is [number, number][] => t !== undefined && t.length > 0);
    if (steps.length === runs.length) {
      m.startSeconds = median(steps.map((t) => (t[0] as [number, number])[0] / 1000));
      m.endSeconds = median(steps.map((t) => (t[t.length - 1] as [number, number])[1] / 1000));
    }
    return m;
  });
}

/** Reduces repeated runs of one variant to medians, with the per-repeat samples kept. */
export function metricsOfRuns(runs: readonly RunResult[], modelBytes: number | undefined): RunMetrics {
  const first = runs[0];
  if (!first) throw new ManifestError('run', 'repeats', 'no runs');
  const audioSeconds = first.audio.seconds;
  const rtfs = runs.map((r) => r.timing.rtf.endToEnd ?? r.timing.totalMs / 1000 / r.audio.seconds);
  const stageSeconds: Record<string, number[]> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.timing.stagesMs)) (stageSeconds[k] ??= []).push(v / 1000);
  const roles = Object.entries(first.roles).map(([role, s]) => ({
    role,
    calls: s?.calls ?? 0,
    ...(s?.steps !== undefined ? { steps: s.steps } : {}),
    seconds: median(runs.map((r) => (r.roles[role as Role]?.totalMs ?? 0) / 1000)),
    medianCallMs: median(runs.map((r) => r.roles[role as Role]?.medianMs ?? 0)),
    maxCallMs: median(runs.map((r) => r.roles[role as Role]?.maxMs ?? 0)),
    ...(s?.maxRunMs !== undefined
      ? {
          maxRunMs: median(runs.map((r) => r.roles[role as Role]?.maxRunMs ?? 0)),
          maxWaitMs: median(runs.map((r) => r.roles[role as Role]?.maxWaitMs ?? 0)),
        }
      : {}),
  }));
  const m: RunMetrics = {
    audioSeconds,
    wallSeconds: median(runs.map((r) => r.timing.totalMs / 1000)),
    rtf: median(rtfs),
    stages: stagesOf(runs),
    roles,
    memory: {
      peakRssBytes: Math.max(...runs.map((r) => r.memory.peakHostRssBytes)),
      ...(modelBytes !== undefined ? { modelBytes } : {}),
      ...(first.memory.peakDeviceBytes !== null ? { gpuBytes: Math.max(...runs.map((r) => r.memory.peakDeviceBytes ?? 0)) } : {}),
    },
    samples: { rtf: rtfs, stageSeconds },
  };
  const ttff = median(runs.map((r) => r.timing.timeToFirstFrameMs ?? Number.NaN));
  if (Number.isFinite(ttff)) m.ttffSeconds = ttff / 1000;
  const warm = median(runs.map((r) => r.timing.warmupMs ?? Number.NaN));
  if (Number.isFinite(warm)) m.warmupSeconds = warm / 1000;
  const q = runs.find((r) => r.quality)?.quality;
  if (q) m.quality = qualityMetricsOf(q);
  return m;
}

/** Bytes of the model files (and their external data) a manifest loads. */
export function manifestModelBytes(manifestPath: string): number | undefined {
  const m = readManifestJson(manifestPath);
  const dir = dirname(manifestPath);
  let total = 0;
  const seen = new Set<string>();
  for (const spec of Object.values(m.roles)) {
    if (!spec) continue;
    const f = resolve(dir, spec.file);
    for (const p of [f, `${f}.data`]) {
      if (seen.has(p) || !existsSync(p)) continue;
      seen.add(p);
      total += statSync(p).size;
    }
  }
  return total || undefined;
}

/** Passes for one role: the `*` passes, then the role's own. */
/**
 * Roles whose float16 variant keeps float16 graph I/O by default: the GPT graphs, so their KV cache (~120 MB
 * a token in float32) crosses the host at half the bytes and stays float16 between steps in the runner.
 */
const FLOAT16_IO_ROLES: ReadonlySet<Role> = new Set(['gpt_prefill', 'gpt_decode']);

/**
 * A role's passes, with the `keepIo` default of the float16 passes (fp16, mixed) resolved: float32 I/O (the
 * Casts run on the GPU) except for the GPT graphs. Measured on the H100 pipeline: a float16-I/O decoder
 * converted its input and output on the host for every frame, 34 ms a call against 21.5 ms in FP32
 * (`reports/h100/sweep-kv16`). A float16-I/O LMDM also leaves the runner's device path (float32 buffers), so
 * with `enable_cuda_graph` on lmdm its host path fails (H200 round 8d).
 */
export function passesForRole(v: Pick<PlannedVariant, 'passes'>, role: Role): PassSpec[] {
  return [...(v.passes['*'] ?? []), ...(v.passes[role] ?? [])].map((p) =>
    (p.pass === 'fp16' || p.pass === 'mixed') && p.keepIo === undefined ? { ...p, keepIo: !FLOAT16_IO_ROLES.has(role) } : p,
  );
}

/** A role's spatial input size: the last dim of its first rank ≥ 4 float input, from the manifest. */
function spatialSize(spec: RoleSpec): number | undefined {
  for (const t of Object.values(spec.inputs)) {
    const last = t.shape[t.shape.length - 1];
    if (t.type === 'float32' && t.shape.length >= 4 && typeof last === 'number') return last;
  }
  return undefined;
}

/**
 * Writes the variant's rewritten role models (content-hash cached) and a manifest.json that points at
 * them (unchanged roles point back at the base files); returns the manifest path. A resolution pass
 * rescales each role's spatial input by outputSize / config.outputSize and the config's sizes with it;
 * rewritten roles take their I/O specs from the rewritten graphs.
 */
export async function buildVariantManifest(
  baseManifest: string,
  v: PlannedVariant,
  cacheDir: string,
  ep: 'cpu' | 'cuda',
  calibrationDir?: string,
): Promise<string> {
  const base = readManifestJson(baseManifest);
  const baseDir = dirname(resolve(baseManifest));
  const outDir = join(cacheDir, 'manifests', v.id);
  mkdirSync(outDir, { recursive: true });
  const roles: Manifest['roles'] = {};
  const config = { ...base.config };
  let scale: number | undefined;
  for (const [roleName, spec] of Object.entries(base.roles)) {
    if (!spec) continue;
    const role = roleName as Role;
    const src = resolve(baseDir, spec.file);
    const passes = passesForRole(v, role);
    if (!passes.length) {
      roles[role] = { ...spec, file: relative(outDir, src) };
      continue;
    }
    const res = passes.find((p): p is Extract<PassSpec, { pass: 'resolution' }> => p.pass === 'resolution');
    let resolutionSize: number | undefined;
    if (res) {
      scale = res.outputSize / base.config.outputSize;
      const s = spatialSize(spec);
      if (s !== undefined) resolutionSize = Math.max(1, Math.round(s * scale));
    }
    const calib = calibrationDir && needsCalibration(passes) ? join(calibrationDir, role) : undefined;
    const calibKey = calib ? calibrationFingerprint(calib) : undefined;
    const key = createHash('sha256')
      .update(sha256File(src))
      .update(canonicalJson({ passes, ep, resolutionSize, ...(calibKey ? { calibration: calibKey } : {}) }))
      .digest('hex')
      .slice(0, 24);
    const file = join(cacheDir, key, `${role}.onnx`);
    if (!existsSync(file)) {
      const srcModel = readModel(src).model;
      const samples = calibKey && calib ? loadCalibrationDir(calib, srcModel) : undefined;
      const model = await applyPasses(
        srcModel,
        passes,
        { ep, ...(resolutionSize !== undefined ? { resolutionSize } : {}), ...(samples ? { samples } : {}) },
        `${v.name}/${role}`,
      );
      const tmp = join(cacheDir, `${key}.tmp-${process.pid}`);
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      writeModel(model, join(tmp, `${role}.onnx`));
      rmSync(join(cacheDir, key), { recursive: true, force: true });
      renameSync(tmp, join(cacheDir, key));
    }
    const g = readModel(file, { loadExternalData: false, verify: false }).model.graph;
    const inputs: RoleSpec['inputs'] = {};
    const outputs: RoleSpec['outputs'] = {};
    for (const x of g.inputs) if (!x.initializer) inputs[x.name] = tensorSpecOf(x);
    for (const x of g.outputs) outputs[x.name] = tensorSpecOf(x);
    const rewritten: RoleSpec = { ...spec, file: relative(outDir, file), sha256: sha256File(file), inputs, outputs };
    delete rewritten.macsPerCall;
    delete rewritten.params;
    roles[role] = rewritten;
  }
  if (scale !== undefined) {
    // The source crop changes only when the extractors were rescaled too.
    if (passesForRole(v, 'appearance_extractor').some((p) => p.pass === 'resolution')) config.sourceSize = Math.round(base.config.sourceSize * scale);
    config.outputSize = Math.round(base.config.outputSize * scale);
  }
  const manifest: Manifest = { ...base, name: `${base.name}+${v.name}`, roles, config };
  if (base.vocab) manifest.vocab = relative(outDir, resolve(baseDir, base.vocab));
  const path = join(outDir, 'manifest.json');
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return path;
}

/**
 * Identifies a recorded calibration folder for the variant cache key (sample names and sizes), or
 * undefined when it holds no samples.
 */
function calibrationFingerprint(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (!files.length) return undefined;
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex').slice(0, 16);
}

/** The sub-folder of a sweep's variant cache for the runs' graph-setting files (src/runner/graph-settings.ts). */
export const GRAPH_SETTINGS_CACHE = 'graph-settings';

/** Settings a variant's later repeats leave to the first: what they add (traces, renderers) does not change with repeats. */
const ONCE_PER_VARIANT = { profile: false, workers: 1 } as const satisfies Partial<PipelineSettings>;

/**
 * A variant whose extra renderers failed (an error or a timeout in a worker) is a failed variant: its worker
 * scaling was not measured, and its single-stream figures must not stand in for it. One line naming the
 * first failure; renderers stopped for memory are a measured limit, not a failure.
 */
export function workerFailureOf(first: RunResult | undefined): StageError | undefined {
  const w = first?.workers;
  if (!w || w.failed === 0) return undefined;
  return new StageError('workers', 'error', `${w.failed} of ${w.requested} renderers failed (${w.firstFailure ?? 'no message'})`);
}

/** What the first repeat alone measures: the settings it applied, its profile and its worker scaling. */
function onceMetrics(first: RunResult | undefined, runDir: string): Pick<RunMetrics, 'settings' | 'profile' | 'workers'> {
  if (!first) return {};
  const m: Pick<RunMetrics, 'settings' | 'profile' | 'workers'> = { settings: first.appliedSettings };
  if (first.profile) m.profile = summarizeRunProfile(runDir, first.profile);
  const w = first.workers;
  if (w && w.medianRtf !== null) m.workers = [{ workers: w.ok, rtf: w.medianRtf, throughput: w.throughputAudioSecondsPerSecond }];
  return m;
}

/** The real driver (rewrite passes + src/runner). */
export function createPipelineDriver(o: PipelineDriverOptions = {}): SweepDriver {
  let ep: 'cpu' | 'cuda' = 'cpu';
  return {
    async baselineManifest(spec: SweepSpec, specDir: string) {
      if (spec.manifest) return resolve(specDir, spec.manifest);
      const scale = spec.scale ?? 'tiny';
      const outDir = o.referenceDir?.(scale) ?? join('models', 'reference', scale);
      const r = buildReferenceSet({
        scale,
        seed: 1,
        outDir,
        onProgress: (e) => o.log?.(`reference set: built ${e.role} (${(e.bytes / 2 ** 20).toFixed(1)} MiB, ${e.seconds.toFixed(1)} s)\n`),
      });
      return r.manifestPath;
    },
    async buildVariant(baseManifest, v, cacheDir, calibrationDir) {
      return buildVariantManifest(baseManifest, v, cacheDir, ep, calibrationDir);
    },
    async checkPlacement(manifestPath, v, e) {
      const roles = Object.keys(readManifestJson(manifestPath).roles).filter((r) => passesForRole(v, r as Role).length) as Role[];
      return checkManifestPlacement(manifestPath, roles, e);
    },
    async run(req: RunRequest) {
      ep = req.ep;
      const settings = req.settings ?? PIPELINE_SETTINGS_DEFAULTS;
      const runs: RunResult[] = [];
      for (let i = 0; i < req.repeats; i++) {
        req.onStage?.(req.repeats > 1 ? `run ${i + 1}/${req.repeats}` : 'run');
        const out = i === 0 ? req.outDir : join(req.outDir, `repeat-${i}`);
        runs.push(
          await runPipeline({
            manifest: req.manifestPath,
            text: req.text ?? DEFAULT_TEXT,
            ep: req.ep,
            seed: req.seed,
            ...(req.steps !== undefined ? { steps: req.steps } : {}),
            out,
            // The renderGraph/renderBatch/diffusionLoop files, built once and shared by repeats and variants.
            ...(req.cacheDir ? { graphCacheDir: join(req.cacheDir, GRAPH_SETTINGS_CACHE) } : {}),
            ...(req.deviceId !== undefined ? { deviceId: req.deviceId } : {}),
            // Quality once, on the first run: the outputs of every repeat are the same.
            ...(i === 0 && req.baselineRunDir ? { baseline: req.baselineRunDir } : {}),
            // Whole; the profile pass and the extra renderers run once, with the first repeat.
            settings: i === 0 ? settings : { ...settings, ...ONCE_PER_VARIANT },
            ...(i === 0 && req.recordInputs?.length
              ? {
                  recordInputs: {
                    dir: join(out, CALIBRATION_SUBDIR),
                    roles: req.recordInputs,
                    every: calibrationEvery(req.steps),
                    max: CALIBRATION_MAX_SAMPLES,
                  },
                }
              : {}),
            mp4: false,
          }),
        );
        if (i > 0) rmSync(out, { recursive: true, force: true });
      }
      const failed = workerFailureOf(runs[0]);
      if (failed) throw failed;
      // Thumbnails and an audio excerpt for the report (run-preview.ts), beside the run.
      writeRunPreview(req.outDir);
      return { ...metricsOfRuns(runs, manifestModelBytes(req.manifestPath)), ...onceMetrics(runs[0], req.outDir), runDir: req.outDir };
    },
    env(e) {
      ep = e;
      return { ep: e, ortVersion: onnxruntimeVersion(), node: process.version, host: hostname(), cpus: cpus().length };
    },
  };
}
