/** Small built models for the quantize tests: conv net, attention + MLP block, GridSample warp, If, chain. */
import { GraphBuilder, f } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { floatTensor, makeTensor } from '../../src/onnx/tensor.js';
import { Graph, Node, Value, type Model } from '../../src/onnx/types.js';

/** Single input, single output, all-float chain: Conv → Relu → Conv → Sigmoid. */
export function chainModel(): Model {
  const b = new GraphBuilder('chain', { seed: 1 });
  const x = b.input('x', DataType.FLOAT, [1, 4, 8, 8]);
  const w1 = b.weight('c1.w', [8, 4, 3, 3]);
  const b1 = b.weight('c1.b', [8], { constant: 0.05 });
  const y1 = b.op('Conv', [x, w1, b1], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] });
  const r = b.op('Relu', [y1]);
  const w2 = b.weight('c2.w', [4, 8, 1, 1]);
  const y2 = b.op('Conv', [r, w2], { kernel_shape: [1, 1] });
  b.output(b.op('Sigmoid', [y2]), 'y', [1, 4, 8, 8]);
  return b.finish();
}

/** A small conv net: conv/BN/relu, strided conv, InstanceNorm, Resize ×2 (scales), conv, residual add. */
export function convNet(size = 16): Model {
  const b = new GraphBuilder('convnet', { seed: 2 });
  const x = b.input('x', DataType.FLOAT, [1, 3, size, size]);
  const c1 = b.op(
    'Conv',
    [x, b.weight('c1.w', [16, 3, 3, 3]), b.weight('c1.b', [16], { constant: 0.01 })],
    { pads: [1, 1, 1, 1], kernel_shape: [3, 3] },
    { name: 'c1' },
  );
  const bn = b.op(
    'BatchNormalization',
    [
      c1,
      b.weight('bn.s', [16], { constant: 1 }),
      b.weight('bn.b', [16], { constant: 0 }),
      b.weight('bn.m', [16], { constant: 0 }),
      b.weight('bn.v', [16], { constant: 1 }),
    ],
    { epsilon: f(1e-5) },
  );
  const r1 = b.op('Relu', [bn]);
  const c2 = b.op(
    'Conv',
    [r1, b.weight('c2.w', [32, 16, 3, 3], { gain: Math.SQRT2 })],
    { pads: [1, 1, 1, 1], strides: [2, 2], kernel_shape: [3, 3] },
    { name: 'c2' },
  );
  const inorm = b.op('InstanceNormalization', [c2, b.weight('in.s', [32], { constant: 1 }), b.weight('in.b', [32], { constant: 0 })], { epsilon: f(1e-5) });
  const r2 = b.op('LeakyRelu', [inorm], { alpha: f(0.2) });
  const up = b.op('Resize', [r2, undefined, b.constFloat('up.scales', [1, 1, 2, 2])], { mode: 'nearest' }, { name: 'up' });
  const c3 = b.op('Conv', [up, b.weight('c3.w', [16, 32, 3, 3])], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, { name: 'c3' });
  const add = b.op('Add', [c3, r1]);
  const c4 = b.op('Conv', [add, b.weight('c4.w', [3, 16, 1, 1]), b.weight('c4.b', [3], { constant: 0 })], { kernel_shape: [1, 1] }, { name: 'c4' });
  b.output(b.op('Tanh', [c4]), 'y', [1, 3, size, size]);
  return b.finish();
}

