import { execute } from '../../src/cli/main.js';
import { out } from '../../src/cli/state.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** An error that was not a typed WorkbenchError (a bug), when one escaped. */
  internalError?: Error;
}

/**
 * Runs the CLI in-process through the entry `bin/workbench.js` uses and captures what it prints (commands,
 * commander's help and errors all print through `out`; process.stderr is captured too for any stray write).
 */
export async function runCli(args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const saved = { write: out.write, error: out.error, err: process.stderr.write.bind(process.stderr) };
  out.write = (s: string) => void (stdout += s);
  out.error = (s: string) => void (stderr += s);
  process.stderr.write = ((s: string | Uint8Array) => {
    stderr += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    const r = await execute(['node', 'workbench', ...args]);
    return { code: r.code, stdout, stderr, ...(r.internalError ? { internalError: r.internalError } : {}) };
  } finally {
    out.write = saved.write;
    out.error = saved.error;
    process.stderr.write = saved.err;
  }
}
