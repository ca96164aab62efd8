/**
 * Vocoder length buckets: each HiFi-GAN call gets its latents zero-padded to a multiple of the bucket (one
 * input shape for several streaming calls instead of a new one each time), and only the real tokens'
 * samples are kept, so the audio stays the same length (within a few samples) and close to the exact run.
 * The exact run is the shared plain run of the shared text (test/helpers/shared-run.ts: same steps and seed):
 * 38 audio tokens, two streaming vocoder calls (on 20 and on all 38 tokens), each padded to 64. Its audio
 * comes out 16 samples from the exact length (the last call's 38-of-64 share; the longer text this file spoke
 * before, 4 calls, landed 4 samples off): deterministic, a function of the shapes alone.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { RoleFingerprint } from '../../src/runner/role-sessions.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import type { RunResult } from '../../src/runner/run-result.js';
import { expandVariants, parseSweepSpec } from '../../src/sweep/spec.js';
import { SHARED_TEXT, sharedRun } from '../helpers/shared-run.js';
import { tinyManifest } from './tiny-set.js';

const ROOT = join(tmpdir(), `wb-vocoder-bucket-${process.pid}`);
const TEXT = SHARED_TEXT;
let manifest: string;
let exact: RunResult;
/** The exact run's folder (the shared run's). */
let exactDir: string;
let bucketed: RunResult;

beforeAll(async () => {
  mkdirSync(ROOT, { recursive: true });
  manifest = await tinyManifest();
  const common = { manifest, text: TEXT, steps: 2, seed: 0, mp4: false } as const;
  const shared = await sharedRun({ manifest, text: TEXT, steps: common.steps, seed: common.seed });
  exact = shared.run;
  exactDir = shared.dir;
  bucketed = await runPipeline({ ...common, out: join(ROOT, 'bucket'), settings: { vocoderBucket: 64 }, baseline: exactDir });
}, 120_000);

describe('vocoderBucket', () => {
  test('the first vocoder call ran on the padded length', () => {
    const fp = (dir: string): RoleFingerprint =>
      (JSON.parse(readFileSync(join(dir, 'fingerprints.json'), 'utf8')) as Record<string, RoleFingerprint>).hifigan as RoleFingerprint;
    const a = fp(exactDir).waveform?.dims[1] ?? 0;
    const b = fp(join(ROOT, 'bucket')).waveform?.dims[1] ?? 0;
    // 20 tokens streamed first; padded to 64 the call makes about 64/20 as many samples.
    expect(b / a).toBeGreaterThan(3);
    expect(bucketed.config.settings.vocoderBucket).toBe(64);
    expect(bucketed.appliedSettings.vocoderBucket).toBe(64);
    expect(exact.config.settings.vocoderBucket).toBe(0);
    expect(bucketed.counts.vocoderCalls).toBe(exact.counts.vocoderCalls);
  });

  test('the audio keeps its length and stays close to the exact run', () => {
    expect(Math.abs(bucketed.audio.samples - exact.audio.samples)).toBeLessThanOrEqual(16);
    const q = bucketed.quality?.audio;
    expect(q).toBeTruthy();
    expect(q?.logMelDistanceDb).toBeLessThan(0.5);
    expect(q?.snrDb).toBeGreaterThan(15);
  });

  test('a sweep variant takes vocoderBucket; it joins the id only when set', () => {
    const spec = parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ vocoderBucket: 64 }, { steps: 3 }] });
    const [base, voc, steps] = expandVariants(spec);
    expect(voc?.name).toBe('voc64');
    expect(new Set([base?.id, voc?.id, steps?.id]).size).toBe(3);
    // Unchanged id for a variant without the field (results.jsonl of older sweeps still resume).
    expect(expandVariants(parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ steps: 3 }] }))[1]?.id).toBe(steps?.id);
    expect(() => parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ vocoderBucket: -1 }] })).toThrow(/vocoderBucket: expected an integer >= 0/);
  });
});
