/**
 * The CLI's one exit point: runs the program and maps errors to exit codes (0 ok, 1 a threshold or
 * check failed, 2 could not run). Known errors print one line; `--verbose` adds the stack.
 */
import { CommanderError } from 'commander';
import { isWorkbenchError } from '../errors.js';
import { cliState } from './state.js';
import { createProgram, type ProgramOptions } from './program.js';

export async function main(argv: readonly string[], programOptions: ProgramOptions = {}): Promise<number> {
  cliState.exitCode = 0;
  cliState.verbose = argv.includes('--verbose');
  const program = createProgram(programOptions);
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    await program.parseAsync([...argv]);
    return cliState.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isWorkbenchError(e)) {
      process.stderr.write(`error: ${e.message}\n`);
      if (cliState.verbose && e.stack) process.stderr.write(`${e.stack}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`error: ${err?.message ?? String(e)}\n`);
    if (cliState.verbose && err?.stack) process.stderr.write(`${err.stack}\n`);
    return 2;
  }
}
