/**
 * The WebAssembly SIMD int8 kernels: the committed module is what the .wat source assembles to, and the
 * kernels give bit-identical codes and scales to the JavaScript reference on every layout, including
 * ties, NaN, ±Inf, all-zero channels and sizes that exercise the scalar tails.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ESM script without types
import { assemble, moduleSource } from '../../scripts/build-wasm.mjs';
import { loadInt8Kernels } from '../../src/quantize/kernels/int8-kernels.js';
import { quantizeWeightInt8 } from '../../src/quantize/qmath.js';
import { createRng } from '../../src/onnx/rng.js';

const WAT = 'src/quantize/kernels/quantize-int8.wat';

function weights(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = (rng.next() - 0.5) * 4;
  return w;
}

describe('int8 wasm kernels', () => {
  it('the committed module is the assembled .wat', async () => {
    const bytes = (await (assemble as (f: string) => Promise<Buffer>)(WAT)) as Buffer;
    const committed = readFileSync('src/quantize/kernels/quantize-int8-wasm.ts', 'utf8');
    expect(committed).toBe((moduleSource as (n: string, b: Buffer) => string)('quantize-int8.wat', bytes));
  });

  it('is available in this Node', () => {
    expect(loadInt8Kernels()).toBeDefined();
  });

  const cases: { name: string; dims: number[]; axis: number | undefined }[] = [
    { name: 'conv, axis 0 (contiguous channels)', dims: [37, 19, 3, 3], axis: 0 },
    { name: 'conv 1×1, inner below 16', dims: [64, 7, 1, 1], axis: 0 },
    { name: 'MatMul [K, N], axis 1 (interleaved channels, N % 4 = 3)', dims: [33, 67], axis: 1 },
    { name: 'MatMul [K, N], axis 1, N % 4 = 0', dims: [16, 256], axis: 1 },
    { name: 'middle axis', dims: [3, 5, 17], axis: 1 },
    { name: 'per tensor', dims: [101, 13], axis: undefined },
  ];
  for (const c of cases)
    it(`matches the reference bit for bit: ${c.name}`, () => {
      const n = c.dims.reduce((a, b) => a * b, 1);
      const w = weights(n, n);
      // Specials: NaN, ±Inf, an exact tie (2.5 × scale) and an all-zero first channel block.
      w[1] = NaN;
      w[2] = Infinity;
      w[3] = -Infinity;
      w[n - 1] = -0;
      const fast = quantizeWeightInt8(w, c.dims, c.axis, true);
      const ref = quantizeWeightInt8(w, c.dims, c.axis, false);
      expect(Array.from(fast.scale)).toEqual(Array.from(ref.scale));
      expect(Buffer.from(fast.q.buffer).equals(Buffer.from(ref.q.buffer))).toBe(true);
      expect(fast.q[1]).toBe(0); // NaN → 0
      expect(fast.q[2]).toBe(127);
      expect(fast.q[3]).toBe(-127);
      // The reduced (7-bit) range of the CPU target: same scales and codes from both, all within ±63.
      const fast7 = quantizeWeightInt8(w, c.dims, c.axis, true, 63);
      const ref7 = quantizeWeightInt8(w, c.dims, c.axis, false, 63);
      expect(Array.from(fast7.scale)).toEqual(Array.from(ref7.scale));
      expect(Buffer.from(fast7.q.buffer).equals(Buffer.from(ref7.q.buffer))).toBe(true);
      expect(Math.max(...Array.from(fast7.q, Math.abs))).toBe(63);
    });

  it('rounds half to even like numpy', () => {
    // scale = 127/127 = 1: codes are round-half-even of the values.
    const w = new Float32Array([127, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 0, 0, 0, 0, 0, 0, 0, 0, 0.5]);
    const q = quantizeWeightInt8(w, [w.length], undefined).q;
    expect(Array.from(q)).toEqual([127, 0, 2, 2, 0, -2, -2, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
