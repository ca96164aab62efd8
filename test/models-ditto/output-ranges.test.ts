/**
 * The reference graphs' outputs sit in the real models' ranges (config.ts MOTION_HEAD_INIT /
 * LMDM_X_START_STD), so the keypoints keep the warp's GridSample inside the volume and the decoder draws
 * real frames: motion_extractor → keypoints of the source, LMDM x_start → driving keypoints, then
 * stitch → warp → decoder on the tiny graphs. motion_extractor and LMDM are also checked at full scale
 * (their weights are small enough to build in a test).
 */
import { describe, expect, it } from 'vitest';
import { DITTO_BUILDERS, dittoIo } from '../../src/models/ditto/index.js';
import { canonicalKpPattern } from '../../src/models/ditto/config.js';
import type { Scale } from '../../src/models/manifest.js';
import { createRng } from '../../src/onnx/rng.js';
import { DataType } from '../../src/onnx/dtype.js';
import type { HostTensor } from '../../src/runtime/index.js';
import { resizeRgb, rgbToTensor, syntheticFace } from '../../src/media/image.js';
import { MOTION_LAYOUT as L, binsToDegrees, motionToKeypoints, packMotion } from '../../src/runner/keypoints.js';
import { runOnCpu, stats } from './helpers.js';

const f32 = (dims: number[], data: Float32Array): HostTensor => ({ type: 'float32', dims, data });

/** Values of dims [from, to) of every frame of a [frames × dim] sequence. */
function field(seq: Float32Array, dim: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let f = 0; f < seq.length / dim; f++) for (let d = from; d < to; d++) out.push(seq[f * dim + d] as number);
  return out;
}

interface Source {
  image: HostTensor;
  motion: Float32Array;
  kpCanonical: Float32Array;
  kpSource: Float32Array;
  raw: Record<string, HostTensor>;
}

async function source(scale: Scale, seed: number): Promise<Source> {
  const S = dittoIo(scale).motion_extractor.inputs.image?.shape[2] as number;
  const image = f32([1, 3, S, S], rgbToTensor(resizeRgb(syntheticFace(512), S, S)));
  const { results } = await runOnCpu(DITTO_BUILDERS.motion_extractor({ scale, seed, weights: 'random' }), { image });
  const raw = results[0] ?? {};
  const g = (k: string): Float32Array => raw[k]?.data as Float32Array;
  const motion = packMotion({ scale: g('scale'), pitch: g('pitch'), yaw: g('yaw'), roll: g('roll'), t: g('t'), exp: g('exp') });
  return { image, motion, kpCanonical: g('kp'), kpSource: motionToKeypoints(motion, g('kp')), raw };
}

/** One LMDM call (time_cond 999, x ~ N(0,1), cond ~ N(0,1) like HuBERT features) → x_start [80 × 265]. */
async function xStart(scale: Scale, seed: number, cf: Float32Array): Promise<Float32Array> {
  const io = dittoIo(scale).lmdm.inputs;
  const F = io.x?.shape[1] as number;
  const D = io.x?.shape[2] as number;
  const C = io.cond?.shape[2] as number;
  const rng = createRng(5);
  const x = new Float32Array(F * D);
  rng.fillNormal(x);
  const cond = new Float32Array(F * C);
  rng.fillNormal(cond);
  const feeds = {
    x: f32([1, F, D], x),
    cond_frame: f32([1, D], cf),
    cond: f32([1, F, C], cond),
    time_cond: { type: 'int64', dims: [1], data: BigInt64Array.from([999n]) } as HostTensor,
  };
  const { results } = await runOnCpu(DITTO_BUILDERS.lmdm({ scale, seed, weights: 'random' }), feeds);
  return results[0]?.x_start?.data as Float32Array;
}

function expectSourceRanges(s: Source): void {
  for (const k of ['pitch', 'yaw', 'roll']) {
    const st = stats(s.raw[k]?.data as Float32Array);
    expect(st.std, k).toBeGreaterThan(0.5);
    expect(st.std, k).toBeLessThan(2);
  }
  for (const off of [L.pitch, L.yaw, L.roll]) expect(Math.abs(binsToDegrees(s.motion, off))).toBeLessThan(30);
  expect(Math.abs(s.motion[L.scale] as number)).toBeLessThan(0.15); // scale − 1
  for (const k of ['t', 'exp']) expect(stats(s.raw[k]?.data as Float32Array).maxAbs, k).toBeLessThan(0.2);
  const kp = stats(s.kpCanonical);
  expect(kp.maxAbs).toBeLessThan(0.8);
  expect(kp.std).toBeGreaterThan(0.15); // spread out, not a clump at the origin
  expect(stats(s.kpSource).maxAbs).toBeLessThan(1);
}

