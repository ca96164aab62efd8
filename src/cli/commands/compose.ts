/**
 * `workbench compose a.onnx b.onnx [c.onnx …] --map OUT:IN … -o ab.onnx`: connects outputs of earlier
 * models to inputs of later ones and writes one graph (the `compose` pass). A name that several models
 * carry is qualified with its model's position: `out@1:kp_driving@2`. Bad input (a missing output or
 * input, mismatched types or shapes) is one line naming the value, exit 2, and no output file.
 */
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { guardOutputs, modelOutputFiles } from '../../onnx/output-guard.js';
import { readModel } from '../../onnx/read-model.js';
import type { Model } from '../../onnx/types.js';
import { writeModel } from '../../onnx/write-model.js';
import { composeWithReport, type ComposeLink } from '../../quantize/compose.js';
import { out } from '../state.js';
import { externalDataThreshold } from '../../core/number-flag.js';

interface ComposeFlags {
  output: string;
  map: string[];
  keepLinked?: boolean;
  name?: string;
  externalData?: string | boolean;
  json?: boolean;
}

/** `name` or `name@k` (k 1-based) → name and 0-based model index. */
function qualified(s: string, count: number, flag: string): { name: string; model?: number } {
  const m = /^(.*)@(\d+)$/.exec(s);
  if (!m) return { name: s };
  const k = Number(m[2]);
  if (k < 1 || k > count) throw new UsageError(`--map '${flag}': model ${k} does not exist (${count} models given)`);
  return { name: m[1] as string, model: k - 1 };
}

/**
 * One `--map` value as a link. Names may contain ':' (TF-style `x:0`): with several colons, the split
 * whose left side is an output and right side an input of the models is taken.
 */
export function parseMap(v: string, models: Model[]): ComposeLink {
  const cuts: number[] = [];
  for (let i = v.indexOf(':'); i >= 0; i = v.indexOf(':', i + 1)) cuts.push(i);
  if (!cuts.length) throw new UsageError(`--map '${v}': expected OUTPUT:INPUT`);
  const make = (c: number): ComposeLink => {
    const a = qualified(v.slice(0, c), models.length, v);
    const b = qualified(v.slice(c + 1), models.length, v);
    return { from: a.name, to: b.name, ...(a.model !== undefined ? { fromModel: a.model } : {}), ...(b.model !== undefined ? { toModel: b.model } : {}) };
  };
  if (cuts.length === 1) return make(cuts[0] as number);
  const fits = cuts
    .map(make)
    .filter((l) => models.some((m) => m.graph.outputs.some((x) => x.name === l.from)) && models.some((m) => m.graph.inputs.some((x) => x.name === l.to)));
  if (fits.length !== 1) throw new UsageError(`--map '${v}': ${fits.length ? 'ambiguous' : 'no'} split into an output and an input of the models`);
  return fits[0] as ComposeLink;
}

export function composeCommand(): Command {
  return new Command('compose')
    .description('connect outputs of one model to inputs of the next by name; write one graph')
    .argument('<models...>', 'input .onnx models, in order (links go from earlier to later models)')
    .requiredOption('-o, --output <file>', 'output .onnx model')
    .option(
      '--map <out:in>',
      'output of an earlier model → input of a later one; name@k picks model k (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--keep-linked', 'keep linked outputs as graph outputs too')
    .option('--name <name>', 'graph name of the result')
    .option('--external-data [bytes]', 'store tensors ≥ bytes (default 1024) in <out>.data')
    .option('--json', 'print the summary as JSON')
    .action((files: string[], f: ComposeFlags) => {
      if (files.length < 2) throw new UsageError('compose: give at least two models');
      if (!f.map.length) throw new UsageError('compose: give at least one --map OUTPUT:INPUT');
      const t0 = performance.now();
      // The output may be none of the inputs (models or their external data): checked before and after reading.
      const outputs = modelOutputFiles(f.output);
      guardOutputs(outputs, files);
      const loaded = files.map((p) => readModel(p));
      guardOutputs(
        outputs,
        loaded.flatMap((l) => l.files),
      );
      const models = loaded.map((l) => l.model);
      const links = f.map.map((v) => parseMap(v, models));
      const { model, report } = composeWithReport(models, { links, ...(f.keepLinked ? { keepLinkedOutputs: true } : {}), ...(f.name ? { name: f.name } : {}) });
      const threshold = externalDataThreshold(f.externalData);
      const w = writeModel(model, f.output, threshold === undefined ? {} : { externalDataThreshold: threshold });
      const summary = {
        inputs: files,
        output: w.path,
        graphInputs: model.graph.inputs.filter((v) => !v.initializer).map((v) => v.name),
        graphOutputs: model.graph.outputs.map((v) => v.name),
        opset: model.opsetImports,
        stats: report.stats,
        details: report.details,
        warnings: report.warnings,
        timeMs: performance.now() - t0,
      };
      if (f.json) {
        out.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      out.write(`compose ${files.join(' + ')} → ${w.path}\n`);
      out.write(`inputs: ${summary.graphInputs.join(', ')}; outputs: ${summary.graphOutputs.join(', ')}\n`);
      out.write(
        `${report.stats.links} links, ${report.stats.nodes} nodes, ${report.stats.valuesRenamed ?? 0} values and ${report.stats.nodesRenamed ?? 0} nodes renamed, ${report.stats.sharedInputs ?? 0} shared inputs, ${report.stats.opsetsRaised ?? 0} opsets raised\n`,
      );
      for (const x of report.warnings) out.write(`warning: ${x.code}: ${x.message}\n`);
    });
}
