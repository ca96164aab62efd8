/**
 * `sweep --devices 0,1` on the CPU: two worker processes (the real CLI with the fake driver, forking itself
 * in --device-worker mode), each given its device id. The baseline runs first, alone; results.jsonl has the
 * one-device sweep's ids, order and quality figures; each result records the device it ran on, and the id
 * reached the run (the fake driver writes it to run.json). The CPU ignores the ids; sessionConfigFor shows
 * where a real run hands them to the CUDA provider.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_SETTINGS_DEFAULTS, SettingsInUse } from '../../src/runner/pipeline-settings.js';
import { sessionConfigFor } from '../../src/runner/session-config.js';
import { describeSessionConfig } from '../../src/runtime/index.js';
import { readResults } from '../../src/sweep/result-store.js';
import { runSweep } from '../../src/sweep/run-sweep.js';
import { DEFAULT_SWEEP_SPEC } from '../../src/sweep/spec.js';
import { parseDevices } from '../../src/cli/commands/sweep.js';
import { bundleCli, repoRoot } from './helpers/bundle-cli.js';
import { createFakeDriver } from './helpers/fake-driver.js';

let cli = '';
let cleanup = (): void => undefined;
beforeAll(async () => {
  ({ cli, cleanup } = await bundleCli('test/sweep/helpers/fake-cli.ts', 'fake-cli-devices'));
});
afterAll(() => cleanup());

describe('sweep --devices (CPU, fake device ids)', () => {
  it('gives the one-device results.jsonl, with each variant on one of the devices', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-devices-'));
    const out = join(dir, 'devices');
    const r = spawnSync(process.execPath, [cli, 'sweep', '--devices', '0,1', '--out', out, '--cache-dir', join(dir, 'cache'), '--no-report'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, FAKE_SWEEP_DELAY_MS: '100' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const single = join(dir, 'single');
    await runSweep(DEFAULT_SWEEP_SPEC, { out: single, ep: 'cpu', driver: createFakeDriver(), log: () => undefined });
    const got = readResults(join(out, 'results.jsonl')).results;
    const want = readResults(join(single, 'results.jsonl')).results;
    expect(got.map((x) => x.id)).toEqual(want.map((x) => x.id));
    expect(got.map((x) => x.metrics?.quality)).toEqual(want.map((x) => x.metrics?.quality));
    expect(got.every((x) => x.status === 'ok')).toBe(true);
    // Both devices worked, each result names its device, and that id reached the run.
    expect(new Set(got.map((x) => x.env.deviceId))).toEqual(new Set([0, 1]));
    for (const x of got) expect(JSON.parse(readFileSync(join(x.metrics?.runDir as string, 'run.json'), 'utf8'))).toEqual({ deviceId: x.env.deviceId });
    // The baseline finished before any other variant started.
    const baselineDone = got[0]?.finishedAt ?? '';
    expect(got.slice(1).every((x) => x.startedAt >= baselineDone)).toBe(true);
    expect(r.stderr).toMatch(/devices 0,1/);
    expect(r.stderr).toMatch(/\] dev 0 fp32-baseline: start/);
    expect(r.stderr).toMatch(/\] dev 1 \S+: run/);
  }, 60_000);

  it('a killed sweep leaves no worker behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-devices-kill-'));
    const child = spawn(process.execPath, [cli, 'sweep', '--devices', '0,1', '--out', join(dir, 'out'), '--no-report'], {
      cwd: repoRoot,
      env: { ...process.env, FAKE_SWEEP_DELAY_MS: '15000' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 20_000;
    while (!/dev 0 fp32-baseline: run/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const pids = [...stderr.matchAll(/device \d: worker pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids.length, stderr).toBe(2);
    child.kill('SIGKILL');
    // Gone, or a zombie waiting for its new parent to reap it: either way it holds no device.
    const alive = (pid: number): boolean => {
      try {
        return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    const until = Date.now() + 5_000;
    while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(pids.filter(alive)).toEqual([]);
  }, 30_000);

  it('hands the device id to the CUDA provider of every session', () => {
    const c = sessionConfigFor('cuda', new SettingsInUse(PIPELINE_SETTINGS_DEFAULTS), 1);
    expect(c.deviceId).toBe(1);
    expect(describeSessionConfig(c).find((o) => o.key === 'device_id')?.value).toBe('1');
    expect(sessionConfigFor('cpu', new SettingsInUse(PIPELINE_SETTINGS_DEFAULTS)).deviceId).toBeUndefined();
  });

  it('rejects bad device lists', () => {
    expect(parseDevices('0, 1,3')).toEqual([0, 1, 3]);
    expect(() => parseDevices('0,x')).toThrow(/--devices: expected device ids/);
    expect(() => parseDevices('1,1')).toThrow(/appears twice/);
  });
});
