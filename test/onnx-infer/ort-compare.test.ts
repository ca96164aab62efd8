import { describe, expect, it } from 'vitest';
import { GraphBuilder, f } from '../../src/onnx/builder.js';
import { getShape, inferShapes } from '../../src/onnx/shape-inference.js';
import { DataType } from '../../src/onnx/dtype.js';
import { int64Tensor, makeTensor } from '../../src/onnx/tensor.js';
import { Graph, Node, Value } from '../../src/onnx/types.js';
import { compareWithOrt, feed, findValue } from './ort-helpers.js';

/** Collects named probes: every value the test compares with ORT. */
function probe(list: string[], v: Value): Value {
  list.push(v.name);
  return v;
}

describe('shape inference matches ONNX Runtime (opset 17 forms)', () => {
  it('infers every probed value exactly', async () => {
    const b = new GraphBuilder('ops17', { seed: 1, opset: 17 });
    const p: string[] = [];
    const P = (v: Value): Value => probe(p, v);
    const x = b.input('x', DataType.FLOAT, [2, 3, 8, 8]);
    const cond = b.input('cond', DataType.BOOL, []);
    const c = P(b.op('Conv', [x, b.weight('w', [4, 3, 3, 3]), b.weight('wb', [4])], { pads: [1, 1, 1, 1], strides: [2, 2] }));
    const r = P(b.op('Relu', [c]));
    // Shape arithmetic: Reshape(c, Concat(Unsqueeze(Gather(Shape(c), 0)), [-1])) → [2, 64]
    const s = P(b.op('Shape', [r]));
    const g0 = P(b.op('Gather', [s, b.init(int64Tensor('zero', [], [0]))], { axis: 0 }));
    const u = P(b.op('Unsqueeze', [g0, b.constInt64('ax0', [0])]));
    const cat = P(b.op('Concat', [u, b.constInt64('m1', [-1])], { axis: 0 }));
    const flat = P(b.op('Reshape', [r, cat]));
    // Shape arithmetic with Mul/Div/Slice of a shape: [2, 4, 16] → [2*4, 16]
    const sl = P(b.op('Slice', [s, b.constInt64('s0', [0]), b.constInt64('e2', [2])]));
    const prod = P(b.op('ReduceProd', [sl], { keepdims: 1 }));
    const half = P(b.op('Div', [b.op('Mul', [b.op('Gather', [s, b.constInt64('i2', [2, 3])]), b.constInt64('two', [2])]), b.constInt64('twoB', [2])]));
    const hw = P(b.op('ReduceProd', [half], { keepdims: 1 }));
    P(b.op('Reshape', [r, b.op('Concat', [prod, hw], { axis: 0 })]));
    // MatMul with batch broadcast and Gemm with transB.
    P(b.op('MatMul', [b.weight('ma', [3, 1, 4, 6]), b.weight('mb', [5, 6, 7])]));
    P(b.op('MatMul', [flat, b.weight('mv', [64])]));
    P(b.op('Gemm', [flat, b.weight('gw', [10, 64]), b.weight('gb', [10])], { transB: 1 }));
    // Resize with scales and with sizes.
    P(b.op('Resize', [x, undefined, b.constFloat('sc', [1, 1, 2, 1.5])], { mode: 'linear' }));
    P(b.op('Resize', [x, undefined, undefined, b.constInt64('sz', [2, 3, 5, 7])], { mode: 'nearest' }));
    P(b.op('Resize', [x, b.constFloat('roi', []), b.constFloat('sc2', [1, 1, 0.5, 0.75])], { mode: 'cubic' }));
    // Split with a split input, Slice with negative starts/ends/steps.
    for (const v of b.op('Split', [c, b.constInt64('sp', [1, 3])], { axis: 1 }, { outputs: 2 })) P(v);
    for (const v of b.op('Split', [x], { axis: 2 }, { outputs: 4 })) P(v);
    P(b.op('Slice', [x, b.constInt64('ss', [-5, -1]), b.constInt64('se', [-1, -1000]), b.constInt64('sa', [2, 3]), b.constInt64('st', [1, -2])]));
    // Broadcasting.
    const add = P(b.op('Add', [x, b.weight('bias', [3, 1, 1])]));
    const gt = P(b.op('Greater', [add, b.constFloat('zf', [0], [])]));
    P(b.op('Where', [gt, add, b.constFloat('nf', [-1], [1, 1, 1])]));
    P(b.op('Mul', [b.weight('col', [4, 1]), b.weight('row', [1, 5])]));
    // Conv3d with groups; ConvTranspose; pools.
    const vol = b.input('vol', DataType.FLOAT, [1, 4, 4, 6, 6]);
    P(b.op('Conv', [vol, b.weight('w3', [6, 2, 3, 3, 3])], { group: 2, pads: [1, 0, 0, 1, 0, 0], strides: [1, 2, 1] }));
    P(b.op('ConvTranspose', [c, b.weight('wt', [4, 2, 4, 4])], { strides: [2, 2], pads: [1, 1, 1, 1], group: 2 }));
    P(b.op('ConvTranspose', [c, b.weight('wt2', [4, 3, 3, 3])], { strides: [2, 2], output_padding: [1, 1], auto_pad: 'SAME_UPPER' }));
    P(b.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }));
    P(b.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' }));
    P(b.op('GlobalAveragePool', [x]));
    P(b.op('DepthToSpace', [c], { blocksize: 2 }));
    P(b.op('SpaceToDepth', [x], { blocksize: 2 }));
    // Norms and activations.
    P(b.op('BatchNormalization', [c, b.weight('bs', [4]), b.weight('bbias', [4]), b.weight('bm', [4]), b.weight('bv', [4], { constant: 1 })]));
    P(b.op('InstanceNormalization', [c, b.weight('is', [4]), b.weight('ib', [4])]));
    P(b.op('LayerNormalization', [x, b.weight('ls', [8]), b.weight('lb', [8])], { axis: -1 }));
    P(b.op('Softmax', [x], { axis: 1 }));
    P(b.op('LeakyRelu', [x], { alpha: f(0.1) }));
    P(b.op('Clip', [x, b.constFloat('lo', [0], []), b.constFloat('hi', [1], [])]));
    P(b.op('Erf', [x]));
    // Reductions (axes attribute before opset 18), ArgMax, TopK, CumSum.
    P(b.op('ReduceMean', [x], { axes: [2, 3], keepdims: 0 }));
    P(b.op('ReduceMax', [x], { axes: [-1] }));
    P(b.op('ReduceSum', [x, b.constInt64('rsa', [1])], { keepdims: 0 }));
    P(b.op('ArgMax', [x], { axis: 1, keepdims: 0 }));
    for (const v of b.op('TopK', [x, b.constInt64('k', [3])], { axis: -1 }, { outputs: 2 })) P(v);
    P(b.op('CumSum', [x, b.init(int64Tensor('csa', [], [1]))]));
    // Data movement.
    P(b.op('Transpose', [x], { perm: [0, 2, 3, 1] }));
    P(b.op('Flatten', [x], { axis: 2 }));
    P(b.op('Expand', [b.weight('e1', [3, 1]), b.constInt64('eshape', [2, 1, 4])]));
    P(b.op('Tile', [x, b.constInt64('reps', [1, 2, 1, 3])]));
    P(b.op('Squeeze', [P(b.op('Unsqueeze', [x, b.constInt64('ua', [0, -1])])), b.constInt64('sqa', [-1])]));
    P(b.op('Pad', [x, b.constInt64('pads', [0, 0, 1, 2, 0, 0, 3, 4])]));
    P(b.op('Einsum', [b.weight('ea', [2, 3, 4]), b.weight('eb', [2, 4, 5])], { equation: 'bij,bjk->bik' }));
    P(b.op('Einsum', [b.weight('ec', [3, 4])], { equation: 'ij->ji' }));
    P(b.op('Trilu', [x]));
    P(b.op('Cast', [x], { to: DataType.INT64 }));
    P(b.op('Range', [b.init(int64Tensor('r0', [], [2])), b.init(int64Tensor('r1', [], [11])), b.init(int64Tensor('r2', [], [3]))]));
    P(b.op('ConstantOfShape', [s], { value: int64Tensor('one', [1], [1]) }));
    P(b.op('Size', [x]));
    P(b.op('Shape', [x], { start: 1, end: -1 }));
    P(b.op('Constant', [], { value_ints: [4, 5, 6] }));
    P(
      b.op('GatherElements', [x, b.op('Cast', [b.op('Abs', [b.op('Floor', [b.weight('gi', [2, 3, 2, 8], { constant: 1 })])])], { to: DataType.INT64 })], {
        axis: 2,
      }),
    );
    const nz = b.op('NonZero', [b.weight('nz', [2, 3])]);
    P(b.op('Dropout', [x]));
    // If with two branches (both give [2,3,8,8] from an outer value).
    const thenG = new Graph('then', b.graph);
    const t = new Value('then_out');
    const tn = new Node('Add', 'then_add', [x, x], [t]);
    t.producer = tn;
    thenG.nodes.push(tn);
    thenG.outputs.push(t);
    const elseG = new Graph('else', b.graph);
    const e = new Value('else_out');
    const en = new Node('Neg', 'else_neg', [x], [e]);
    e.producer = en;
    elseG.nodes.push(en);
    elseG.outputs.push(e);
    P(b.op('If', [cond], { then_branch: thenG, else_branch: elseG }));
    b.output(flat);
    const model = b.finish();
    for (const c of [1, 0]) {
      const rows = await compareWithOrt(model, p, {
        x: feed(DataType.FLOAT, [2, 3, 8, 8]),
        vol: feed(DataType.FLOAT, [1, 4, 4, 6, 6]),
        cond: feed(DataType.BOOL, [], () => c),
      });
      expect(rows.length).toBe(p.length);
      for (const row of rows) expect(row.inferred, row.name).toEqual(row.actual);
    }
    // NonZero's count depends on the data: rank and first dim only.
    const inferred = inferShapes(model);
    expect(getShape(findValue(inferred.graph, nz.name) as Value)).toEqual([2, undefined]);
  });
});

