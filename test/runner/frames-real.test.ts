/**
 * The pipeline on the tiny reference set renders real frames: spatial structure in every frame and
 * differences between consecutive frames driven by the audio-driven motion, with LMDM's x_start and the
 * keypoints in the real models' ranges (no flat grey frames from keypoints far outside the warp volume).
 * Uses its own set (seed 0, the seed the flat-frame defect was found with), so no other test file writes it.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { buildReferenceSet } from '../../src/models/build.js';
import { MOTION_LAYOUT as L, motionToKeypoints } from '../../src/runner/keypoints.js';
import { decodeSample, type RoleFingerprint } from '../../src/runner/role-sessions.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import type { RunResult } from '../../src/runner/run-result.js';

const SET = join(tmpdir(), 'workbench-runner-tests', 'tiny-seed0');
const OUT = join(tmpdir(), 'workbench-runner-tests', `frames-real-${process.pid}`);

let run: RunResult;
let frames: Float32Array[] = [];
let motion = new Float32Array(0);
let fps: Partial<Record<string, RoleFingerprint>> = {};

function std(x: ArrayLike<number>): { mean: number; std: number; absMax: number } {
  let s = 0;
  let s2 = 0;
  let absMax = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    s += v;
    s2 += v * v;
    absMax = Math.max(absMax, Math.abs(v));
  }
  const mean = s / x.length;
  return { mean, std: Math.sqrt(Math.max(0, s2 / x.length - mean * mean)), absMax };
}

beforeAll(async () => {
  const { manifestPath } = buildReferenceSet({ scale: 'tiny', seed: 0, outDir: SET });
  run = await runPipeline({
    manifest: manifestPath,
    text: 'Hello there, this is a short test.',
    out: OUT,
    steps: 2,
    seed: 3,
    settings: { session: { intraOpThreads: 1 } },
    mp4: false,
  });
  const raw = readFileSync(join(OUT, 'frames.rgb'));
  const n = run.video.width * run.video.height * 3;
  frames = Array.from({ length: run.video.frames }, (_, i) => Float32Array.from(raw.subarray(i * n, (i + 1) * n), (v) => v / 255));
  const m = readFileSync(join(OUT, 'motion.f32'));
  motion = new Float32Array(m.buffer.slice(m.byteOffset, m.byteOffset + m.byteLength));
  fps = JSON.parse(readFileSync(join(OUT, 'fingerprints.json'), 'utf8')) as Partial<Record<string, RoleFingerprint>>;
});

describe('tiny pipeline frames are real images', () => {
  test('every frame has spatial structure (pixel std > 0.02 on [0,1])', () => {
    expect(frames.length).toBeGreaterThan(40);
    for (const [i, f] of frames.entries()) {
      const s = std(f);
      expect(s.std, `frame ${i}`).toBeGreaterThan(0.02);
      expect(s.mean, `frame ${i}`).toBeGreaterThan(0.1);
      expect(s.mean, `frame ${i}`).toBeLessThan(0.9);
    }
  });

  test('consecutive frames differ (mean |Δ| > 0) for most frames', () => {
    let moving = 0;
    for (let i = 1; i < frames.length; i++) {
      const a = frames[i - 1] as Float32Array;
      const b = frames[i] as Float32Array;
      let mad = 0;
      for (let j = 0; j < a.length; j++) mad += Math.abs((a[j] as number) - (b[j] as number));
      if (mad / a.length > 0) moving++;
    }
    expect(moving / (frames.length - 1)).toBeGreaterThan(0.8);
  });

  test('LMDM x_start and the smoothed motion are in realistic ranges; keypoints within ±2', () => {
    const xs = fps.lmdm?.x_start;
    if (!xs) throw new Error('no lmdm x_start fingerprint');
    expect(xs.std).toBeGreaterThan(0.2);
    expect(xs.std).toBeLessThan(2);
    expect(xs.absMax).toBeLessThan(6);
    const D = L.size;
    expect(motion.length).toBe(frames.length * D);
    const m = std(motion);
    expect(m.std).toBeGreaterThan(0.2);
    expect(m.std).toBeLessThan(2);
    const kpFp = fps.motion_extractor?.kp;
    if (!kpFp) throw new Error('no motion_extractor kp fingerprint');
    expect(kpFp.stride).toBe(1);
    const kpCanonical = decodeSample(kpFp);
    expect(std(kpCanonical).absMax).toBeLessThan(0.8);
    let kpMax = 0;
    for (let f = 0; f < frames.length; f++) kpMax = Math.max(kpMax, std(motionToKeypoints(motion.subarray(f * D, (f + 1) * D), kpCanonical)).absMax);
    expect(kpMax).toBeLessThan(2);
    expect(fps.stitch_network?.out?.absMax).toBeLessThan(2);
  });
});
