// Placeholder: being implemented in this session (replaced by the real command).
import { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function devicePeaksCommand(): Command {
  return new Command('device-peaks').description('measure the GPU peaks').allowUnknownOption().action(() => {
    throw new UsageError('device-peaks: not implemented yet');
  });
}
