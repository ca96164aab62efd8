/**
 * `workbench report <results.jsonl | dirs...> -o reports/<name>/index.html`: one self-contained HTML page,
 * summary.json next to it, and the ranking on the console. `workbench report merge <dirs...> -o <dir>`
 * joins shards' results.jsonl (one result per variant id).
 */
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { writeSweepReport } from '../../report/write-sweep-report.js';
import { loadResults, mergeResults } from '../../sweep/merge-results.js';
import { out } from '../state.js';
import { addConstraintOptions, constraintsOf } from './sweep.js';

interface ReportFlags {
  out?: string;
  title?: string;
  maxRtf?: number;
  minPsnr?: number;
  minSsim?: number;
  maxAudioDistance?: number;
}

function mergeCommand(): Command {
  return new Command('merge')
    .description("join shards' results.jsonl into one (one result per variant id)")
    .argument('<inputs...>', 'sweep folders or results.jsonl files')
    .requiredOption('-o, --out <dir>', 'output folder for the merged results.jsonl')
    .action((inputs: string[], f: { out: string }) => {
      const merged = mergeResults(inputs, f.out);
      out.write(`merged ${merged.length} variants from ${inputs.length} inputs into ${f.out}/results.jsonl\n`);
    });
}

export function reportCommand(): Command {
  const c = new Command('report')
    .description('render sweep results as one self-contained HTML page, summary.json and a console ranking')
    .argument('[inputs...]', 'results.jsonl files or sweep folders')
    .option('-o, --out <file>', 'index.html path or a folder (default: <first input folder>/index.html)')
    .option('--title <text>', 'page title');
  addConstraintOptions(c);
  c.addCommand(mergeCommand());
  return c.action((inputs: string[], f: ReportFlags) => {
    if (!inputs.length) throw new UsageError('report: give results.jsonl files or sweep folders (or: report merge <dirs...> -o <dir>)');
    const results = loadResults(inputs);
    const first = inputs[0] as string;
    const target = f.out ?? (first.endsWith('.jsonl') ? first.replace(/[^/]*$/, '') || '.' : first);
    const w = writeSweepReport(results, target, { title: f.title ?? 'Sweep report', constraints: constraintsOf(f) });
    out.write(w.text);
    out.write(`report: ${w.html}\nsummary: ${w.summary}\n`);
  });
}
