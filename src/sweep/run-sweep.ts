/**
 * Runs a sweep: the FP32 baseline first, then every planned variant of this shard that is not already in
 * results.jsonl. Each variant is built (rewrite passes, cached by content hash), run (quality measured
 * against the baseline's run folder) and appended to results.jsonl as one fsynced line. A failing variant
 * is recorded with status 'error' and the sweep goes on; a failing baseline stops it.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RuntimeError } from '../errors.js';
import type { Role } from '../models/manifest.js';
import { CALIBRATION_SUBDIR, rolesToCalibrate } from './calibration-roles.js';
import { createStderrProgress, type ProgressSink } from './progress.js';
import { appendResult, readResults, repairResults, RESULTS_FILE } from './result-store.js';
import { inShard, type Shard } from './shard.js';
import { expandVariants, variantSettings } from './spec.js';
import { RESULT_SCHEMA_VERSION, type PlannedVariant, type SweepDriver, type SweepSpec, type VariantPlacement, type VariantResult } from './types.js';
import { placementLineOf } from './variant-placement.js';

export interface SweepOptions {
  /** Output folder: results.jsonl, runs/<variant id>/. */
  out: string;
  ep: 'cpu' | 'cuda';
  /** Skip variants already in results.jsonl (default: start a fresh results.jsonl). */
  resume?: boolean;
  shard?: Shard;
  driver: SweepDriver;
  /** Folder of the spec file (relative manifest paths resolve against it). */
  specDir?: string;
  /** Where built variant models are cached (content hash of source + passes). Default models/cache/variants. */
  cacheDir?: string;
  /** Progress lines (stderr by default). */
  log?: (s: string) => void;
}

export const SWEEP_DEFAULTS = { cacheDir: 'models/cache/variants', repeats: 1, seed: 1 } as const;

export interface SweepOutcome {
  resultsFile: string;
  planned: PlannedVariant[];
  /** Results of this shard, in run order, including the ones found on resume. */
  results: VariantResult[];
  skipped: number;
  ran: number;
  repaired: boolean;
}

/** Runs `spec` and returns every result of this shard. */
export async function runSweep(spec: SweepSpec, options: SweepOptions): Promise<SweepOutcome> {
  const out = resolve(options.out);
  const resultsFile = join(out, RESULTS_FILE);
  const log = options.log ?? ((s: string) => process.stderr.write(s));
  const driver = options.driver;
  mkdirSync(out, { recursive: true });
  let repaired = false;
  if (!options.resume && existsSync(resultsFile)) rmSync(resultsFile);
  if (options.resume) {
    repaired = repairResults(resultsFile);
    if (repaired) log(`sweep: cut a torn last line off ${resultsFile}\n`);
  }
  const existing = readResults(resultsFile).results;
  const done = new Map(existing.map((r) => [r.id, r]));
  const planned = expandVariants(spec);
  const baselinePlan = planned[0];
  if (!baselinePlan) throw new RuntimeError('sweep', 'no variants planned');
  // Every shard needs the baseline as its quality reference; the merge dedupes it by id.
  const mine = planned.filter((v) => v.baseline || inShard(v.index, options.shard));
  const progress = createStderrProgress(mine.length, log);
  const baseManifest = await driver.baselineManifest(spec, options.specDir ?? process.cwd());
  const cacheDir = resolve(options.cacheDir ?? SWEEP_DEFAULTS.cacheDir);
  const results: VariantResult[] = [];
  const calibrationRoles = rolesToCalibrate(mine);
  let baselineRunDir: string | undefined;
  let skipped = 0;
  let ran = 0;
  for (const v of mine) {
    const prev = done.get(v.id);
    if (prev) {
      skipped++;
      results.push(prev);
      if (v.baseline) baselineRunDir = prev.metrics?.runDir;
      progress.variantDone(v.name, 'skipped', 'already in results.jsonl');
      continue;
    }
    progress.started(v.name);
    const result = await runVariant(spec, v, { ...options, out, cacheDir, baseManifest, baselineRunDir, calibrationRoles, progress });
    appendResult(resultsFile, result);
    done.set(v.id, result);
    results.push(result);
    ran++;
    const detail = result.status === 'ok' && result.metrics ? `rtf ${result.metrics.rtf.toFixed(3)}` : (result.error ?? '');
    progress.variantDone(v.name, result.status, detail);
    if (v.baseline) {
      if (result.status !== 'ok') throw new RuntimeError('sweep', `the FP32 baseline failed, so no variant can be measured against it: ${result.error ?? 'unknown error'}`);
      baselineRunDir = result.metrics?.runDir;
    }
  }
  return { resultsFile, planned, results, skipped, ran, repaired };
}

