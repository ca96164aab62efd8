import { describe, expect, it } from 'vitest';
import { costOf, type TensorShape } from '../../src/analysis/node-cost.js';
import { listNodeCosts, totalCost } from '../../src/analysis/model-cost.js';
import { GraphBuilder, toAttribute, type AttrInput } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import type { Attribute } from '../../src/onnx/types.js';

const F = DataType.FLOAT;
const t = (dims: number[], elemType: number = F): TensorShape => ({ elemType, dims });

/** A node adapter like the profiler's (op type, domain, attributes). */
function node(
  opType: string,
  attrs: Record<string, AttrInput> = {},
  domain = '',
): { opType: string; domain: string; attr(name: string): Attribute | undefined } {
  return { opType, domain, attr: (name) => (attrs[name] === undefined ? undefined : toAttribute(attrs[name] as AttrInput)) };
}

describe('costOf (hand-computed)', () => {
  it('Conv2d with bias: numel(Y) × Cin × k², bias adds, bytes split by isParam', () => {
    const c = costOf(node('Conv', { pads: [1, 1, 1, 1] }), [t([1, 3, 8, 8]), t([4, 3, 3, 3]), t([4])], [t([1, 4, 8, 8])], [false, true, true]);
    // Y = 256 elements, 27 MACs each; FLOPs = 2·MACs + 256 bias adds.
    expect(c).toEqual({ macs: 6912, flops: 14080, bytesRead: 768 + 432 + 16, bytesWritten: 1024, paramBytes: 448, activationBytes: 768 });
  });

  it('Conv3d with groups: per output element Cin/groups × kernel volume', () => {
    const c = costOf(node('Conv', { group: 2, pads: [1, 1, 1, 1, 1, 1] }), [t([1, 4, 4, 6, 6]), t([6, 2, 3, 3, 3])], [t([1, 6, 4, 6, 6])], [false, true]);
    expect(c.macs).toBe(864 * 2 * 27);
    expect(c.flops).toBe(2 * 864 * 54);
    expect(c.paramBytes).toBe(324 * 4);
    expect(c.activationBytes).toBe(576 * 4);
    expect(c.bytesWritten).toBe(864 * 4);
  });

  it('MatMul with batch broadcast: numel(Y) × K', () => {
    const c = costOf(node('MatMul'), [t([3, 1, 4, 6]), t([5, 6, 7])], [t([3, 5, 4, 7])], [false, true]);
    expect(c.macs).toBe(420 * 6);
    expect(c.flops).toBe(5040);
    expect(c.bytesRead).toBe((72 + 210) * 4);
    expect(c.bytesWritten).toBe(420 * 4);
  });

  it('Gemm with transB and C: M·N·K MACs, M·N bias FLOPs', () => {
    const c = costOf(node('Gemm', { transB: 1 }), [t([2, 64]), t([10, 64]), t([10])], [t([2, 10])], [false, true, true]);
    expect(c.macs).toBe(2 * 10 * 64);
    expect(c.flops).toBe(2 * 1280 + 20);
    expect(c.paramBytes).toBe((640 + 10) * 4);
  });

  it('5-D GridSample: 8 trilinear taps × 2 FLOPs per output element, no MACs', () => {
    const c = costOf(node('GridSample', { mode: 'linear' }), [t([1, 2, 4, 5, 6]), t([1, 3, 4, 5, 3])], [t([1, 2, 3, 4, 5])], [false, false]);
    expect(c.macs).toBe(0);
    expect(c.flops).toBe(120 * 2 * 8);
    expect(c.activationBytes).toBe((240 + 180) * 4);
    const nearest = costOf(node('GridSample', { mode: 'nearest' }), [t([1, 2, 4, 5, 6]), t([1, 3, 4, 5, 3])], [t([1, 2, 3, 4, 5])], [false, false]);
    expect(nearest.flops).toBe(0);
    const bicubic2d = costOf(node('GridSample', { mode: 'cubic' }), [t([1, 2, 5, 6]), t([1, 7, 8, 2])], [t([1, 2, 7, 8])], [false, false]);
    expect(bicubic2d.flops).toBe(112 * 2 * 16);
  });

  it('ConvTranspose with groups: numel(X) × (Cout/group) × kernel volume', () => {
    const c = costOf(
      node('ConvTranspose', { strides: [2, 2], pads: [1, 1, 1, 1], group: 2 }),
      [t([1, 4, 4, 4]), t([4, 2, 4, 4])],
      [t([1, 4, 8, 8])],
      [false, true],
    );
    expect(c.macs).toBe(64 * 2 * 16);
    expect(c.flops).toBe(2 * 2048);
  });

  it('MatMulNBits: numel(Y) × K, packed weight bytes as params', () => {
    const c = costOf(
      node('MatMulNBits', { K: 64, N: 32, bits: 4, block_size: 32 }, 'com.microsoft'),
      [t([1, 5, 64]), t([32, 2, 16], DataType.UINT8), t([64])],
      [t([1, 5, 32])],
      [false, true, true],
    );
    expect(c.macs).toBe(160 * 64);
    expect(c.flops).toBe(2 * 10240);
    expect(c.paramBytes).toBe(1024 + 256);
    expect(c.activationBytes).toBe(1280);
    expect(c.bytesWritten).toBe(640);
  });

  it('elementwise and attention work', () => {
    expect(costOf(node('Sigmoid'), [t([2, 5])], [t([2, 5])], [false]).flops).toBe(40);
    expect(costOf(node('Reshape'), [t([2, 5]), t([2], DataType.INT64)], [t([10])], [false, true]).flops).toBe(0);
    // MHA: B=1, S=4, L=6, D=8: QKᵀ 1·4·6·8 + AV 1·4·6·8 MACs, softmax 5·heads·S·L.
    const mha = costOf(
      node('MultiHeadAttention', { num_heads: 2 }, 'com.microsoft'),
      [t([1, 4, 8]), t([1, 6, 8]), t([1, 6, 8])],
      [t([1, 4, 8])],
      [false, false, false],
    );
    expect(mha.macs).toBe(192 + 192);
    expect(mha.flops).toBe(2 * 384 + 5 * 2 * 24);
  });

  it('unknown shapes count nothing rather than guessing', () => {
    const c = costOf(node('Conv'), [undefined, t([4, 3, 3, 3])], [undefined], [false, true]);
    expect(c.macs).toBe(0);
    expect(c.paramBytes).toBe(432);
  });
});

