import { main } from '../../src/cli/main.js';
import { out } from '../../src/cli/state.js';

/** Runs the CLI in-process and captures what it prints. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
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
    const code = await main(['node', 'workbench', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.write = saved.write;
    out.error = saved.error;
    process.stderr.write = saved.err;
  }
}