interface VariantContext extends SweepOptions {
  out: string;
  cacheDir: string;
  baseManifest: string;
  baselineRunDir: string | undefined;
  /** Roles some variant calibrates (mixed, static INT8): the baseline run records their inputs. */
  calibrationRoles: Role[];
  progress: ProgressSink;
}

/**
 * The placement check of a built variant (CUDA sweeps, variants with passes, drivers that offer it): one
 * warning line per off-EP variant naming its nodes. A check that throws is recorded as skipped: it must not
 * fail the variant.
 */
async function variantPlacement(v: PlannedVariant, manifest: string, ctx: VariantContext): Promise<VariantPlacement | undefined> {
  if (ctx.ep !== 'cuda' || !ctx.driver.checkPlacement || !Object.keys(v.passes).length) return undefined;
  ctx.progress.variantStage(v.name, 'placement');
  let p: VariantPlacement;
  try {
    p = await ctx.driver.checkPlacement(manifest, v, ctx.ep);
  } catch (e) {
    p = { target: ctx.ep, status: 'skipped', roles: [{ role: '*', status: 'skipped', offEp: [], offEpCount: 0, reason: (e as Error).message }] };
  }
  const line = placementLineOf(p);
  if (line) (ctx.log ?? ((s: string) => process.stderr.write(s)))(`sweep: warning: ${v.name}: ${line}\n`);
  return p;
}

async function runVariant(spec: SweepSpec, v: PlannedVariant, ctx: VariantContext): Promise<VariantResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const base = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    id: v.id,
    index: v.index,
    name: v.name,
    baseline: v.baseline,
    spec: v.spec,
    passes: v.passes,
    ...(v.settings ? { settings: v.settings } : {}),
    env: ctx.driver.env(ctx.ep),
    startedAt: startedAt.toISOString(),
  } as const;
  let manifest: string | undefined;
  try {
    ctx.progress.variantStage(v.name, 'build');
    const calib = ctx.baselineRunDir ? join(ctx.baselineRunDir, CALIBRATION_SUBDIR) : undefined;
    manifest = Object.keys(v.passes).length ? await ctx.driver.buildVariant(ctx.baseManifest, v, ctx.cacheDir, calib) : ctx.baseManifest;
    const placement = await variantPlacement(v, manifest, ctx);
    const runDir = join(ctx.out, 'runs', v.id);
    mkdirSync(dirname(runDir), { recursive: true });
    const steps = v.spec.steps ?? spec.steps;
    const metrics = await ctx.driver.run({
      manifestPath: manifest,
      ep: ctx.ep,
      seed: spec.seed ?? SWEEP_DEFAULTS.seed,
      ...(steps !== undefined ? { steps } : {}),
      repeats: spec.repeats ?? SWEEP_DEFAULTS.repeats,
      settings: v.settings ?? variantSettings(spec, v.spec),
      ...(ctx.baselineRunDir && !v.baseline ? { baselineRunDir: ctx.baselineRunDir } : {}),
      ...(spec.text !== undefined ? { text: spec.text } : {}),
      ...(v.baseline && ctx.calibrationRoles.length ? { recordInputs: ctx.calibrationRoles } : {}),
      outDir: runDir,
      onStage: (stage) => ctx.progress.variantStage(v.name, stage),
    });
    return { ...base, status: 'ok', manifest, ...(placement ? { placement } : {}), metrics: { ...metrics, runDir: metrics.runDir ?? runDir }, finishedAt: new Date().toISOString(), totalSeconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    const error = (e as Error).message ?? String(e);
    return { ...base, status: 'error', error, ...(manifest ? { manifest } : {}), finishedAt: new Date().toISOString(), totalSeconds: (performance.now() - t0) / 1000 };
  }
}
