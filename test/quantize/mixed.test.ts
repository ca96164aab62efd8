import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { floatTensor } from '../../src/onnx/tensor.js';
import type { Model } from '../../src/onnx/types.js';
import { readPassRecords } from '../../src/quantize/common.js';
import { mixedPrecision, type MixedDetails } from '../../src/quantize/mixed.js';

/**
 * An fp16 trap that shows on the CPU EP too (ORT's CPU EP computes float16 graphs in float32 after
 * inserting Casts, so only value rounding shows there): a per-channel gain with a huge dynamic range
 * (6e4 and 3e-9 entries: the product overflows, the small one flushes to zero in float16), then a LayerNorm.
 */
function rangeModel(): Model {
  const b = new GraphBuilder('range', { seed: 21 });
  const x = b.input('x', DataType.FLOAT, [4, 32]);
  const h = b.op('MatMul', [x, b.weight('w', [32, 32], { fanIn: 32 })], {}, { name: 'proj' });
  // In range for float16 (out-of-range constants make the fp16 pass keep their node by itself): 6e4 overflows
  // only after the multiply, 3e-9 flushes to zero.
  const k = new Float32Array(32).map((_, j) => (j % 4 === 0 ? 6e4 : j % 4 === 1 ? 3e-9 : 1));
  const g = b.op('Mul', [h, b.init(floatTensor('gain', [32], k))], {}, { name: 'scale' });
  const n = b.op('LayerNormalization', [g, b.weight('ln.s', [32], { constant: 1 }), b.weight('ln.b', [32], { constant: 0 })], { axis: -1 }, { name: 'norm' });
  const y = b.op('MatMul', [n, b.weight('w2', [32, 32], { fanIn: 32 })], {}, { name: 'proj2' });
  b.output(y, 'y', [4, 32]);
  return b.finish();
}

/** An int8 trap: one weight row 1000× larger than the others, fed by a feature scaled down by 1e-3. */
function outlierModel(): Model {
  const b = new GraphBuilder('outlier', { seed: 22 });
  const x = b.input('x', DataType.FLOAT, [8, 32]);
  const mask = new Float32Array(32).fill(1);
  mask[0] = 1e-3;
  const xs = b.op('Mul', [x, b.init(floatTensor('mask', [32], mask))]);
  const wv = b.weight('w_out', [32, 32], { fanIn: 32 });
  const t = wv.initializer;
  if (t) {
    const f = new Float32Array(t.data.buffer, t.data.byteOffset, 32 * 32);
    for (let j = 0; j < 32; j++) f[j] = 200;
  }
  const h = b.op('MatMul', [xs, wv], {}, { name: 'sensitive' });
  const y = b.op('MatMul', [b.op('Relu', [h]), b.weight('w2', [32, 16], { fanIn: 32 })], {}, { name: 'normal' });
  b.output(y, 'y', [8, 16]);
  return b.finish();
}

describe('mixed precision', () => {
  it('fp16: meets a budget plain fp16 misses (huge dynamic range) and keeps that node in float32', async () => {
    const m = rangeModel();
    const { model, report } = await mixedPrecision(m, { target: 'fp16', maxError: 1e-2, fp16: { keepIoTypes: true } });
    const d = report.details as unknown as MixedDetails;
    expect(d.plainError.relL2).toBeGreaterThan(1e-2);
    expect(d.finalError.relL2).toBeLessThanOrEqual(1e-2);
    expect(d.finalError.nonFinite).toBe(0);
    const kept = d.kept.map((k) => k.node);
    // The gain's output (|x|·6e4) does not fit float16 either, so the LayerNorm that reads it may stay too.
    expect(kept[0]).toBe('scale');
    expect(kept).not.toContain('proj');
    expect(kept).not.toContain('proj2');
    expect(d.kept[0]?.reason).toMatch(/rank 1/);
    expect(readPassRecords(model).map((r) => r.pass)).toEqual(['mixed']);
    expect(model.graph.nodes.find((n) => n.name === 'proj2')?.inputs[1]?.initializer?.dataType).toBe(DataType.FLOAT16);
  });

  it('int8: meets a budget plain int8 misses and keeps the outlier MatMul in float32', async () => {
    const m = outlierModel();
    const { report } = await mixedPrecision(m, { target: 'int8', maxError: 2e-2 });
    const d = report.details as unknown as MixedDetails;
    expect(d.plainError.relL2).toBeGreaterThan(2e-2);
    expect(d.finalError.relL2).toBeLessThanOrEqual(2e-2);
    expect(d.kept.map((k) => k.node)).toEqual(['sensitive']);
    expect(d.scores[0]?.node).toBe('sensitive');
  });
});
