/**
 * The untimed warm-up pass (PipelineSettings.warmup): the timed run that follows produces the same outputs as a
 * cold run, its role stats and fingerprints describe the timed run only (calls not doubled), the warm-up
 * records no calibration inputs, run.json keeps its time; a sweep's `warmup` joins the variant ids. The warm
 * run also prepares the avatar once (avatarCache): its timed run reuses the warm-up's voice conditioning and
 * source features, with the cold run's outputs. Each LMDM window's seeded noise is drawn once per sessions.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { RoleSessions } from '../../src/runner/role-sessions.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import type { RunResult } from '../../src/runner/run-result.js';
import { expandVariants, parseSweepSpec } from '../../src/sweep/spec.js';
import { tinyManifest } from './tiny-set.js';
import { DB_CAP } from '../../src/runner/quality.js';

const ROOT = join(tmpdir(), `wb-warmup-${process.pid}`);
const TEXT = 'Hi there.';
let manifest: string;
let cold: RunResult;
let warm: RunResult;
/** LMDM window-noise tables asked of the sessions, and drawn, in the warm run (both passes). */
const noise = { asked: 0, drawn: 0 };

beforeAll(async () => {
  mkdirSync(ROOT, { recursive: true });
  manifest = await tinyManifest();
  const common = { manifest, text: TEXT, steps: 2, seed: 0, mp4: false } as const;
  cold = await runPipeline({ ...common, out: join(ROOT, 'cold'), recordInputs: { dir: join(ROOT, 'cold', 'calib'), roles: ['lmdm'] } });
  const memo = RoleSessions.prototype.memo;
  const spy = vi.spyOn(RoleSessions.prototype, 'memo').mockImplementation(function <T>(this: RoleSessions, owner: object, key: string, make: () => Promise<T>) {
    if (!key.startsWith('lmdm.noise.')) return memo.call(this, owner, key, make);
    noise.asked++;
    return memo.call(this, owner, key, () => {
      noise.drawn++;
      return make();
    });
  });
  warm = await runPipeline({
    ...common,
    out: join(ROOT, 'warm'),
    settings: { warmup: true, avatarCache: true },
    baseline: join(ROOT, 'cold'),
    recordInputs: { dir: join(ROOT, 'warm', 'calib'), roles: ['lmdm'] },
  });
  spy.mockRestore();
}, 120_000);

describe('warm-up pass', () => {
  test("the timed run after a warm-up gives the cold run's outputs", () => {
    expect(warm.quality?.audio?.snrDb).toBe(DB_CAP);
    expect(warm.quality?.frames?.psnrMean).toBe(DB_CAP);
    expect(warm.quality?.firstDivergentRole).toBeNull();
  });

  test('stats, counts and recorded inputs describe the timed run only', () => {
    for (const role of ['gpt_decode', 'lmdm', 'decoder'] as const) expect(warm.roles[role]?.calls).toBe(cold.roles[role]?.calls);
    expect(warm.counts).toEqual(cold.counts);
    const files = (dir: string): number => readdirSync(join(ROOT, dir, 'calib', 'lmdm')).length;
    expect(files('warm')).toBe(files('cold'));
    expect(files('cold')).toBeGreaterThan(0);
  });

  test("each LMDM window's noise is drawn once per sessions: the warm-up draws, the timed run reuses", () => {
    expect(warm.counts.lmdmWindows).toBeGreaterThan(0);
    expect(noise.asked).toBe(2 * warm.counts.lmdmWindows);
    expect(noise.drawn).toBe(warm.counts.lmdmWindows);
  });

  test('avatarCache: the timed run reuses the avatar prepared in the warm-up', () => {
    for (const role of ['cond_encoder', 'speaker_encoder', 'appearance_extractor', 'motion_extractor'] as const) {
      expect(cold.roles[role]?.calls).toBe(1);
      expect(warm.roles[role]).toBeUndefined();
    }
    expect(warm.config.settings.avatarCache).toBe(true);
    expect(cold.config.settings.avatarCache).toBe(false);
  });

  test('run.json keeps the warm-up time and says it warmed up', () => {
    expect(warm.config.settings.warmup).toBe(true);
    expect(warm.timing.warmupMs).toBeGreaterThan(0);
    expect(cold.config.settings.warmup).toBe(false);
    expect(cold.timing.warmupMs).toBeNull();
  });

  test("a sweep's warmup joins the variant ids only when set", () => {
    const ids = (extra: object): string[] =>
      expandVariants(parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ steps: 3 }], ...extra })).map((v) => v.id);
    expect(ids({ warmup: true })).not.toEqual(ids({}));
    expect(ids({ warmup: false })).toEqual(ids({}));
    expect(() => parseSweepSpec({ schemaVersion: 1, name: 's', warmup: 'yes' })).toThrow(/warmup: expected true or false/);
  });
});
