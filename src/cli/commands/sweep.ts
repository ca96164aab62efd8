/**
 * `workbench sweep [sweep.json] [--ep cpu|cuda] [--resume] [--shard i/n|auto] [--devices 0,1] [--out DIR]`: builds and runs every
 * variant of the spec (the default spec runs the tiny reference set), appends results to
 * <out>/results.jsonl, then writes <out>/index.html and <out>/summary.json and prints the ranking.
 */
import type { Backend } from '../../runtime/index.js';
import { Command, Option } from 'commander';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { writeSweepReport } from '../../report/write-sweep-report.js';
import { createPipelineDriver } from '../../sweep/pipeline-driver.js';
import { resolveQualityFloor, type RankConstraints } from '../../sweep/rank.js';
import { runSweep, SWEEP_DEFAULTS } from '../../sweep/run-sweep.js';
import { serveDeviceWorker } from '../../sweep/device-worker.js';
import { parseShard, type Shard } from '../../sweep/shard.js';
import { shardFromEnv } from '../../sweep/shard-env.js';
import type { SweepDriver } from '../../sweep/types.js';
import { DEFAULT_SWEEP_SPEC, expandVariants, gridSize, loadSweepSpec, DEFAULT_MAX_VARIANTS } from '../../sweep/spec.js';
import { out } from '../state.js';
import { parseNumberFlag } from '../../core/number-flag.js';

/** Constraint flags shared by `sweep` and `report`. */
export function addConstraintOptions(c: Command): Command {
  return c
    .option('--max-rtf <r>', 'rank only variants with end-to-end RTF at most r', (s: string) => parseNumberFlag('--max-rtf', s, 'number', 'is-not'))
    .option('--min-psnr <db>', 'rank only variants with mean frame PSNR at least db', (s: string) => parseNumberFlag('--min-psnr', s, 'number', 'is-not'))
    .option('--min-ssim <s>', 'rank only variants with mean SSIM at least s', (s: string) => parseNumberFlag('--min-ssim', s, 'number', 'is-not'))
    .option('--max-audio-distance <d>', 'rank only variants with log-mel distance at most d', (s: string) =>
      parseNumberFlag('--max-audio-distance', s, 'number', 'is-not'),
    );
}

export function constraintsOf(f: { maxRtf?: number; minPsnr?: number; minSsim?: number; maxAudioDistance?: number }): RankConstraints {
  const c: RankConstraints = {};
  if (f.maxRtf !== undefined) c.maxRtf = f.maxRtf;
  if (f.minPsnr !== undefined) c.minPsnr = f.minPsnr;
  if (f.minSsim !== undefined) c.minSsim = f.minSsim;
  if (f.maxAudioDistance !== undefined) c.maxAudioDistance = f.maxAudioDistance;
  return c;
}

interface SweepFlags {
  ep: 'cpu' | 'cuda';
  resume?: boolean;
  shard?: string;
  devices?: string;
  deviceWorker?: boolean;
  out?: string;
  cacheDir: string;
  report: boolean;
  maxRtf?: number;
  minPsnr?: number;
  minSsim?: number;
  maxAudioDistance?: number;
  backend?: Backend;
}

/** `--devices 0,1,3`: distinct non-negative integers. */
export function parseDevices(text: string): number[] {
  const ids = text.split(',').map((x) => x.trim());
  if (!ids.length || ids.some((x) => !/^\d+$/.test(x)))
    throw new UsageError(`--devices: expected device ids like 0,1 (non-negative integers, comma-separated), got '${text}'`);
  const nums = ids.map(Number);
  if (new Set(nums).size !== nums.length) throw new UsageError(`--devices: a device id appears twice in '${text}'`);
  return nums;
}

/** `--shard i/n`, or `auto` (the engine's environment, src/sweep/shard-env.ts). */
function shardOf(text: string | undefined): (Shard & { source?: string }) | undefined {
  if (text === undefined) return undefined;
  return text.trim() === 'auto' ? shardFromEnv() : parseShard(text);
}

export interface SweepCommandOptions {
  /** The driver that builds and runs variants (default: the real pipeline). Tests give a fake one (test/sweep/helpers/fake-cli.ts). */
  createDriver?: () => SweepDriver;
}

