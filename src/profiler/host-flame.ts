/**
 * `workbench profile --host`: reruns the same profile command under `clinic flame` so the JavaScript side
 * (input generation, tensor conversion, post-processing) shows up in a flame graph next to ORT's native time.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { RuntimeError, UsageError } from '../errors.js';

/** Where clinic's CLI is (its package's bin script), or undefined when it is not installed. */
export function findClinic(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return require.resolve('clinic/bin.js');
  } catch {
    return undefined;
  }
}

/** The argv of the profile command without `--host` (so the inner run does not recurse). */
export function withoutHostFlag(argv: readonly string[]): string[] {
  return argv.filter((a) => a !== '--host');
}

/** The newest .html under `dir` (clinic writes `<pid>.clinic-flame.html`). */
function newestHtml(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  let best: { f: string; t: number } | undefined;
  for (const n of readdirSync(dir)) {
    if (!n.endsWith('.html')) continue;
    const f = join(dir, n);
    const t = statSync(f).mtimeMs;
    if (!best || t > best.t) best = { f, t };
  }
  return best?.f;
}

/**
 * Runs `node <cli> profile <args>` under clinic flame with its data in `<outDir>/clinic`; returns the flame
 * graph's HTML path.
 */
export async function runHostFlame(profileArgs: readonly string[], outDir: string, log: (s: string) => void = () => {}): Promise<string> {
  const clinic = findClinic();
  if (!clinic) throw new UsageError('--host needs clinic (a devDependency: npm install in the workbench checkout); it is not installed here');
  const cli = process.argv[1];
  if (!cli) throw new UsageError('--host: cannot tell which CLI script to rerun (process.argv[1] is empty)');
  const dest = resolve(outDir, 'clinic');
  mkdirSync(dest, { recursive: true });
  const args = [clinic, 'flame', '--open=false', '--dest', dest, '--', process.execPath, cli, 'profile', ...withoutHostFlag(profileArgs)];
  log(`running: ${process.execPath} ${args.join(' ')}`);
  const code = await new Promise<number | null>((res, rej) => {
    // NO_INSIGHT: without it clinic asks on stdin whether it may send usage statistics and, with no TTY, exits silently.
    const c = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, NO_INSIGHT: '1' } });
    c.on('error', rej);
    c.on('close', res);
  });
  if (code !== 0) throw new RuntimeError('clinic', `clinic flame exited with ${code}`);
  const html = newestHtml(dest);
  if (!html) throw new RuntimeError('clinic', `clinic flame finished but wrote no HTML under ${dest}`);
  return html;
}