describe('shape inference matches ONNX Runtime (opset 20 forms)', () => {
  it('handles 5-D GridSample, axes inputs, num_outputs and Resize axes', async () => {
    const b = new GraphBuilder('ops20', { seed: 2, opset: 20 });
    const p: string[] = [];
    const P = (v: Value): Value => probe(p, v);
    const x = b.input('x', DataType.FLOAT, [1, 2, 4, 5, 6]);
    const grid = b.input('grid', DataType.FLOAT, [1, 3, 4, 5, 3]);
    P(b.op('GridSample', [x, grid], { mode: 'linear', align_corners: 0 }));
    const img = b.input('img', DataType.FLOAT, [1, 2, 5, 6]);
    P(b.op('GridSample', [img, b.weight('g2', [1, 7, 8, 2])], { mode: 'cubic' }));
    P(b.op('ReduceMean', [x, b.constInt64('rma', [2, 3])], { keepdims: 1 }));
    P(b.op('ReduceMax', [x], { keepdims: 0 }));
    P(b.op('ReduceSum', [x, b.constInt64('empty', [], [0])], { noop_with_empty_axes: 1 }));
    for (const v of b.op('Split', [img], { axis: 2, num_outputs: 3 }, { outputs: 3 })) P(v);
    P(b.op('Resize', [img, undefined, b.constFloat('rs', [2, 0.5])], { axes: [2, 3], mode: 'linear' }));
    P(b.op('Resize', [img, undefined, undefined, b.constInt64('rsz', [10, 10])], { axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' }));
    P(b.op('GroupNormalization', [img, b.weight('gs', [2]), b.weight('gb', [2])], { num_groups: 2, epsilon: f(1e-5) }));
    P(b.op('Pad', [img, b.constInt64('pp', [1, 2, 3, 4]), undefined, b.constInt64('pa', [1, 3])]));
    P(b.op('Squeeze', [b.op('Unsqueeze', [img, b.constInt64('ua', [1])])]));
    P(b.op('Resize', [img, undefined, undefined, b.constInt64('rsz2', [1, 2, 3, 3])], { mode: 'linear', coordinate_transformation_mode: 'align_corners' }));
    P(b.op('LpPool', [img], { kernel_shape: [2, 3], strides: [1, 2] }));
    P(b.op('HardSigmoid', [img], { alpha: f(0.3), beta: f(0.4) }));
    P(b.op('Mish', [img]));
    P(b.op('Gelu', [img], { approximate: 'tanh' }));
    b.output(img, 'img_out');
    const model = b.finish();
    const rows = await compareWithOrt(model, p, {
      x: feed(DataType.FLOAT, [1, 2, 4, 5, 6]),
      grid: feed(DataType.FLOAT, [1, 3, 4, 5, 3], (i) => Math.cos(i) * 0.9),
      img: feed(DataType.FLOAT, [1, 2, 5, 6]),
    });
    for (const row of rows) expect(row.inferred, row.name).toEqual(row.actual);
  });
});

describe('shape inference matches ONNX Runtime (quantized and com.microsoft ops, Loop, Scan)', () => {
  it('infers every probed value exactly', async () => {
    const b = new GraphBuilder('ms', { seed: 3, opset: 17, opsets: { 'com.microsoft': 1 } });
    const p: string[] = [];
    const P = (v: Value): Value => probe(p, v);
    const ms = { domain: 'com.microsoft' };
    const u8 = (name: string, dims: number[], value = 0): Value =>
      b.init(makeTensor(name, DataType.UINT8, dims, new Uint8Array(dims.reduce((a, c) => a * c, 1)).fill(value)));
    const x = b.input('x', DataType.FLOAT, [1, 4, 8]);
    const img = b.input('img', DataType.FLOAT, [1, 3, 6, 6]);
    P(b.op('MatMulNBits', [x, u8('nb', [16, 1, 16], 0x88), b.weight('nbs', [16])], { K: 8, N: 16, bits: 4, block_size: 32 }, ms));
    for (const v of b.op('SkipLayerNormalization', [x, x, b.weight('g', [8]), b.weight('bt', [8])], {}, { ...ms, outputs: 1 })) P(v);
    P(b.op('MultiHeadAttention', [x, b.weight('k', [1, 6, 8]), b.weight('v', [1, 6, 8])], { num_heads: 2 }, ms));
    P(b.op('Attention', [x, b.weight('aw', [8, 24]), b.weight('ab', [24])], { num_heads: 2 }, ms));
    P(b.op('FusedMatMul', [x, b.weight('fm', [5, 8])], { transB: 1 }, ms));
    P(b.op('QuickGelu', [x], { alpha: f(1.702) }, ms));
    P(b.op('BiasGelu', [x, b.weight('bgb', [8])], {}, ms));
    P(b.op('GridSample', [img, b.weight('gsg', [1, 2, 5, 2])], { mode: 'bilinear' }, ms));
    // Quantization.
    const q = P(b.op('QuantizeLinear', [img, b.constFloat('qs', [0.05], []), u8('qz', [], 128)]));
    P(b.op('DequantizeLinear', [q, b.constFloat('ds', [0.05], []), u8('dz', [], 128)]));
    const [dq, dqs, dqz] = b.op('DynamicQuantizeLinear', [x], {}, { outputs: 3 }) as [Value, Value, Value];
    for (const v of [dq, dqs, dqz]) P(v);
    P(b.op('MatMulInteger', [dq, u8('mi', [8, 3], 3), dqz]));
    P(b.op('ConvInteger', [q, u8('ci', [2, 3, 3, 3], 1), u8('ciz', [], 128)], { pads: [1, 1, 1, 1], strides: [2, 2] }));
    P(
      b.op(
        'QLinearConv',
        [
          q,
          b.constFloat('s1', [0.05], []),
          u8('z1', [], 128),
          u8('w1', [4, 3, 3, 3], 130),
          b.constFloat('s2', [0.01], []),
          u8('z2', [], 128),
          b.constFloat('s3', [0.1], []),
          u8('z3', [], 0),
        ],
        { kernel_shape: [3, 3] },
      ),
    );
    P(
      b.op('QLinearMatMul', [
        u8('qa', [2, 5], 1),
        b.constFloat('qa_s', [0.1], []),
        u8('qa_z', [], 0),
        u8('qb', [5, 3], 2),
        b.constFloat('qb_s', [0.1], []),
        u8('qb_z', [], 0),
        b.constFloat('qy_s', [0.2], []),
        u8('qy_z', [], 0),
      ]),
    );
    // Loop: 3 trips, carried acc = acc + x, scan output of acc.
    const body = new Graph('body', b.graph);
    const iter = new Value('iter', { kind: 'tensor', elemType: DataType.INT64, shape: [] });
    const cin = new Value('cin', { kind: 'tensor', elemType: DataType.BOOL, shape: [] });
    const accIn = new Value('acc_in', { kind: 'tensor', elemType: DataType.FLOAT, shape: [1, 4, 8] });
    body.inputs.push(iter, cin, accIn);
    const cout = new Value('cout');
    const accOut = new Value('acc_out');
    const scanOut = new Value('scan_out');
    const nodes: [Node, Value][] = [
      [new Node('Identity', 'cid', [cin], [cout]), cout],
      [new Node('Add', 'acc_add', [accIn, x], [accOut]), accOut],
      [new Node('Identity', 'sid', [accOut], [scanOut]), scanOut],
    ];
    for (const [n, o] of nodes) {
      o.producer = n;
      body.nodes.push(n);
    }
    body.outputs.push(cout, accOut, scanOut);
    for (const v of b.op('Loop', [b.init(int64Tensor('trips', [], [3])), undefined, x], { body }, { outputs: 2 })) P(v);
    // Scan over axis 1 of x: state s = s + row, scan output row × 2.
    const sb = new Graph('scan_body', b.graph);
    const sIn = new Value('s_in', { kind: 'tensor', elemType: DataType.FLOAT, shape: [1, 8] });
    const row = new Value('row', { kind: 'tensor', elemType: DataType.FLOAT, shape: [1, 8] });
    sb.inputs.push(sIn, row);
    const sOut = new Value('s_out');
    const dbl = new Value('dbl');
    const sn: [Node, Value][] = [
      [new Node('Add', 's_add', [sIn, row], [sOut]), sOut],
      [new Node('Add', 's_dbl', [row, row], [dbl]), dbl],
    ];
    for (const [n, o] of sn) {
      o.producer = n;
      sb.nodes.push(n);
    }
    sb.outputs.push(sOut, dbl);
    for (const v of b.op('Scan', [b.weight('s0', [1, 8]), x], { body: sb, num_scan_inputs: 1, scan_input_axes: [1], scan_output_axes: [2] }, { outputs: 2 }))
      P(v);
    b.output(x, 'x_out');
    const model = b.finish();
    const rows = await compareWithOrt(model, p, { x: feed(DataType.FLOAT, [1, 4, 8]), img: feed(DataType.FLOAT, [1, 3, 6, 6]) });
    for (const row of rows) expect(row.inferred, row.name).toEqual(row.actual);
  });
});
