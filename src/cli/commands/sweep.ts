/**
 * `workbench sweep [sweep.json] [--ep cpu|cuda] [--resume] [--shard i/n] [--out DIR]`: builds and runs every
 * variant of the spec (the default spec runs the tiny reference set), appends results to
 * <out>/results.jsonl, then writes <out>/index.html and <out>/summary.json and prints the ranking.
 */
import type { Backend } from '../../runtime/index.js';
import { Command, Option } from 'commander';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { writeSweepReport } from '../../report/write-sweep-report.js';
import { createPipelineDriver } from '../../sweep/pipeline-driver.js';
import type { RankConstraints } from '../../sweep/rank.js';
import { runSweep, SWEEP_DEFAULTS } from '../../sweep/run-sweep.js';
import { parseShard } from '../../sweep/shard.js';
import { DEFAULT_SWEEP_SPEC, expandVariants, gridSize, loadSweepSpec, DEFAULT_MAX_VARIANTS } from '../../sweep/spec.js';
import { out } from '../state.js';

function parseNumber(flag: string): (s: string) => number {
  return (s) => {
    const n = Number(s);
    if (!Number.isFinite(n)) throw new UsageError(`${flag}: '${s}' is not a number`);
    return n;
  };
}

/** Constraint flags shared by `sweep` and `report`. */
export function addConstraintOptions(c: Command): Command {
  return c
    .option('--max-rtf <r>', 'rank only variants with end-to-end RTF at most r', parseNumber('--max-rtf'))
    .option('--min-psnr <db>', 'rank only variants with mean frame PSNR at least db', parseNumber('--min-psnr'))
    .option('--min-ssim <s>', 'rank only variants with mean SSIM at least s', parseNumber('--min-ssim'))
    .option('--max-audio-distance <d>', 'rank only variants with log-mel distance at most d', parseNumber('--max-audio-distance'));
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
  out?: string;
  cacheDir: string;
  report: boolean;
  maxRtf?: number;
  minPsnr?: number;
  minSsim?: number;
  maxAudioDistance?: number;
  backend?: Backend;
}

export function sweepCommand(): Command {
  const c = new Command('sweep')
    .description('build and run every variant of a sweep spec (default: the tiny reference set), append results.jsonl, write the report')
    .argument('[spec]', 'sweep spec JSON (docs/SWEEP.md); omitted: the built-in tiny spec')
    .addOption(new Option('--ep <ep>', 'execution provider').choices(['cpu', 'cuda']).default('cpu'))
    .option('--resume', 'skip variants already in <out>/results.jsonl')
    .option('--shard <i/n>', 'run only variants with index % n == i (the baseline always runs)')
    .option('--out <dir>', 'output folder (default reports/<spec name>)')
    .option('--cache-dir <dir>', 'cache of rewritten variant models', SWEEP_DEFAULTS.cacheDir)
    .option('--no-report', 'write results.jsonl only')
    .addOption(new Option('--backend <backend>', "runtime backend of every variant that does not set its own 'backend' (spec-wide default): node, native, auto").choices(['node', 'native', 'auto']));
  addConstraintOptions(c);
  return c.action(async (specFile: string | undefined, f: SweepFlags) => {
    const loaded = specFile ? loadSweepSpec(specFile) : DEFAULT_SWEEP_SPEC;
    const spec = f.backend ? { ...loaded, backend: f.backend } : loaded;
    const shard = f.shard !== undefined ? parseShard(f.shard) : undefined;
    const outDir = resolve(f.out ?? `reports/${spec.name}`);
    const planned = expandVariants(spec);
    if (spec.grid) {
      const size = gridSize(spec.grid);
      const cap = spec.maxVariants ?? DEFAULT_MAX_VARIANTS;
      if (size > cap) out.error(`sweep: the grid has ${size} points; running the first ${cap} (raise maxVariants to run more)\n`);
    }
    out.error(`sweep '${spec.name}': ${planned.length} variants${shard ? `, shard ${shard.index}/${shard.count}` : ''}, ep ${f.ep}, out ${outDir}\n`);
    const driver = createPipelineDriver({ log: (s) => out.error(s) });
    const r = await runSweep(spec, {
      out: outDir,
      ep: f.ep,
      resume: f.resume ?? false,
      ...(shard ? { shard } : {}),
      driver,
      specDir: specFile ? dirname(resolve(specFile)) : process.cwd(),
      cacheDir: f.cacheDir,
      log: (s) => out.error(s),
    });
    out.error(`sweep: ${r.ran} run, ${r.skipped} skipped (already done), results in ${r.resultsFile}\n`);
    if (!f.report) return;
    const w = writeSweepReport(r.results, outDir, { title: `Sweep ${spec.name}`, constraints: constraintsOf(f) });
    out.write(w.text);
    out.write(`report: ${w.html}\nsummary: ${w.summary}\n`);
  });
}
