/**
 * The real `workbench sweep` in a child process on the tiny reference models: killed with SIGKILL after a
 * few variants, restarted with --resume, it ends with every planned variant exactly once in results.jsonl.
 * The CLI is bundled with esbuild into the repository's git-ignored tmp/ (so node_modules and
 * notebooks-html resolve as from dist/).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReferenceSet } from '../../src/models/build.js';
import { readResults } from '../../src/sweep/result-store.js';
import { expandVariants, parseSweepSpec } from '../../src/sweep/spec.js';

const repo = resolve(import.meta.dirname, '..', '..');
const bundleDir = join(repo, 'tmp', `sweep-cli-${process.pid}`);
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

describe('sweep resume after SIGKILL (real pipeline)', () => {
  it('ends with every variant exactly once', async () => {
    mkdirSync(bundleDir, { recursive: true });
    const main = join(bundleDir, 'main.mjs');
    await build({
      entryPoints: [join(repo, 'src/cli/main.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile: main,
      logLevel: 'error',
    });
    const cli = join(bundleDir, 'cli.mjs');
    writeFileSync(cli, "import { main } from './main.mjs';\nprocess.exitCode = await main(process.argv);\n");

    const dir = mkdtempSync(join(tmpdir(), 'wb-resume-'));
    const manifest = buildReferenceSet({ scale: 'tiny', seed: 1, outDir: join(dir, 'ref') }).manifestPath;
    const specJson = {
      schemaVersion: 1,
      name: 'resume',
      manifest,
      steps: 2,
      repeats: 1,
      text: 'Hi there.',
      // Four planned runs (the baseline and three variants, one of them a rewritten model): the kill after two
      // leaves one or two for --resume.
      variants: [{ steps: 1 }, { steps: 3 }, { precision: { decoder: 'wo8' } }],
    };
    const specFile = join(dir, 'sweep.json');
    writeFileSync(specFile, JSON.stringify(specJson));
    const planned = expandVariants(parseSweepSpec(specJson));
    const out = join(dir, 'out');
    const results = join(out, 'results.jsonl');
    const args = [cli, 'sweep', specFile, '--out', out, '--cache-dir', join(dir, 'cache'), '--no-report'];

    // First run: kill it hard once two variants are on disk.
    const child = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((res) => child.on('exit', (code, signal) => res(signal ?? code)));
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (existsSync(results) && readFileSync(results, 'utf8').split('\n').filter(Boolean).length >= 2) break;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    expect(await exited, stderr).toBe('SIGKILL');
    const before = readResults(results).results.length;
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThan(planned.length);

    // Resume: runs only what is missing.
    const r = spawnSync(process.execPath, [...args, '--resume'], { cwd: repo, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`sweep: ${planned.length - before} run, ${before} skipped`));
    const ids = readResults(results).results.map((x) => x.id);
    expect(ids.length).toBe(planned.length);
    expect([...ids].sort()).toEqual(planned.map((p) => p.id).sort());
    expect(readResults(results).results.every((x) => x.status === 'ok')).toBe(true);
  });
});
