// Placeholder: being implemented in this session (replaced by the real command).
import { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function projectCommand(): Command {
  return new Command('project').description('project a profile to another GPU').allowUnknownOption().action(() => {
    throw new UsageError('project: not implemented yet');
  });
}
