/**
 * The CLI's one exit point: runs the program and maps errors to exit codes (0 ok, 1 a threshold or
 * check failed, 2 could not run). Every error prints one line; `--verbose` adds the stack.
 */
import { type Command, CommanderError } from 'commander';
import { isWorkbenchError } from '../errors.js';
import { cliState, out } from './state.js';
import { createProgram, type ProgramOptions } from './program.js';

/** What one invocation ended with; `internalError` is set when an error that is not a typed WorkbenchError escaped (a bug). */
export interface CliOutcome {
  code: number;
  internalError?: Error;
}

/** Commander's exits that are not errors (help and version asked for). */
const COMMANDER_OK = new Set(['commander.helpDisplayed', 'commander.version']);

/**
 * Commander copies exit and output settings only to subcommands made with `.command()`, not to those added
 * with `addCommand()`: without this walk a subcommand's usage error calls process.exit(1), and `gate` reads
 * exit 1 as "threshold failed".
 */
function configureTree(c: Command, failed: { command?: Command }): void {
  c.exitOverride((err) => {
    failed.command = c;
    throw err;
  });
  c.configureOutput({
    writeOut: (s) => out.write(s),
    writeErr: (s) => out.error(s),
    // Errors are printed by `execute`, as one line.
    outputError: () => undefined,
  });
  for (const sub of c.commands) configureTree(sub, failed);
}

/** Commander's message (`error: unknown command 'x'\n(Did you mean y?)`) as one line. */
function commanderLine(e: CommanderError, where: Command | undefined): string {
  const lines = e.message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const head = (lines[0] ?? e.code).replace(/^error: /, '');
  const hint = lines
    .slice(1)
    .join(' ')
    .replace(/^\(Did you mean (.*)\?\)$/, "did you mean '$1'?");
  if (hint) return `${head} (${hint})`;
  if (e.code === 'commander.unknownCommand') return `${head} (see ${commandPath(where)} --help for the commands)`;
  return head;
}

function commandPath(c: Command | undefined): string {
  const names: string[] = [];
  for (let x = c; x; x = x.parent ?? undefined) names.unshift(x.name());
  return names.join(' ') || 'workbench';
}

/** One printable line: line breaks folded, other control characters (from a corrupt name, say) escaped. */
function oneLine(s: string): string {
  return (
    s
      .replace(/\s*\n\s*/g, ' ')
      .trim()
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  );
}

/** Runs the CLI on argv (`['node', 'workbench', ...args]`) and returns the outcome; prints through `out`. */
export async function execute(argv: readonly string[], programOptions: ProgramOptions = {}): Promise<CliOutcome> {
  cliState.exitCode = 0;
  cliState.verbose = argv.includes('--verbose');
  const program = createProgram(programOptions);
  const failed: { command?: Command } = {};
  configureTree(program, failed);
  try {
    await program.parseAsync([...argv]);
    return { code: cliState.exitCode };
  } catch (e) {
    if (e instanceof CommanderError) {
      if (COMMANDER_OK.has(e.code)) return { code: 0 };
      // 'commander.help': `workbench help [cmd]` (exit 0), or a command that needs a subcommand was given
      // none (commander printed its help to stderr: a usage error).
      if (e.code === 'commander.help') return { code: e.exitCode === 0 ? 0 : 2 };
      out.error(`error: ${oneLine(commanderLine(e, failed.command))}\n`);
      return { code: 2 };
    }
    if (isWorkbenchError(e)) {
      out.error(`error: ${oneLine(e.message)}\n`);
      if (cliState.verbose && e.stack) out.error(`${e.stack}\n`);
      return { code: e.exitCode };
    }
    const err = e instanceof Error ? e : new Error(String(e));
    out.error(`error: ${oneLine(describeUntyped(err))}\n`);
    if (cliState.verbose && err.stack) out.error(`${err.stack}\n`);
    return { code: 2, internalError: err };
  }
}

/** A Node system error names its path when it has one; anything else is a bug, said as such. */
function describeUntyped(err: Error): string {
  const sys = err as NodeJS.ErrnoException;
  if (typeof sys.code === 'string' && typeof sys.path === 'string') return `${sys.path}: ${sys.message.replace(/^[A-Z]+: /, '')}`;
  return `internal error (a bug; --verbose shows where): ${err.message}`;
}

export async function main(argv: readonly string[], programOptions: ProgramOptions = {}): Promise<number> {
  return (await execute(argv, programOptions)).code;
}
