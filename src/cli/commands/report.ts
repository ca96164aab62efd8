/**
 * `workbench report <results.jsonl | dirs...> -o reports/<name>/index.html`: one self-contained HTML page,
 * summary.json next to it, and the ranking on the console. `workbench report merge <dirs...> -o <dir>`
 * joins shards' results.jsonl (one result per variant id; docs/SCALE.md) and writes the combined report. `merge` is read as the first input rather than
 * a commander subcommand, so `-o` works the same in both forms without program-wide positional options.
 */
import { Command } from 'commander';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { writeSweepReport } from '../../report/write-sweep-report.js';
import { loadResults, mergeResults } from '../../sweep/merge-results.js';
import { resolveQualityFloor } from '../../sweep/rank.js';
import { out } from '../state.js';
import { addConstraintOptions, constraintsOf } from './sweep.js';

interface ReportFlags {
  out?: string;
  allowMissing?: boolean;
  report: boolean;
  title?: string;
  maxRtf?: number;
  minPsnr?: number;
  minSsim?: number;
  maxAudioDistance?: number;
}

export function reportCommand(): Command {
  const c = new Command('report')
    .usage('<results.jsonl | dirs...> [-o index.html] | merge <dirs... | glob> -o <dir> [--allow-missing]')
    .description(
      "render sweep results as one self-contained HTML page, summary.json and a console ranking; 'report merge <dirs...> -o <dir>' joins shards' results.jsonl",
    )
    .argument('[inputs...]', "results.jsonl files or sweep folders (or 'merge' then folders)")
    .option('-o, --out <path>', 'index.html path or a folder (default: <first input folder>/index.html); for merge: the output folder')
    .option('--title <text>', 'page title')
    .option('--allow-missing', 'merge: write the merge even when planned variants are in no input (listed as a warning); default: refuse, exit 2')
    .option('--no-report', 'merge: write results.jsonl (and sweep.json) only, not index.html/summary.json');
  addConstraintOptions(c);
  return c.action((inputs: string[], f: ReportFlags) => {
    if (inputs[0] === 'merge') {
      const dirs = inputs.slice(1);
      if (!dirs.length) throw new UsageError("report merge: give the shards' sweep folders, results.jsonl files or a glob ('shards/*') to join");
      if (!f.out) throw new UsageError('report merge: give the output folder with -o <dir>');
      const m = mergeResults(dirs, f.out, { ...(f.allowMissing ? { allowMissing: true } : {}), warn: (s) => out.error(s) });
      out.write(
        `merged ${m.results.length} variants from ${m.inputs.length} inputs (${m.duplicates} duplicates dropped) into ${join(f.out, 'results.jsonl')}\n`,
      );
      if (!f.report) return;
      // The shards' spec (sweep.json) gives the merged report the quality floor the sweep itself would use.
      const w = writeSweepReport(m.results, f.out, {
        title: f.title ?? `Sweep ${m.meta?.name ?? 'merged'}`,
        constraints: constraintsOf(f),
        qualityFloor: resolveQualityFloor(m.meta?.spec.qualityFloor),
      });
      out.write(w.text);
      out.write(`report: ${w.html}\nsummary: ${w.summary}\n`);
      return;
    }
    if (!inputs.length) throw new UsageError('report: give results.jsonl files or sweep folders (or: report merge <dirs...> -o <dir>)');
    const results = loadResults(inputs);
    const first = inputs[0] as string;
    const target = f.out ?? (first.endsWith('.jsonl') ? first.replace(/[^/]*$/, '') || '.' : first);
    const w = writeSweepReport(results, target, { title: f.title ?? 'Sweep report', constraints: constraintsOf(f) });
    out.write(w.text);
    out.write(`report: ${w.html}\nsummary: ${w.summary}\n`);
  });
}
