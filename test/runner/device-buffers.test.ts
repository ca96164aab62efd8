/**
 * RoleSessions.deviceBuffer: the runner's device buffers live as long as the sessions, so a CUDA graph that
 * ORT captured on the warm-up's first call replays on the same addresses in the timed run. Same role, name,
 * type and dims → the same tensor across device paths made for two runs; anything else → another tensor;
 * release() frees them. Native backend on the CPU EP (tiny lmdm); skips without the addon except in CI.
 */
import { dirname } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadManifest } from '../../src/models/load-manifest.js';
import { cosineAlphasCumprod, ddimTimePairs } from '../../src/runner/ddim.js';
import { DeviceLmdm } from '../../src/runner/device-io.js';
import { RoleSessions } from '../../src/runner/role-sessions.js';
import { nativeUnavailable } from '../../src/runtime/index.js';
import { tinyManifest } from './tiny-set.js';

const why = nativeUnavailable();
if (why && process.env.CI) throw new Error(`CI: the native addon is missing (${why})`);

(why ? describe.skip : describe)('device buffers owned by the sessions', () => {
  test('two runs on the same sessions bind the same buffers', async () => {
    const file = await tinyManifest();
    const manifest = loadManifest(file);
    const sessions = await RoleSessions.load({ manifest, manifestDir: dirname(file), roles: ['lmdm'], session: { ep: 'cpu', backend: 'native' } });
    try {
      const cfg = manifest.config;
      const dims = [
        [1, cfg.seqFrames, cfg.motionDim],
        [1, cfg.seqFrames, cfg.condDim],
        [1, cfg.motionDim],
      ] as const;
      const a = await DeviceLmdm.create(sessions, ...dims, 2);
      const b = await DeviceLmdm.create(sessions, ...dims, 2);
      expect(a).toBeDefined();
      const x1 = sessions.deviceBuffer('lmdm', 'x', 'float32', dims[0]);
      expect(sessions.deviceBuffer('lmdm', 'x', 'float32', dims[0])).toBe(x1);
      expect(sessions.deviceBuffer('lmdm', 'x', 'float32', [2, cfg.seqFrames, cfg.motionDim])).not.toBe(x1);
      expect(sessions.deviceBuffer('lmdm', 'x_start', 'float32', dims[0])).not.toBe(x1);
      // Two device paths (as the warm-up's and the timed run's stages make them) sample through the same
      // tensors and the same DDIM-update session: the same window gives the same x.
      const size = cfg.seqFrames * cfg.motionDim;
      const noise = [0, 1, 2].map((k) => new Float32Array(size).map((_, i) => Math.sin(i * 0.1 + k)));
      const pairs = ddimTimePairs(2);
      const cond = new Float32Array(cfg.seqFrames * cfg.condDim).fill(0.5);
      const condFrame = new Float32Array(cfg.motionDim).fill(0.1);
      const fromA = await a?.sampleWindow(cond, condFrame, noise, pairs, cosineAlphasCumprod());
      const fromB = await b?.sampleWindow(cond, condFrame, noise, pairs, cosineAlphasCumprod());
      expect(Array.from(fromB ?? [])).toEqual(Array.from(fromA ?? []));
      expect(fromA?.length).toBe(size);
    } finally {
      await sessions.release();
    }
    expect(() => sessions.deviceBuffer('lmdm', 'x', 'float32', [1])).toThrow(/no session loaded for role 'lmdm'/);
  });
});
