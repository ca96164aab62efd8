/**
 * Role fingerprints (the first call's outputs, which compare-runs uses to find the first divergent role): a
 * reset that keeps them — what the runner does after a warm-up over the same inputs — takes no new one, so
 * the timed pass downloads nothing for them; a plain reset takes the next call's.
 */
import { dirname } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadManifest } from '../../src/models/load-manifest.js';
import { feed, RoleSessions } from '../../src/runner/role-sessions.js';
import { tinyManifest } from './tiny-set.js';

describe('role fingerprints across a stats reset', () => {
  test('kept after a warm-up reset, retaken after a plain one', async () => {
    const file = await tinyManifest();
    const manifest = loadManifest(file);
    const cfg = manifest.config;
    const sessions = await RoleSessions.load({ manifest, manifestDir: dirname(file), roles: ['lmdm'], session: { ep: 'cpu' } });
    const feeds = (v: number) => ({
      x: feed.f32([1, cfg.seqFrames, cfg.motionDim], new Float32Array(cfg.seqFrames * cfg.motionDim).fill(v)),
      cond_frame: feed.f32([1, cfg.motionDim], new Float32Array(cfg.motionDim).fill(0.1)),
      cond: feed.f32([1, cfg.seqFrames, cfg.condDim], new Float32Array(cfg.seqFrames * cfg.condDim).fill(0.5)),
      time_cond: feed.i64([1], [10]),
    });
    try {
      await sessions.run('lmdm', feeds(0.25));
      const first = JSON.stringify(sessions.fingerprints.lmdm);
      sessions.resetStats(true, true);
      await sessions.run('lmdm', feeds(-0.75));
      expect(JSON.stringify(sessions.fingerprints.lmdm)).toBe(first);
      expect(sessions.stats().lmdm?.calls).toBe(1);
      sessions.resetStats(true);
      await sessions.run('lmdm', feeds(-0.75));
      expect(JSON.stringify(sessions.fingerprints.lmdm)).not.toBe(first);
    } finally {
      await sessions.release();
    }
  });
});
