/**
 * One variant of a sweep: built (rewrite passes, cached by content hash), run (quality measured against the
 * baseline's run folder) and returned as its results.jsonl line. A failure is returned as a result with
 * status 'error', never thrown. Shared by the in-process sweep and the per-device workers (device-worker.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Role } from '../models/manifest.js';
import { CALIBRATION_SUBDIR } from './calibration-roles.js';
import type { Shard } from './shard.js';
import { variantSettings } from './spec.js';
import { resultIdentity, type PlannedVariant, type SweepDriver, type SweepSpec, type VariantPlacement, type VariantResult } from './types.js';
import { placementLineOf } from './variant-placement.js';

export const RUN_VARIANT_DEFAULTS = { repeats: 1, seed: 1 } as const;

export interface VariantContext {
  spec: SweepSpec;
  driver: SweepDriver;
  ep: 'cpu' | 'cuda';
  /** The sweep's output folder (runs/<id>/ go under it). */
  out: string;
  cacheDir: string;
  baseManifest: string;
  baselineRunDir: string | undefined;
  /** Roles some variant calibrates (mixed, static INT8): the baseline run records their inputs. */
  calibrationRoles: readonly Role[];
  /** The GPU this variant runs on (`sweep --devices`); recorded in the result. */
  deviceId?: number;
  /** The shard this sweep is (`--shard`); recorded in the result. */
  shard?: Shard;
  onStage: (stage: string) => void;
  /** Warning lines (the placement check's). */
  log: (s: string) => void;
}

/**
 * The placement check of a built variant (CUDA sweeps, variants with passes, drivers that offer it): one
 * warning line per off-EP variant naming its nodes. A check that throws is recorded as skipped: it must not
 * fail the variant.
 */
async function variantPlacement(v: PlannedVariant, manifest: string, ctx: VariantContext): Promise<VariantPlacement | undefined> {
  if (ctx.ep !== 'cuda' || !ctx.driver.checkPlacement || !Object.keys(v.passes).length) return undefined;
  ctx.onStage('placement');
  let p: VariantPlacement;
  try {
    p = await ctx.driver.checkPlacement(manifest, v, ctx.ep);
  } catch (e) {
    p = { target: ctx.ep, status: 'skipped', roles: [{ role: '*', status: 'skipped', offEp: [], offEpCount: 0, reason: (e as Error).message }] };
  }
  const line = placementLineOf(p);
  if (line) ctx.log(`sweep: warning: ${v.name}: ${line}\n`);
  return p;
}

export async function runVariant(v: PlannedVariant, ctx: VariantContext): Promise<VariantResult> {
  const { spec } = ctx;
  const startedAt = new Date();
  const t0 = performance.now();
  const base = {
    ...resultIdentity(v),
    env: { ...ctx.driver.env(ctx.ep), ...(ctx.deviceId !== undefined ? { deviceId: ctx.deviceId } : {}) },
    ...(ctx.shard ? { shard: { index: ctx.shard.index, count: ctx.shard.count, ...(ctx.shard.engine ? { engine: ctx.shard.engine } : {}) } } : {}),
    startedAt: startedAt.toISOString(),
  } as const;
  let manifest: string | undefined;
  try {
    ctx.onStage('build');
    const calib = ctx.baselineRunDir ? join(ctx.baselineRunDir, CALIBRATION_SUBDIR) : undefined;
    manifest = Object.keys(v.passes).length ? await ctx.driver.buildVariant(ctx.baseManifest, v, ctx.cacheDir, calib) : ctx.baseManifest;
    const placement = await variantPlacement(v, manifest, ctx);
    const runDir = join(ctx.out, 'runs', v.id);
    mkdirSync(dirname(runDir), { recursive: true });
    const steps = v.spec.steps ?? spec.steps;
    const metrics = await ctx.driver.run({
      manifestPath: manifest,
      ep: ctx.ep,
      seed: spec.seed ?? RUN_VARIANT_DEFAULTS.seed,
      ...(steps !== undefined ? { steps } : {}),
      repeats: spec.repeats ?? RUN_VARIANT_DEFAULTS.repeats,
      settings: v.settings ?? variantSettings(spec, v.spec),
      ...(ctx.deviceId !== undefined ? { deviceId: ctx.deviceId } : {}),
      ...(ctx.baselineRunDir && !v.baseline ? { baselineRunDir: ctx.baselineRunDir } : {}),
      ...(spec.text !== undefined ? { text: spec.text } : {}),
      ...(v.baseline && ctx.calibrationRoles.length ? { recordInputs: ctx.calibrationRoles } : {}),
      outDir: runDir,
      cacheDir: ctx.cacheDir,
      onStage: ctx.onStage,
    });
    return {
      ...base,
      status: 'ok',
      manifest,
      ...(placement ? { placement } : {}),
      metrics: { ...metrics, runDir: metrics.runDir ?? runDir },
      finishedAt: new Date().toISOString(),
      totalSeconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    const error = (e as Error).message ?? String(e);
    return {
      ...base,
      status: 'error',
      error,
      ...(manifest ? { manifest } : {}),
      finishedAt: new Date().toISOString(),
      totalSeconds: (performance.now() - t0) / 1000,
    };
  }
}