function expectXStartRanges(xs: Float32Array, kpCanonical: Float32Array): void {
  const D = L.size;
  const all = stats(xs);
  expect(all.finite).toBe(true);
  expect(all.std).toBeGreaterThan(0.3);
  expect(all.std).toBeLessThan(2);
  expect(all.maxAbs).toBeLessThan(6);
  const pose = stats(field(xs, D, L.pitch, L.t));
  expect(pose.std).toBeGreaterThan(0.5);
  expect(pose.std).toBeLessThan(1.5);
  for (const [name, a, b] of [
    ['scale', L.scale, L.pitch],
    ['t', L.t, L.exp],
    ['exp', L.exp, D],
  ] as const) {
    const s = stats(field(xs, D, a, b));
    expect(s.std, name).toBeGreaterThan(1e-3);
    expect(s.std, name).toBeLessThan(0.1);
    expect(s.maxAbs, name).toBeLessThan(0.3);
  }
  let kpMax = 0;
  let degMax = 0;
  for (let f = 0; f < xs.length / D; f++) {
    const m = xs.subarray(f * D, (f + 1) * D);
    kpMax = Math.max(kpMax, stats(motionToKeypoints(m, kpCanonical)).maxAbs);
    for (const off of [L.pitch, L.yaw, L.roll]) degMax = Math.max(degMax, Math.abs(binsToDegrees(m, off)));
  }
  expect(kpMax).toBeLessThan(2);
  expect(degMax).toBeLessThan(45);
}

describe('Ditto reference graphs: realistic output ranges', () => {
  it('the canonical keypoint pattern is spread inside [-0.65, 0.65]', () => {
    const p = canonicalKpPattern(21);
    expect(p).toHaveLength(63);
    expect(stats(p).maxAbs).toBeLessThan(0.65);
    let minDist = Infinity;
    for (let i = 0; i < 21; i++)
      for (let j = i + 1; j < 21; j++) minDist = Math.min(minDist, Math.hypot(...[0, 1, 2].map((a) => (p[i * 3 + a] as number) - (p[j * 3 + a] as number))));
    expect(minDist).toBeGreaterThan(0.05);
  });

  for (const seed of [0, 1]) {
    it(`tiny seed ${seed}: motion_extractor and LMDM ranges; warp grids inside; decoder frames vary in space and with the motion`, async () => {
      const src = await source('tiny', seed);
      expectSourceRanges(src);
      const xs = await xStart('tiny', seed, src.motion);
      expectXStartRanges(xs, src.kpCanonical);

      const io = dittoIo('tiny');
      const { results: app } = await runOnCpu(DITTO_BUILDERS.appearance_extractor({ scale: 'tiny', seed, weights: 'random' }), { image: src.image });
      const feature = app[0]?.pred as HostTensor;
      const K = 21;
      const kp = (d: Float32Array): HostTensor => f32([1, K, 3], d);
      // Driving keypoints of three frames apart in time.
      const drivings = [0, 20, 40].map((f) => motionToKeypoints(xs.subarray(f * L.size, (f + 1) * L.size), src.kpCanonical));
      const { results: st } = await runOnCpu(
        DITTO_BUILDERS.stitch_network({ scale: 'tiny', seed, weights: 'random' }),
        ...drivings.map((d) => ({ kp_source: kp(src.kpSource), kp_driving: kp(d) })),
      );
      for (const r of st) expect(stats(r.out?.data as Float32Array).maxAbs).toBeLessThan(2);

      const warp = DITTO_BUILDERS.warp_network({ scale: 'tiny', seed, weights: 'random' });
      const grids = warp.graph.nodes.filter((n) => n.opType === 'GridSample').map((n) => n.inputs[1]);
      for (const g of grids)
        if (g) {
          g.type = { kind: 'tensor', elemType: DataType.FLOAT };
          warp.graph.outputs.push(g);
        }
      const { results: wo } = await runOnCpu(warp, ...st.map((r) => ({ feature_3d: feature, kp_source: kp(src.kpSource), kp_driving: r.out as HostTensor })));
      for (const r of wo) {
        for (const g of grids) {
          const data = r[g?.name ?? '']?.data as Float32Array;
          let inside = 0;
          for (const v of data) if (v >= -1 && v <= 1) inside++;
          expect(inside / data.length).toBeGreaterThan(0.8);
        }
        expect(stats(r.out?.data as Float32Array).std).toBeGreaterThan(0.05);
      }
      expect([...(wo[0]?.out?.dims ?? [])]).toEqual(io.warp_network.outputs.out?.shape);

      const { results: dec } = await runOnCpu(
        DITTO_BUILDERS.decoder({ scale: 'tiny', seed, weights: 'random' }),
        ...wo.map((r) => ({ feature: r.out as HostTensor })),
      );
      const frames = dec.map((r) => r.output?.data as Float32Array);
      for (const fr of frames) {
        const s = stats(fr);
        expect(s.std).toBeGreaterThan(0.05); // real spatial structure, not flat grey
        expect(s.mean).toBeGreaterThan(0.2);
        expect(s.mean).toBeLessThan(0.8);
      }
      for (let i = 1; i < frames.length; i++) {
        const a = frames[i - 1] as Float32Array;
        const b = frames[i] as Float32Array;
        let mad = 0;
        for (let j = 0; j < a.length; j++) mad += Math.abs((a[j] as number) - (b[j] as number));
        expect(mad / a.length).toBeGreaterThan(1e-3); // the motion moves the picture
      }
    });
  }

  it('full scale: motion_extractor and LMDM give the same ranges', async () => {
    const src = await source('full', 0);
    expectSourceRanges(src);
    expectXStartRanges(await xStart('full', 0, src.motion), src.kpCanonical);
  });
});
