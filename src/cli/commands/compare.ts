import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { compareModels, renderCompareText } from '../../compare/compare-models.js';
import { readFileSync } from 'node:fs';
import { type Backend, type ExecutionProvider, parseBackend, parseProviderOptions, validateProviderOptions } from '../../runtime/index.js';
import { UsageError } from '../../errors.js';
import { out } from '../state.js';
import { numberArg } from '../../core/number-flag.js';

function dimsArg(v: string, prev: Record<string, number>): Record<string, number> {
  const m = /^([^=]+)=(\d+)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`'${v}' is not NAME=VALUE`);
  return { ...prev, [m[1] as string]: Number(m[2]) };
}

/**
 * One `--provider-options` value: 'k=v,k=v', 'default' (no options), or @file.json holding one object or an
 * array of objects (several sets).
 */
export function providerOptionSetsArg(v: string, prev: Record<string, string>[]): Record<string, string>[] {
  if (v === 'default' || v === '') return [...prev, {}];
  if (v.startsWith('@')) {
    const file = v.slice(1);
    let j: unknown;
    try {
      j = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UsageError(`--provider-options ${file}: not a readable JSON file (${(e as Error).message.split('\n')[0]})`);
    }
    const list = Array.isArray(j) ? j : [j];
    return [
      ...prev,
      ...list.map((o, i) => {
        if (!o || typeof o !== 'object' || Array.isArray(o)) throw new UsageError(`--provider-options ${file}: entry ${i} is not an object of key: value`);
        const r = Object.fromEntries(Object.entries(o as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
        validateProviderOptions(r, `--provider-options ${file}[${i}]`);
        return r;
      }),
    ];
  }
  return [...prev, parseProviderOptions(v)];
}

const backendsArg = (v: string, prev: Backend[]): Backend[] => [...prev, ...v.split(',').map((b) => parseBackend(b.trim()))];

export function compareCommand(): Command {
  return new Command('compare')
    .description('run a baseline model and its variants on the same inputs: latency ratios and output error, in one process')
    .argument('<baseline>', 'the reference .onnx (e.g. the FP32 model)')
    .argument('[variants...]', 'variant .onnx files (none: compare backends and option sets on the baseline alone)')
    .option('--ep <ep>', 'execution provider: cpu or cuda', 'cpu')
    .option('--runs <n>', 'timed runs per model', numberArg('non-negative integer'), 30)
    .option('--warmup <n>', 'warm-up runs per model', numberArg('non-negative integer'), 5)
    .option('--seed <n>', 'input seed', numberArg('non-negative integer'), 1)
    .option('--dim <NAME=N>', 'value of a symbolic input dim (repeatable)', dimsArg, {})
    .option('--label <name...>', 'labels for baseline and variants, in order')
    .option('--json <file>', 'write the report as JSON')
    .option(
      '--backend <list>',
      'backends to run each model under: node, native, auto (repeatable or comma-separated; default node)',
      backendsArg,
      [] as Backend[],
    )
    .option(
      '--provider-options <set>',
      "a CUDA EP option set 'k=v,k=v' (native backend; repeatable: one row per set), 'default', or @sets.json",
      providerOptionSetsArg,
      [] as Record<string, string>[],
    )
    .option('--device-io', 'inputs and outputs in device tensors bound through IoBinding; time = per-call time to synchronized outputs')
    .action(
      async (
        baseline: string,
        variants: string[],
        o: {
          ep: ExecutionProvider;
          runs: number;
          warmup: number;
          seed: number;
          dim: Record<string, number>;
          label?: string[];
          json?: string;
          backend: Backend[];
          providerOptions: Record<string, string>[];
          deviceIo?: boolean;
        },
      ) => {
        const r = await compareModels({
          baseline,
          variants,
          ep: o.ep,
          runs: o.runs,
          warmup: o.warmup,
          seed: o.seed,
          dims: o.dim,
          backends: o.backend,
          providerOptionSets: o.providerOptions,
          deviceIo: o.deviceIo === true,
          ...(o.label ? { labels: o.label } : {}),
          onProgress: (m) => out.error(`${m}\n`),
        });
        if (o.json) writeFileSync(o.json, `${JSON.stringify(r, null, 2)}\n`);
        out.write(renderCompareText(r));
      },
    );
}
