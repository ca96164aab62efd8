// Placeholder: being implemented in this session (replaced by the real command).
import { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function optimizeCommand(): Command {
  return new Command('optimize').description('rewrite a model (fp16, int8, resolution, mixed)').allowUnknownOption().action(() => {
    throw new UsageError('optimize: not implemented yet');
  });
}
