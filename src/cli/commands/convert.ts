import { Command, InvalidArgumentError } from 'commander';
import { formatBytes } from '../../analysis/inspect.js';
import { convertModel } from '../../onnx/convert.js';
import { out } from '../state.js';

function bytesArg(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)i?[bB]?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`'${v}' is not a byte count (e.g. 1024, 1k, 4M)`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * mult);
}

export function convertCommand(): Command {
  return new Command('convert')
    .description('write a model back through the graph model: moves large weights to an external-data file (--external-data) or back inside')
    .argument('<in>', 'input .onnx file (never modified)')
    .requiredOption('-o, --out <file>', 'output .onnx file')
    .option('--external-data', 'store tensors of at least --threshold bytes in <out>.data')
    .option('--threshold <bytes>', 'external-data size threshold', bytesArg, 1024)
    .action((input: string, opts: { out: string; externalData?: boolean; threshold: number }) => {
      const r = convertModel(input, opts.out, opts.externalData ? { externalDataThreshold: opts.threshold } : {});
      out.write(
        `wrote ${r.path} (${formatBytes(r.modelBytes)})` +
          (r.externalDataPath ? ` + ${r.externalDataPath} (${formatBytes(r.externalBytes)}, ${r.externalTensors} tensors)` : '') +
          ` in ${r.seconds.toFixed(2)} s\n`,
      );
    });
}
