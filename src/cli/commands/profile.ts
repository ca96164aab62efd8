// Placeholder: being implemented in this session (replaced by the real command).
import { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function profileCommand(): Command {
  return new Command('profile').description('profile a model or manifest').allowUnknownOption().action(() => {
    throw new UsageError('profile: not implemented yet');
  });
}
