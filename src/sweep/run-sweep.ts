/**
 * Runs a sweep: the FP32 baseline first, then every planned variant of this shard that is not already in
 * results.jsonl. Each variant is built, run and appended to results.jsonl as one fsynced line
 * (run-variant.ts). A failing variant is recorded with status 'error' and the sweep goes on; a failing
 * baseline stops it. With `devices`, one worker process per device runs the variants after the baseline
 * concurrently (device-pool.ts); the file is then rewritten in spec order, so it reads as a one-device sweep's.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RuntimeError } from '../errors.js';
import { rolesToCalibrate } from './calibration-roles.js';
import { DevicePool, type DeviceWorkerEntry } from './device-pool.js';
import { createStderrProgress } from './progress.js';
import { appendResult, readResults, repairResults, RESULTS_FILE, rewriteResults } from './result-store.js';
import { runVariant, RUN_VARIANT_DEFAULTS, type VariantContext } from './run-variant.js';
import { inShard, type Shard } from './shard.js';
import { expandVariants } from './spec.js';
import { sweepMeta, writeSweepMeta } from './sweep-meta.js';
import type { PlannedVariant, SweepDriver, SweepSpec, VariantResult } from './types.js';

export interface SweepOptions {
  /** Output folder: results.jsonl, sweep.json, runs/<variant id>/. */
  out: string;
  ep: 'cpu' | 'cuda';
  /** Skip variants already in results.jsonl (default: start a fresh results.jsonl). */
  resume?: boolean;
  /** This process's part of the sweep; `source` says where `--shard auto` read it. */
  shard?: Shard & { source?: string };
  driver: SweepDriver;
  /** Folder of the spec file (relative manifest paths resolve against it). */
  specDir?: string;
  /** Where built variant models are cached (content hash of source + passes). Default models/cache/variants. */
  cacheDir?: string;
  /**
   * Run variants concurrently, one worker process per device id (`sweep --devices 0,1`); `workerEntry` says
   * how to start one. Absent: every variant runs in this process, on the default device.
   */
  devices?: readonly number[];
  workerEntry?: DeviceWorkerEntry;
  /** Progress lines (stderr by default). */
  log?: (s: string) => void;
}

export const SWEEP_DEFAULTS = { cacheDir: 'models/cache/variants', ...RUN_VARIANT_DEFAULTS } as const;

export interface SweepOutcome {
  resultsFile: string;
  planned: PlannedVariant[];
  /** Results of this shard in spec order, including the ones found on resume. */
  results: VariantResult[];
  skipped: number;
  ran: number;
  repaired: boolean;
}

/** Opens results.jsonl: fresh, or (resume) with a torn last line cut off; returns what it holds. */
function openResults(resultsFile: string, resume: boolean, log: (s: string) => void): { existing: VariantResult[]; repaired: boolean } {
  let repaired = false;
  if (!resume && existsSync(resultsFile)) rmSync(resultsFile);
  if (resume) {
    repaired = repairResults(resultsFile);
    if (repaired) log(`sweep: cut a torn last line off ${resultsFile}\n`);
  }
  return { existing: readResults(resultsFile).results, repaired };
}

function shardLabel(shard: Shard | undefined): string | undefined {
  return shard ? `shard ${shard.index}/${shard.count}${shard.engine ? ` (${shard.engine})` : ''}` : undefined;
}

