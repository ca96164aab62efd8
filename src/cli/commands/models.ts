// Placeholder: being implemented in this session (replaced by the real command).
import { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function modelsCommand(): Command {
  return new Command('models').description('models build|list: build the reference models').allowUnknownOption().action(() => {
    throw new UsageError('models: not implemented yet');
  });
}
