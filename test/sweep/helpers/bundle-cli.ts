/**
 * Bundles a CLI entry with esbuild into the repository's git-ignored tmp/ (node_modules resolve as from
 * dist/), so tests can start it as a child process without a `npm run build`.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

export const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

/** Bundles `entry` (relative to the repo) and returns the .mjs path and a cleanup. */
export async function bundleCli(entry: string, name: string): Promise<{ cli: string; cleanup: () => void }> {
  const dir = join(repoRoot, 'tmp', `${name}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const cli = join(dir, 'cli.mjs');
  await build({ entryPoints: [join(repoRoot, entry)], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: cli, logLevel: 'error' });
  return { cli, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
