/**
 * Shape-pinned sessions (PipelineSettings.shapeSessions, src/runner/shape-pool.ts): a call goes to the session
 * that last ran its input shapes, else to the least recently used one; several sessions give the same outputs
 * as one, and every one of them is released.
 */
import { dirname } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadManifest } from '../../src/models/load-manifest.js';
import { feed, RoleSessions } from '../../src/runner/role-sessions.js';
import { ShapePool } from '../../src/runner/shape-pool.js';
import type { Session } from '../../src/runtime/index.js';
import { tinyManifest } from './tiny-set.js';

const shaped = (n: number) => ({ x: { dims: [1, n] } });

describe('ShapePool', () => {
  test('a shape stays on its session; a new shape takes the least recently used one', () => {
    const s = [{ id: 0 }, { id: 1 }] as unknown as Session[];
    const pool = new ShapePool(s);
    const id = (n: number) => (pool.pick(shaped(n)) as unknown as { id: number }).id;
    expect([id(20), id(40), id(20), id(40), id(20)]).toEqual([0, 1, 0, 1, 0]);
    // 60 is new: session 1 was used least recently, so it now owns 60 and forgets 40.
    expect(id(60)).toBe(1);
    expect(pool.routing()).toEqual({ [ShapePool.keyOf(shaped(20))]: 0, [ShapePool.keyOf(shaped(60))]: 1 });
    expect(id(40)).toBe(0);
  });

  test('the key names every input and its dims, in name order', () => {
    expect(ShapePool.keyOf({ b: { dims: [2] }, a: { dims: [1, 3] } })).toBe('a:1x3;b:2');
  });
});

describe('RoleSessions with shapeSessions', () => {
  test('two HiFi-GAN sessions, two lengths: each length on its own session, outputs as one session gives', async () => {
    const file = await tinyManifest();
    const manifest = loadManifest(file);
    const base = { manifest, manifestDir: dirname(file), roles: ['hifigan'] as const, session: { ep: 'cpu' as const } };
    const width = manifest.config.gptWidth;
    const one = await RoleSessions.load({ ...base, roles: [...base.roles] });
    const two = await RoleSessions.load({ ...base, roles: [...base.roles], shapeSessions: { hifigan: 2 } });
    try {
      const speakerDims = (one.inputMetadata('hifigan').find((m) => m.name === 'speaker_embedding')?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
      const speaker = feed.f32(
        speakerDims,
        new Float32Array(speakerDims.reduce((a, b) => a * b, 1)).map((_, i) => Math.cos(i)),
      );
      const call = (s: RoleSessions, n: number) =>
        s.run('hifigan', {
          latent_codes: feed.f32(
            [1, n, width],
            new Float32Array(n * width).map((_, i) => Math.sin(i * 0.01)),
          ),
          speaker_embedding: speaker,
        });
      for (const n of [3, 5, 3, 5]) {
        const [a, b] = await Promise.all([call(one, n), call(two, n)]);
        expect(Buffer.from((b.waveform?.data as Float32Array).buffer).equals(Buffer.from((a.waveform?.data as Float32Array).buffer))).toBe(true);
      }
      expect(Object.values(two.shapeRouting('hifigan')).sort()).toEqual([0, 1]);
      expect(one.shapeRouting('hifigan')).toEqual({});
      expect(two.stats().hifigan?.calls).toBe(4);
    } finally {
      await one.release();
      await two.release();
    }
    await expect(two.run('hifigan', {})).rejects.toThrow(/no session loaded for role 'hifigan'/);
  });
});