/** Pre-norm transformer block: LayerNorm → QKV MatMuls → attention (Softmax) → proj → residual → MLP (Gelu via Erf). */
export function attentionBlock(seq = 8, dim = 32, heads = 4): Model {
  const b = new GraphBuilder('attn', { seed: 3 });
  const hd = dim / heads;
  const x = b.input('x', DataType.FLOAT, [1, seq, dim]);
  const ln = (v: Value, name: string): Value =>
    b.op(
      'LayerNormalization',
      [v, b.weight(`${name}.s`, [dim], { constant: 1 }), b.weight(`${name}.b`, [dim], { constant: 0 })],
      { axis: -1, epsilon: f(1e-5) },
      { name },
    );
  const lin = (v: Value, name: string, i: number, o: number): Value =>
    b.op(
      'Add',
      [b.op('MatMul', [v, b.weight(`${name}.w`, [i, o], { fanIn: i })], {}, { name: `${name}/MatMul` }), b.weight(`${name}.b`, [o], { constant: 0.01 })],
      {},
      { name: `${name}/Add` },
    );
  const h = ln(x, 'ln1');
  const split = (v: Value): Value => b.op('Transpose', [b.op('Reshape', [v, b.constInt64('hs', [1, seq, heads, hd])])], { perm: [0, 2, 1, 3] });
  const q = split(lin(h, 'q', dim, dim));
  const k = split(lin(h, 'k', dim, dim));
  const v = split(lin(h, 'v', dim, dim));
  const kt = b.op('Transpose', [k], { perm: [0, 1, 3, 2] });
  const att = b.op('Mul', [b.op('MatMul', [q, kt]), b.constFloat('scale', [1 / Math.sqrt(hd)], [])]);
  const p = b.op('Softmax', [att], { axis: -1 }, { name: 'softmax' });
  const ctx = b.op('Reshape', [b.op('Transpose', [b.op('MatMul', [p, v])], { perm: [0, 2, 1, 3] }), b.constInt64('ms', [1, seq, dim])]);
  const r1 = b.op('Add', [x, lin(ctx, 'o', dim, dim)]);
  const h2 = ln(r1, 'ln2');
  const u = lin(h2, 'fc1', dim, 4 * dim);
  const gelu = b.op('Mul', [
    b.op('Mul', [u, b.constFloat('half', [0.5], [])]),
    b.op('Add', [b.op('Erf', [b.op('Div', [u, b.constFloat('sqrt2', [Math.SQRT2], [])])]), b.constFloat('one', [1], [])]),
  ]);
  const out = b.op('Add', [r1, lin(gelu, 'fc2', 4 * dim, dim)]);
  b.output(out, 'y', [1, seq, dim]);
  return b.finish();
}

/**
 * A warp: features [1,C,H,W] sampled by GridSample with grid = identity grid initializer [1,H,W,2] +
 * a predicted small flow (conv), then a conv.
 */
export function gridSampleModel(h = 16, w = 16, c = 4): Model {
  const b = new GraphBuilder('warp', { seed: 4, opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, c, h, w]);
  const grid = new Float32Array(h * w * 2);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) {
      grid[(i * w + j) * 2] = (2 * j + 1) / w - 1;
      grid[(i * w + j) * 2 + 1] = (2 * i + 1) / h - 1;
    }
  const g0 = b.init(makeTensor('identity_grid', DataType.FLOAT, [1, h, w, 2], grid));
  const flow = b.op('Conv', [x, b.weight('flow.w', [2, c, 3, 3], { std: 0.02 })], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, { name: 'flow' });
  const flowT = b.op('Transpose', [flow], { perm: [0, 2, 3, 1] });
  const g = b.op('Add', [g0, flowT]);
  const s = b.op('GridSample', [x, g], { align_corners: 0, mode: 'bilinear', padding_mode: 'border' }, { name: 'warp' });
  const y = b.op('Conv', [s, b.weight('out.w', [c, c, 3, 3])], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, { name: 'out' });
  b.output(y, 'y', [1, c, h, w]);
  return b.finish();
}

/** An If whose branches do float math on an outer value (subgraph conversion). */
export function ifModel(): Model {
  const b = new GraphBuilder('ifm', { seed: 5 });
  const x = b.input('x', DataType.FLOAT, [2, 8]);
  const cond = b.input('cond', DataType.BOOL, []);
  const h = b.op('MatMul', [x, b.weight('w', [8, 8])]);
  const mk = (name: string, op: string): Graph => {
    const g = new Graph(name);
    const k = new Value(`${name}_k`, { kind: 'tensor', elemType: DataType.FLOAT, shape: [8] });
    k.initializer = floatTensor(
      `${name}_k`,
      [8],
      [1, 2, 3, 4, 5, 6, 7, 8].map((v) => v / 8),
    );
    g.initializers.push(k);
    const o = new Value(`${name}_out`, { kind: 'tensor', elemType: DataType.FLOAT, shape: [2, 8] });
    const n = new Node(op, `${name}_node`, [h, k], [o]);
    o.producer = n;
    g.nodes.push(n);
    g.outputs.push(o);
    return g;
  };
  const y = b.op('If', [cond], { then_branch: mk('then', 'Mul'), else_branch: mk('else', 'Add') }, { name: 'if' });
  b.output(b.op('Relu', [y]), 'y', [2, 8]);
  return b.finish();
}

/** Counts nodes of an op type in the top-level graph. */
export function countOps(m: Model, op: string): number {
  return m.graph.nodes.filter((n) => n.opType === op).length;
}

/** Whether any Cast reads the output of another Cast (any graph level). */
export function hasCastPair(g: Graph): boolean {
  for (const n of g.nodes) {
    if (n.opType === 'Cast' && n.inputs[0]?.producer?.opType === 'Cast') return true;
    for (const a of n.attributes) if (a.attr.type === 'graph' && hasCastPair(a.attr.value)) return true;
  }
  return false;
}
