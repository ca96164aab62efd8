/**
 * The diffusion-loop pass on the tiny LMDM (ORT, CPU EP): one call of the loop graph gives the host DDIM
 * loop's motion (runner/ddim.ts, `steps` calls of the step graph) bit for bit; the unrolled graph is within 1e-6
 * relative L2 of it, and bit for bit the Loop's with ORT's optimizations off; the record carries the
 * schedule and guidance; a graph that is not LMDM's step is refused naming the missing value.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildLmdm } from '../../src/models/ditto/lmdm.js';
import { buildDecoder } from '../../src/models/ditto/decoder.js';
import { createRng } from '../../src/onnx/rng.js';
import { parseModel } from '../../src/onnx/read-model.js';
import type { Model } from '../../src/onnx/types.js';
import { verifyModel } from '../../src/onnx/verify.js';
import { serializeModel } from '../../src/onnx/write-model.js';
import { openSession, toFloat32 } from '../../src/quantize/execute.js';
import { createSession } from '../../src/runtime/index.js';
import { diffusionLoop, readDiffusionLoopRecord } from '../../src/quantize/diffusion-loop.js';
import { cosineAlphasCumprod, ddimCoefficients, ddimTimePairs, ddimUpdate, drawWindowNoise } from '../../src/runner/ddim.js';

const STEPS = 4;

function relL2(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
    den += (b[i] ?? 0) ** 2;
  }
  return Math.sqrt(num / den);
}
let lmdm: Model;
let F = 0;
let D = 0;
let C = 0;

beforeAll(() => {
  lmdm = buildLmdm({ scale: 'tiny', seed: 1, weights: 'random' });
  const dims = (n: string): number[] => (lmdm.graph.inputs.find((v) => v.name === n)?.tensorType?.shape ?? []) as number[];
  [, F = 0, D = 0] = dims('x');
  C = dims('cond')[2] ?? 0;
});

describe('diffusion-loop pass', () => {
  it('one call gives the host DDIM loop’s motion bit for bit', async () => {
    const size = F * D;
    const noise = drawWindowNoise(createRng(11), STEPS, size);
    const cond = new Float32Array(F * C);
    createRng(12).fillUniform(cond, 1, 0);
    const condFrame = new Float32Array(D);
    createRng(13).fillUniform(condFrame, 0.5, 0);
    // Host loop, as ditto-stage runs it.
    const s = await openSession(lmdm);
    const x = Float32Array.from(noise[0] as Float32Array);
    const alphas = cosineAlphasCumprod();
    const pairs = ddimTimePairs(STEPS);
    for (let k = 0; k < pairs.length; k++) {
      const [t, next] = pairs[k] as [number, number];
      const out = await s.run({
        x: { type: 'float32', dims: [1, F, D], data: x.slice() },
        cond_frame: { type: 'float32', dims: [1, D], data: condFrame },
        cond: { type: 'float32', dims: [1, F, C], data: cond },
        time_cond: { type: 'int64', dims: [1], data: BigInt64Array.from([BigInt(t)]) },
      });
      const x0 = toFloat32(out.x_start!);
      if (next < 0) x.set(x0.subarray(0, size));
      else ddimUpdate(x, x0, toFloat32(out.pred_noise!), noise[k + 1] as Float32Array, ddimCoefficients(alphas, t, next));
    }
    await s.release();

    const all = new Float32Array(STEPS * size);
    noise.forEach((z, k) => all.set(z, k * size));
    // The Loop graph, and the same steps unrolled (no Loop node, the weights shared, not copied).
    let loopUnoptimized: Float32Array = new Float32Array(0);
    for (const unroll of [false, true]) {
      const loop = diffusionLoop(lmdm, { steps: STEPS, unroll });
      verifyModel(loop);
      expect(readDiffusionLoopRecord(loop)).toMatchObject({ steps: STEPS, eta: 1, timesteps: 1000, guidanceScale: 2, ...(unroll ? { unroll: true } : {}) });
      expect(loop.graph.nodes.some((n) => n.opType === 'Loop')).toBe(!unroll);
      if (unroll) {
        expect(loop.graph.nodes.length).toBeGreaterThan(STEPS * lmdm.graph.nodes.length);
        const weights = (m: Model): number => m.graph.initializers.reduce((n, v) => n + (v.initializer?.data.length ?? 0), 0);
        expect(weights(loop)).toBeLessThan(2 * weights(lmdm));
      }
      const back = parseModel(serializeModel(loop), 'mem');
      const motion = async (level?: 'disabled'): Promise<Float32Array> => {
        const ls = level ? await createSession(serializeModel(back), { ep: 'cpu', graphOptimizationLevel: level, intraOpThreads: 1 }) : await openSession(back);
        const got = toFloat32(
          (
            await ls.run({
              noise: { type: 'float32', dims: [STEPS, 1, F, D], data: all },
              cond_frame: { type: 'float32', dims: [1, D], data: condFrame },
              cond: { type: 'float32', dims: [1, F, C], data: cond },
            })
          ).motion!,
        );
        await ls.release();
        return got;
      };
      const same = (got: Float32Array): boolean => Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.byteLength), Buffer.from(x.buffer)) === 0;
      if (!unroll) {
        expect(same(await motion())).toBe(true);
        loopUnoptimized = await motion('disabled');
      } else {
        // ORT folds the unrolled copies' constants (each step's time and coefficients) and so rounds a few
        // float32 values differently: within 1e-6 relative L2; with its optimizations off, the Loop's bit for bit.
        expect(relL2(await motion(), x)).toBeLessThan(1e-6);
        expect(Buffer.from((await motion('disabled')).buffer).equals(Buffer.from(loopUnoptimized.buffer))).toBe(true);
      }
    }
  });

  it('refuses a graph that is not LMDM’s step, naming the missing input', () => {
    expect(() => diffusionLoop(buildDecoder({ scale: 'tiny', seed: 1, weights: 'random' }))).toThrow(/graph input 'x' missing/);
  });
});
