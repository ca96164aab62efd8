// Placeholder: being implemented in this session (replaced by the real command).
import { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function runCommand(): Command {
  return new Command('run').description('run the XTTS → Ditto pipeline').allowUnknownOption().action(() => {
    throw new UsageError('run: not implemented yet');
  });
}
