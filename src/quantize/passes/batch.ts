/** The `batch` pass in the registry: `--batch N`, `--batch-inputs` (no sweep form). */
import { BATCH_DEFAULTS, BATCH_NAME, batchWithReport, type BatchOptions, type BatchStat } from '../batch.js';
import type { PassDef } from '../pass-def.js';

export const batchPass: PassDef<'batch', BatchOptions, never, BatchStat> = {
  name: 'batch',
  summary: 'n samples per call: the batch is followed through every shape-dependent constant',
  records: [BATCH_NAME],
  defaults: BATCH_DEFAULTS,
  run: batchWithReport,
  cli: {
    usage: '--batch',
    flags: [
      {
        flags: '--batch <n>',
        description: 'n samples per call: the batch is followed through every shape-dependent constant (runs after resolution and precision passes)',
      },
      {
        flags: '--batch-inputs <names>',
        description: 'with --batch: the inputs that carry the batch, comma-separated (default: every input with a leading dim of 1)',
      },
    ],
    fromFlags(f) {
      const size = f.number('batch');
      if (size === undefined) return undefined;
      const inputs = f.list('batch-inputs');
      return inputs ? { size, inputs } : { size };
    },
  },
};
