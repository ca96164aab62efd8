/**
 * The pipeline on the native backend (CPU EP, tiny set): the Ditto stage keeps the avatar's tensors and the
 * stitch → warp → decoder intermediates in device tensors, and LMDM's DDIM state on the device across the
 * steps (the update as a float64 graph; src/runner/device-io.ts), and HuBERT's chunks in fixed device buffers
 * (src/runner/device-hubert.ts); audio, motion and frames equal the node
 * backend's run exactly, and run.json records the backend. Skips without the addon except in CI.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { DeviceHubert } from '../../src/runner/device-hubert.js';
import { DeviceLmdm, DeviceRenderPath } from '../../src/runner/device-io.js';
import { DB_CAP } from '../../src/runner/quality.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import type { RunResult } from '../../src/runner/run-result.js';
import { nativeUnavailable } from '../../src/runtime/index.js';
import { tinyManifest } from './tiny-set.js';

const why = nativeUnavailable();
if (why && process.env.CI) throw new Error(`CI: the native addon is missing (${why})`);
const d = why ? describe.skip : describe;

const ROOT = join(tmpdir(), `wb-native-run-${process.pid}`);
let node: RunResult;
let native: RunResult;
const made = { render: [] as boolean[], lmdm: [] as boolean[], hubert: [] as boolean[] };

d('pipeline on the native backend', () => {
  beforeAll(async () => {
    mkdirSync(ROOT, { recursive: true });
    const manifest = await tinyManifest();
    const common = { manifest, text: 'Hi there.', steps: 2, seed: 0, mp4: false } as const;
    const render = vi.spyOn(DeviceRenderPath, 'create');
    const lmdm = vi.spyOn(DeviceLmdm, 'create');
    const hubert = vi.spyOn(DeviceHubert, 'create');
    node = await runPipeline({ ...common, out: join(ROOT, 'node') });
    made.render.push(...render.mock.results.map((r) => r.value !== undefined));
    made.lmdm.push(...(await Promise.all(lmdm.mock.results.map((r) => r.value))).map((v) => v !== undefined));
    made.hubert.push(...(await Promise.all(hubert.mock.results.map((r) => r.value))).map((v) => v !== undefined));
    render.mockClear();
    lmdm.mockClear();
    hubert.mockClear();
    native = await runPipeline({ ...common, out: join(ROOT, 'native'), settings: { backend: 'native' }, baseline: join(ROOT, 'node') });
    made.render.push(...render.mock.results.map((r) => r.value !== undefined));
    made.lmdm.push(...(await Promise.all(lmdm.mock.results.map((r) => r.value))).map((v) => v !== undefined));
    made.hubert.push(...(await Promise.all(hubert.mock.results.map((r) => r.value))).map((v) => v !== undefined));
  }, 180_000);

  test('the device paths ran on native only (node: host path)', () => {
    // node run: one avatar, every window → host path (create returned undefined); native: device paths.
    expect(made.render).toEqual([false, true]);
    expect(made.lmdm).toEqual([false, true]); // made once per stage
    expect(made.hubert).toEqual([false, true]);
  });

  test('same audio and frames as the node backend', () => {
    expect(native.quality?.audio?.snrDb).toBe(DB_CAP);
    expect(native.quality?.frames?.psnrMean).toBe(DB_CAP);
    expect(native.quality?.motion?.rmse).toBe(0);
    expect(native.quality?.firstDivergentRole).toBeNull();
    expect(native.counts).toEqual(node.counts);
  });

  test('run.json records the backend applied; every role was called', () => {
    expect(native.config.settings.backend).toBe('native');
    // HuBERT's output-dims run is the session's own, outside the role's calls.
    for (const role of ['stitch_network', 'warp_network', 'decoder', 'lmdm', 'hubert'] as const)
      expect(native.roles[role]?.calls).toBe(node.roles[role]?.calls);
  });

  test("bound calls split their slowest wall time into the backend's run and the wait outside it", () => {
    // The device render path's calls are bound: the backend reports each run's own time. Host runs are not split.
    const warp = native.roles.warp_network;
    expect(warp?.maxRunMs).toBeGreaterThan(0);
    expect(warp?.maxWaitMs).toBeGreaterThanOrEqual(0);
    expect(warp?.maxRunMs ?? Infinity).toBeLessThanOrEqual(warp?.maxMs ?? 0);
    expect(node.roles.warp_network?.maxRunMs).toBeUndefined();
    expect(node.roles.hubert?.maxRunMs).toBeUndefined();
    // HuBERT's chunks are bound runs on native too.
    expect(native.roles.hubert?.maxRunMs).toBeGreaterThan(0);
    // Host runs remain host runs: the vocoder's.
    expect(native.roles.hifigan?.maxRunMs).toBeUndefined();
  });
});
