// Placeholder: being implemented in this session (replaced by the real command).
import { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function sweepCommand(): Command {
  return new Command('sweep').description('run a sweep of variants').allowUnknownOption().action(() => {
    throw new UsageError('sweep: not implemented yet');
  });
}
