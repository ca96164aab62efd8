import { Command } from 'commander';
import { inspectModel, renderInspectText } from '../../analysis/inspect.js';
import { readModel } from '../../onnx/read-model.js';
import { out } from '../state.js';

export function inspectCommand(): Command {
  return new Command('inspect')
    .description("print a model's inputs, outputs, opsets, op types, parameters and external data")
    .argument('<model>', 'an .onnx file')
    .option('--json', 'print the report as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      // Weights stay on disk: inspect only needs their sizes.
      const loaded = readModel(file, { loadExternalData: false });
      const report = inspectModel(loaded);
      out.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderInspectText(report));
    });
}
