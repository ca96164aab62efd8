/**
 * A 6-variant sweep as four Kubernetes "pods": four CLI processes with JOB_COMPLETION_INDEX 0..3 and
 * JOB_COMPLETIONS=4 (`sweep --shard auto`), one killed with SIGKILL mid-variant (plus a torn last line, as a
 * kill mid-write leaves) and rerun with --resume; `report merge` over a glob of their folders must give a
 * single-process sweep's ids and quality figures, each variant once. Real child processes of the real CLI
 * with the fake driver injected (helpers/fake-cli.ts): the pipeline itself adds nothing to what this checks.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeResults } from '../../src/sweep/merge-results.js';
import { readResults } from '../../src/sweep/result-store.js';
import { runSweep } from '../../src/sweep/run-sweep.js';
import { parseShard } from '../../src/sweep/shard.js';
import { readSweepMeta } from '../../src/sweep/sweep-meta.js';
import { DEFAULT_SWEEP_SPEC, expandVariants } from '../../src/sweep/spec.js';
import { bundleCli, repoRoot } from './helpers/bundle-cli.js';
import { createFakeDriver } from './helpers/fake-driver.js';

let cli = '';
let cleanup = (): void => undefined;
beforeAll(async () => {
  ({ cli, cleanup } = await bundleCli('test/sweep/helpers/fake-cli.ts', 'fake-cli'));
});
afterAll(() => cleanup());

const planned = expandVariants(DEFAULT_SWEEP_SPEC);
const cleanEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const k of [
    'WORKBENCH_SHARD_INDEX',
    'WORKBENCH_SHARD_COUNT',
    'JOB_COMPLETION_INDEX',
    'JOB_COMPLETIONS',
    'CI_NODE_INDEX',
    'CI_NODE_TOTAL',
    'BUILDKITE_PARALLEL_JOB',
    'BUILDKITE_PARALLEL_JOB_COUNT',
    'CIRCLE_NODE_INDEX',
    'CIRCLE_NODE_TOTAL',
  ])
    delete env[k];
  return env;
};
const runCli = (args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> =>
  spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...cleanEnv(), ...env }, timeout: 60_000 });
const lines = (f: string): number => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0);

describe('four pods of an Indexed Job (fake driver, real processes)', () => {
  it('one killed and rerun with --resume; the merge equals a single-process sweep', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-pods-'));
    const common = ['sweep', '--shard', 'auto', '--out', join(dir, 'shards', 'shard-{shard}'), '--cache-dir', join(dir, 'cache'), '--no-report'];
    const podEnv = (i: number): NodeJS.ProcessEnv => ({ ...cleanEnv(), JOB_COMPLETION_INDEX: String(i), JOB_COMPLETIONS: '4', FAKE_SWEEP_DELAY_MS: '150' });
    const pods = [0, 1, 2, 3].map((i) => {
      const child = spawn(process.execPath, [cli, ...common], { cwd: repoRoot, env: podEnv(i), stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exit = new Promise<NodeJS.Signals | number | null>((res) => child.on('exit', (code, signal) => res(signal ?? code)));
      return { child, exit, stderr: () => stderr };
    });
    // Pod 0 runs variants 0 (the baseline) and 4; pod 1 (baseline, variants 1 and 5): killed once its baseline is on disk, i.e. while variant 1 runs.
    const victim = join(dir, 'shards', 'shard-1', 'results.jsonl');
    const deadline = Date.now() + 20_000;
    while (lines(victim) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    pods[1]?.child.kill('SIGKILL');
    const exits = await Promise.all(pods.map((p) => p.exit));
    expect(exits, pods.map((p) => p.stderr()).join('\n')).toEqual([0, 'SIGKILL', 0, 0]);
    expect(lines(victim)).toBe(1);
    expect(pods[0]?.stderr()).toMatch(/shard 0\/4 from kubernetes \(JOB_COMPLETION_INDEX=0 JOB_COMPLETIONS=4\)/);
    expect(pods[0]?.stderr()).toMatch(/\[\d\/2 \S+ eta \S+\] shard 0\/4 \(kubernetes\) fp32-baseline: start/);
    // A kill in the middle of a write leaves half a line.
    appendFileSync(victim, '{"schemaVersion":1,"id":"torn');

    const rerun = runCli([...common, '--resume'], { JOB_COMPLETION_INDEX: '1', JOB_COMPLETIONS: '4' });
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/cut a torn last line/);
    expect(rerun.stderr).toMatch(/sweep: 2 run, 1 skipped/);
    const meta = readSweepMeta(join(dir, 'shards', 'shard-1'));
    expect(meta?.shard).toMatchObject({ index: 1, count: 4, engine: 'kubernetes' });
    expect(readResults(victim).results.map((r) => r.shard)).toEqual([1, 1, 1].map(() => ({ index: 1, count: 4, engine: 'kubernetes' })));

    // The merge takes a glob (no shell expands it here) and writes the combined report.
    const merged = join(dir, 'merged');
    const m = runCli(['report', 'merge', join(dir, 'shards', 'shard-*'), '-o', merged]);
    expect(m.status, m.stderr).toBe(0);
    expect(m.stdout).toMatch(/merged 6 variants from 4 inputs \(3 duplicates dropped\)/);
    expect(existsSync(join(merged, 'index.html'))).toBe(true);

    const single = join(dir, 'single');
    const s = runCli(['sweep', '--out', single, '--cache-dir', join(dir, 'cache'), '--no-report']);
    expect(s.status, s.stderr).toBe(0);
    const got = readResults(join(merged, 'results.jsonl')).results;
    const want = readResults(join(single, 'results.jsonl')).results;
    expect(got.map((r) => r.id)).toEqual(planned.map((p) => p.id));
    expect(new Set(got.map((r) => r.id)).size).toBe(got.length);
    expect(got.map((r) => r.id)).toEqual(want.map((r) => r.id));
    expect(got.map((r) => r.metrics?.quality)).toEqual(want.map((r) => r.metrics?.quality));
    expect(got.every((r) => r.status === 'ok')).toBe(true);
  }, 60_000);

  it('refuses to merge shards of another spec (one line, exit 2), and names missing variants', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-pods-bad-'));
    const quiet = (): void => undefined;
    const other = { ...DEFAULT_SWEEP_SPEC, name: 'other', variants: [{ name: 'fp16', precision: { '*': 'fp16' as const } }] };
    await runSweep(DEFAULT_SWEEP_SPEC, { out: join(dir, 'a'), ep: 'cpu', shard: parseShard('0/2'), driver: createFakeDriver(), log: quiet });
    await runSweep(other, { out: join(dir, 'b'), ep: 'cpu', shard: parseShard('1/2'), driver: createFakeDriver(), log: quiet });
    const bad = runCli(['report', 'merge', join(dir, 'a'), join(dir, 'b'), '-o', join(dir, 'm')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: report merge: .*\/b ran another spec than .*\/a/)]);
    expect(existsSync(join(dir, 'm', 'results.jsonl'))).toBe(false);
    // Shard 1/2 of the default spec never ran: its variants are named; allowMissing writes a partial merge.
    expect(() => mergeResults([join(dir, 'a')], join(dir, 'm'), { warn: quiet })).toThrow(/3 planned variants are in no input: fp16, res-96, fp16\+res-96/);
    expect(existsSync(join(dir, 'm', 'results.jsonl'))).toBe(false);
    const warnings: string[] = [];
    const partial = mergeResults([join(dir, 'a')], join(dir, 'm'), { allowMissing: true, warn: (s) => warnings.push(s) });
    expect(warnings.join('')).toMatch(/warning: 3 planned variants/);
    expect(partial.results.map((r) => r.index)).toEqual([0, 2, 4]);
  }, 30_000);
});
