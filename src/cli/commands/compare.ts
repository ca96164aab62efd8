import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { compareModels, renderCompareText } from '../../compare/compare-models.js';
import type { ExecutionProvider } from '../../runtime/ort.js';
import { out } from '../state.js';

function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`'${v}' is not a non-negative integer`);
  return n;
}

function dimsArg(v: string, prev: Record<string, number>): Record<string, number> {
  const m = /^([^=]+)=(\d+)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`'${v}' is not NAME=VALUE`);
  return { ...prev, [m[1] as string]: Number(m[2]) };
}

export function compareCommand(): Command {
  return new Command('compare')
    .description('run a baseline model and its variants on the same inputs: latency ratios and output error, in one process')
    .argument('<baseline>', 'the reference .onnx (e.g. the FP32 model)')
    .argument('<variants...>', 'variant .onnx files')
    .option('--ep <ep>', 'execution provider: cpu or cuda', 'cpu')
    .option('--runs <n>', 'timed runs per model', intArg, 30)
    .option('--warmup <n>', 'warm-up runs per model', intArg, 5)
    .option('--seed <n>', 'input seed', intArg, 1)
    .option('--dim <NAME=N>', 'value of a symbolic input dim (repeatable)', dimsArg, {})
    .option('--label <name...>', 'labels for baseline and variants, in order')
    .option('--json <file>', 'write the report as JSON')
    .action(async (baseline: string, variants: string[], o: { ep: ExecutionProvider; runs: number; warmup: number; seed: number; dim: Record<string, number>; label?: string[]; json?: string }) => {
      const r = await compareModels({
        baseline, variants, ep: o.ep, runs: o.runs, warmup: o.warmup, seed: o.seed, dims: o.dim,
        ...(o.label ? { labels: o.label } : {}),
        onProgress: (m) => out.error(`${m}\n`),
      });
      if (o.json) writeFileSync(o.json, `${JSON.stringify(r, null, 2)}\n`);
      out.write(renderCompareText(r));
    });
}
