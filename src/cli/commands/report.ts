// Placeholder: being implemented in this session (replaced by the real command).
import { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function reportCommand(): Command {
  return new Command('report').description('render a report').allowUnknownOption().action(() => {
    throw new UsageError('report: not implemented yet');
  });
}