export function sweepCommand(o: SweepCommandOptions = {}): Command {
  const makeDriver = o.createDriver ?? (() => createPipelineDriver({ log: (s) => out.error(s) }));
  const c = new Command('sweep')
    .description('build and run every variant of a sweep spec (default: the tiny reference set), append results.jsonl, write the report')
    .argument('[spec]', 'sweep spec JSON (docs/SWEEP.md); omitted: the built-in tiny spec')
    .addOption(new Option('--ep <ep>', 'execution provider').choices(['cpu', 'cuda']).default('cpu'))
    .option('--resume', 'skip variants already in <out>/results.jsonl')
    .option(
      '--shard <i/n|auto>',
      "run only variants with index % n == i (the baseline always runs); 'auto': i and n from the CI/Kubernetes environment (docs/SCALE.md)",
    )
    .option('--devices <ids>', 'run variants concurrently, one worker process per device id (e.g. 0,1,2,3); the baseline runs first')
    .option('--out <dir>', "output folder (default reports/<spec name>); '{shard}' is replaced by the shard index")
    .option('--cache-dir <dir>', 'cache of rewritten variant models', SWEEP_DEFAULTS.cacheDir)
    .option('--no-report', 'write results.jsonl only')
    .addOption(new Option('--device-worker', 'serve variants to a parent `sweep --devices` over IPC').hideHelp())
    .addOption(
      new Option('--backend <backend>', "runtime backend of every variant that does not set its own 'backend' (spec-wide default): node, native, auto").choices(
        ['node', 'native', 'auto'],
      ),
    );
  addConstraintOptions(c);
  return c.action(async (specFile: string | undefined, f: SweepFlags) => {
    if (f.deviceWorker) {
      await serveDeviceWorker(makeDriver());
      return;
    }
    const loaded = specFile ? loadSweepSpec(specFile) : DEFAULT_SWEEP_SPEC;
    const spec = f.backend ? { ...loaded, backend: f.backend } : loaded;
    const shard = shardOf(f.shard);
    const devices = f.devices !== undefined ? parseDevices(f.devices) : undefined;
    const outDir = resolve((f.out ?? `reports/${spec.name}`).replaceAll('{shard}', shard ? String(shard.index) : 'all'));
    const planned = expandVariants(spec);
    if (spec.grid) {
      const size = gridSize(spec.grid);
      const cap = spec.maxVariants ?? DEFAULT_MAX_VARIANTS;
      if (size > cap) out.error(`sweep: the grid has ${size} points; running the first ${cap} (raise maxVariants to run more)\n`);
    }
    const where = [
      shard ? `shard ${shard.index}/${shard.count}${shard.engine ? ` from ${shard.engine} (${shard.source ?? ''})` : ''}` : '',
      devices ? `devices ${devices.join(',')}` : '',
    ].filter(Boolean);
    out.error(`sweep '${spec.name}': ${planned.length} variants${where.length ? `, ${where.join(', ')}` : ''}, ep ${f.ep}, out ${outDir}\n`);
    const r = await runSweep(spec, {
      out: outDir,
      ep: f.ep,
      resume: f.resume ?? false,
      ...(shard ? { shard } : {}),
      driver: makeDriver(),
      specDir: specFile ? dirname(resolve(specFile)) : process.cwd(),
      cacheDir: f.cacheDir,
      // Each worker is this same CLI entry in --device-worker mode (so a test's fake-driver CLI forks fakes).
      ...(devices ? { devices, workerEntry: { script: process.argv[1] ?? '', args: ['sweep', '--device-worker'] } } : {}),
      log: (s) => out.error(s),
    });
    out.error(`sweep: ${r.ran} run, ${r.skipped} skipped (already done), results in ${r.resultsFile}\n`);
    if (!f.report) return;
    const w = writeSweepReport(r.results, outDir, {
      title: `Sweep ${spec.name}`,
      constraints: constraintsOf(f),
      qualityFloor: resolveQualityFloor(spec.qualityFloor),
    });
    out.write(w.text);
    out.write(`report: ${w.html}\nsummary: ${w.summary}\n`);
  });
}
