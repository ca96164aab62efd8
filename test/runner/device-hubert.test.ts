/**
 * DeviceHubert: HuBERT's chunks in fixed device buffers, ready for `enable_cuda_graph` (every run on the session,
 * the first included, binds preallocated tensors at the same addresses: ORT captures on the first run and
 * replays on those). The output's symbolic dims come from shape inference, not from a run. Same features as a
 * host run. Native backend on the CPU EP (tiny hubert); skips without the addon except in CI.
 */
import { dirname } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { loadManifest } from '../../src/models/load-manifest.js';
import { dittoConfigFor, hubertFrames } from '../../src/models/ditto/config.js';
import { DeviceHubert, hubertOutputDims } from '../../src/runner/device-hubert.js';
import { RoleSessions, roleFile } from '../../src/runner/role-sessions.js';
import { type DeviceTensor, isDeviceTensor, nativeUnavailable, type Session } from '../../src/runtime/index.js';
import { tinyManifest } from './tiny-set.js';

const why = nativeUnavailable();
if (why && process.env.CI) throw new Error(`CI: the native addon is missing (${why})`);

(why ? describe.skip : describe)('HuBERT on the device path', () => {
  test('dims by inference; every run binds the same preallocated tensors; the host run’s features', async () => {
    const file = await tinyManifest();
    const manifest = loadManifest(file);
    const o = { manifest, manifestDir: dirname(file), roles: ['hubert'] as const };
    const n = manifest.config.chunkSamples;
    const dims = hubertOutputDims(roleFile(o, 'hubert'), n);
    expect(dims?.[0]).toBe(hubertFrames(dittoConfigFor('tiny').hubert, n));
    const native = await RoleSessions.load({ ...o, session: { ep: 'cpu', backend: 'native' } });
    const host = await RoleSessions.load({ ...o, session: { ep: 'cpu' } });
    try {
      const s = native.session('hubert') as Session;
      const runBound = vi.spyOn(s, 'runBound');
      const run = vi.spyOn(s, 'run');
      const prepare = vi.spyOn(s, 'prepare');
      const path = await DeviceHubert.create(native, n);
      expect(path).toBeDefined();
      const again = await DeviceHubert.create(native, n); // the timed run's stage, on the warm-up's sessions
      for (let k = 0; k < 3; k++) {
        const x = Float32Array.from({ length: n }, (_, i) => Math.sin((i + 1000 * k) / 37) * 0.3);
        const got = await (k === 2 ? again : path)?.run(x);
        const want = (await host.run('hubert', { input_values: { type: 'float32', dims: [1, n], data: x } })).encoding_out;
        expect(got?.dims).toEqual(dims);
        expect(Array.from(got?.data as Float32Array)).toEqual(Array.from(want?.data as Float32Array));
      }
      // No run outside the fixed bindings: no discovery run, no host run, one binding for every chunk.
      expect(runBound).not.toHaveBeenCalled();
      expect(run).not.toHaveBeenCalled();
      expect(prepare).toHaveBeenCalledTimes(1);
      const [feeds, outputs] = prepare.mock.calls[0] as [Record<string, DeviceTensor>, Record<string, DeviceTensor>];
      expect([...Object.values(feeds), ...Object.values(outputs)].every((t) => isDeviceTensor(t))).toBe(true);
      expect(native.stats().hubert?.calls).toBe(3);
    } finally {
      await native.release();
      await host.release();
    }
  });
});