describe('listNodeCosts / totalCost', () => {
  function convModel(weights: 'random' | 'none'): ReturnType<GraphBuilder['finish']> {
    const b = new GraphBuilder('cost', { weights });
    const x = b.input('x', F, [1, 3, 8, 8]);
    const c = b.op('Conv', [x, b.weight('w', [4, 3, 3, 3]), b.weight('b', [4])], { pads: [1, 1, 1, 1] });
    const r = b.op('Relu', [c]);
    const flat = b.op('Reshape', [r, b.constInt64('shape', [1, -1])]);
    b.output(b.op('Gemm', [flat, b.weight('fc', [10, 256]), b.weight('fcb', [10])], { transB: 1 }), 'y');
    return b.finish();
  }

  it('costs a model from inferred shapes', () => {
    const rows = listNodeCosts(convModel('random'));
    expect(rows.map((r) => r.opType)).toEqual(['Conv', 'Relu', 'Reshape', 'Gemm']);
    expect(rows[0]?.macs).toBe(6912);
    expect(rows[1]?.flops).toBe(256);
    expect(rows[2]).toMatchObject({ flops: 0, paramBytes: 16, activationBytes: 1024, bytesWritten: 1024 });
    expect(rows[3]?.macs).toBe(2560);
    const total = totalCost(rows);
    expect(total).toMatchObject({ nodes: 4, macs: 6912 + 2560, flops: 14080 + 256 + 5120 + 10 });
    expect(total.paramBytes).toBe(432 + 16 + 16 + 10240 + 40);
  });

  it('costs a placeholder-weight model (weights: none) without any tensor bytes', () => {
    const model = convModel('none');
    const weights = model.graph.initializers.filter((v) => v.initializer?.placeholder);
    expect(weights.length).toBe(4);
    expect(weights.every((v) => v.initializer?.data.length === 0)).toBe(true);
    const a = totalCost(listNodeCosts(model));
    const b = totalCost(listNodeCosts(convModel('random')));
    expect(a).toEqual(b);
  });
});
