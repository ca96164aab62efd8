// Placeholder: being implemented in this session (replaced by the real command).
import { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function setupCudaCommand(): Command {
  return new Command('setup-cuda').description('install the CUDA execution provider').allowUnknownOption().action(() => {
    throw new UsageError('setup-cuda: not implemented yet');
  });
}
