// Placeholder: being implemented in this session (replaced by the real command).
import { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function gateCommand(): Command {
  return new Command('gate').description('CI gate').allowUnknownOption().action(() => {
    throw new UsageError('gate: not implemented yet');
  });
}