/** Runs `spec` and returns every result of this shard. */
export async function runSweep(spec: SweepSpec, options: SweepOptions): Promise<SweepOutcome> {
  const out = resolve(options.out);
  const resultsFile = join(out, RESULTS_FILE);
  const log = options.log ?? ((s: string) => process.stderr.write(s));
  const driver = options.driver;
  const devices = options.devices?.length ? options.devices : undefined;
  mkdirSync(out, { recursive: true });
  const { existing, repaired } = openResults(resultsFile, options.resume ?? false, log);
  const done = new Map(existing.map((r) => [r.id, r]));
  const planned = expandVariants(spec);
  const baselinePlan = planned[0];
  if (!baselinePlan?.baseline) throw new RuntimeError('sweep', 'no variants planned');
  // Every shard needs the baseline as its quality reference; the merge keeps one.
  const mine = planned.filter((v) => v.baseline || inShard(v.index, options.shard));
  const progress = createStderrProgress(mine.length, log, { ...(options.shard ? { label: shardLabel(options.shard) } : {}), parallel: devices?.length ?? 1 });
  const baseManifest = await driver.baselineManifest(spec, options.specDir ?? process.cwd());
  writeSweepMeta(
    out,
    sweepMeta(spec, planned, baseManifest, { ep: options.ep, ...(options.shard ? { shard: options.shard } : {}), ...(devices ? { devices } : {}) }),
  );
  const shared = {
    spec,
    driver,
    ep: options.ep,
    log,
    out,
    cacheDir: resolve(options.cacheDir ?? SWEEP_DEFAULTS.cacheDir),
    baseManifest,
    calibrationRoles: rolesToCalibrate(mine),
    ...(options.shard ? { shard: options.shard } : {}),
  };

  let skipped = 0;
  let ran = 0;
  const todo: PlannedVariant[] = [];
  for (const v of mine) {
    if (done.has(v.id)) {
      skipped++;
      progress.variantDone(v.name, 'skipped', 'already in results.jsonl');
    } else todo.push(v);
  }
  const record = (v: PlannedVariant, result: VariantResult): void => {
    appendResult(resultsFile, result);
    done.set(v.id, result);
    ran++;
    const detail = result.status === 'ok' && result.metrics ? `rtf ${result.metrics.rtf.toFixed(3)}` : (result.error ?? '');
    progress.variantDone(v.name, result.status, detail);
  };
  const checkBaseline = (r: VariantResult | undefined): string | undefined => {
    if (r && r.status !== 'ok')
      throw new RuntimeError('sweep', `the FP32 baseline failed, so no variant can be measured against it: ${r.error ?? 'unknown error'}`);
    return r?.metrics?.runDir;
  };

  const rest = todo.filter((v) => !v.baseline);
  const baselineTodo = todo.find((v) => v.baseline);
  if (!devices) {
    // One process: the baseline, then the rest in spec order.
    let baselineRunDir = checkBaseline(done.get(baselinePlan.id));
    const ctx = (v: PlannedVariant): VariantContext => ({ ...shared, baselineRunDir, onStage: (stage) => progress.variantStage(v.name, stage) });
    if (baselineTodo) {
      progress.started(baselineTodo.name);
      const r = await runVariant(baselineTodo, ctx(baselineTodo));
      record(baselineTodo, r);
      baselineRunDir = checkBaseline(r);
    }
    for (const v of rest) {
      progress.started(v.name);
      record(v, await runVariant(v, ctx(v)));
    }
  } else {
    if (!options.workerEntry) throw new RuntimeError('sweep', '--devices needs a worker entry (the CLI passes its own)');
    const pool = new DevicePool({
      devices,
      entry: options.workerEntry,
      init: {
        spec,
        ep: options.ep,
        out,
        cacheDir: shared.cacheDir,
        baseManifest,
        calibrationRoles: shared.calibrationRoles,
        ...(options.shard ? { shard: options.shard } : {}),
      },
      onStart: (v, device) => progress.started(v.name, device),
      onStage: (v, _device, stage) => progress.variantStage(v.name, stage),
      log,
    });
    try {
      // The baseline first, alone: its run folder is every worker's quality reference.
      let baselineRunDir = checkBaseline(done.get(baselinePlan.id));
      if (baselineTodo) {
        const r = await pool.runOne(baselineTodo);
        record(baselineTodo, r);
        baselineRunDir = checkBaseline(r);
      }
      await pool.runAll(rest, baselineRunDir, (r) => record(mine.find((v) => v.id === r.id) ?? baselinePlan, r));
    } finally {
      await pool.close();
    }
  }
  // Spec order in the file whatever order the variants finished in (devices, resume).
  const results = mine.map((v) => done.get(v.id)).filter((r): r is VariantResult => r !== undefined);
  // Lines of variants this spec no longer plans (a resumed folder whose spec changed) stay, after ours.
  const others = existing.filter((r) => !mine.some((v) => v.id === r.id));
  rewriteResults(resultsFile, [...results, ...others]);
  return { resultsFile, planned, results, skipped, ran, repaired };
}
