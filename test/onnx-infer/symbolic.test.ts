import { describe, expect, it } from 'vitest';
import { listNodeCosts } from '../../src/analysis/model-cost.js';
import { ShapeInferenceError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { getElemType, getShape, inferShapes } from '../../src/onnx/shape-inference.js';
import { Graph, Node, Value, type Model } from '../../src/onnx/types.js';
import { findValue } from './ort-helpers.js';

const F = DataType.FLOAT;

function shapeOf(m: Model, name: string): unknown {
  const v = findValue(m.graph, name);
  if (!v) throw new Error(`no value ${name}`);
  return getShape(v);
}

function symbolicModel(): { model: Model; names: Record<string, string> } {
  const b = new GraphBuilder('sym');
  const x = b.input('x', F, ['N', 64]);
  const mm = b.op('MatMul', [x, b.weight('w', [64, 32])]);
  const x3 = b.input('x3', F, ['N', 8, 16]);
  const s = b.op('Shape', [x3]);
  const n = b.op('Unsqueeze', [b.op('Gather', [s, b.constInt64('zero', [0], [])]), b.constInt64('ax', [0])]);
  const r = b.op('Reshape', [x3, b.op('Concat', [n, b.constInt64('m1', [-1])], { axis: 0 })]);
  const fl = b.op('Flatten', [x3], { axis: 2 });
  const back = b.op('Reshape', [fl, b.op('Concat', [n, b.constInt64('m1b', [-1])], { axis: 0 })]);
  const twice = b.op('Mul', [n, b.constInt64('two', [2])]);
  const r2 = b.op('Reshape', [x3, b.op('Concat', [twice, b.constInt64('m1c', [-1])], { axis: 0 })]);
  const conv = b.op('Conv', [b.input('img', F, ['B', 3, 'H', 'W']), b.weight('cw', [8, 3, 3, 3])], { pads: [1, 1, 1, 1] });
  for (const v of [mm, r, fl, back, r2, conv]) b.output(v);
  return { model: b.finish(), names: { mm: mm.name, r: r.name, fl: fl.name, back: back.name, r2: r2.name, conv: conv.name } };
}

describe('symbolic dims', () => {
  it('propagate through MatMul, shape arithmetic, Flatten and same-padded Conv', () => {
    const { model, names } = symbolicModel();
    const m = inferShapes(model, { strict: true });
    expect(shapeOf(m, names.mm as string)).toEqual(['N', 32]);
    expect(shapeOf(m, names.r as string)).toEqual(['N', 128]);
    expect(shapeOf(m, names.fl as string)).toEqual(['8*N', 16]);
    expect(shapeOf(m, names.back as string)).toEqual(['N', 128]);
    expect(shapeOf(m, names.r2 as string)).toEqual(['2*N', 64]);
    expect(shapeOf(m, names.conv as string)).toEqual(['B', 8, 'H', 'W']);
    // The input model is untouched (pure).
    expect(
      findValue(model.graph, names.mm as string)?.type?.kind === 'tensor' ? getShape(findValue(model.graph, names.mm as string) as Value) : undefined,
    ).toBeUndefined();
  });

  it('options.dims substitutes numbers for symbols and makes costs concrete', () => {
    const { model, names } = symbolicModel();
    const m = inferShapes(model, { dims: { N: 4, B: 1, H: 10, W: 12 } });
    expect(shapeOf(m, names.mm as string)).toEqual([4, 32]);
    expect(shapeOf(m, names.fl as string)).toEqual([32, 16]);
    expect(shapeOf(m, names.conv as string)).toEqual([1, 8, 10, 12]);
    // The copy describes the model at these sizes; the input model keeps its symbols.
    expect(getShape(m.graph.inputs[0] as Value)).toEqual([4, 64]);
    expect(getShape(model.graph.inputs[0] as Value)).toEqual(['N', 64]);
    expect(getElemType(findValue(m.graph, names.mm as string) as Value)).toBe(F);
    const matmul = (rows: ReturnType<typeof listNodeCosts>): number => rows.find((r) => r.opType === 'MatMul')?.macs ?? -1;
    expect(matmul(listNodeCosts(model, { dims: { N: 4 } }))).toBe(4 * 32 * 64);
    expect(matmul(listNodeCosts(model, { dims: { N: 7 } }))).toBe(7 * 32 * 64);
    expect(matmul(listNodeCosts(model))).toBe(0);
  });
});

describe('strictness and declared types', () => {
  it('leaves unknown ops unknown, or throws naming the node when strict', () => {
    const b = new GraphBuilder('unk');
    const x = b.input('x', F, [2, 3]);
    const y = b.op('FancyOp', [x], {}, { name: 'fancy', domain: 'custom.domain' });
    const z = b.op('Relu', [y]);
    b.output(z);
    const model = b.finish();
    const warnings: string[] = [];
    const m = inferShapes(model, { onWarning: (w) => warnings.push(w) });
    expect(shapeOf(m, y.name)).toBeUndefined();
    expect(warnings.join()).toContain("'fancy'");
    expect(() => inferShapes(model, { strict: true })).toThrow(ShapeInferenceError);
    expect(() => inferShapes(model, { strict: true })).toThrow(/node 'fancy'.*FancyOp/);
  });

  it('keeps declared shapes where inference knows less and flags conflicting ones', () => {
    const b = new GraphBuilder('decl');
    const x = b.input('x', F, [2, 3]);
    const nz = b.op('NonZero', [x]);
    nz.type = { kind: 'tensor', elemType: DataType.INT64, shape: [2, 'nnz'] };
    b.graph.valueInfo.push(nz);
    const r = b.op('Relu', [x]);
    r.type = { kind: 'tensor', elemType: F, shape: [2, 4] };
    b.graph.valueInfo.push(r);
    b.output(nz);
    b.output(r);
    const model = b.finish();
    const m = inferShapes(model);
    expect(shapeOf(m, nz.name)).toEqual([2, 'nnz']);
    expect(() => inferShapes(model, { strict: true })).toThrow(/declares \[2,4\]/);
  });

  it('infers If branches (joined when the condition is unknown) and Loop / Scan bodies', () => {
    const b = new GraphBuilder('cf', { opset: 17 });
    const x = b.input('x', F, [2, 3]);
    const cond = b.input('cond', DataType.BOOL, []);
    const branch = (name: string, shape: number[]): Graph => {
      const g = new Graph(name, b.graph);
      const o = new Value(`${name}_out`);
      const n = new Node('Expand', `${name}_expand`, [x, b.constInt64(`${name}_shape`, shape)], [o]);
      o.producer = n;
      g.nodes.push(n);
      g.outputs.push(o);
      return g;
    };
    const iff = b.op('If', [cond], { then_branch: branch('t', [4, 2, 3]), else_branch: branch('e', [5, 2, 3]) });
    // Loop: carried state y = y + x, scan output y; 3 trips, no condition.
    const body = new Graph('body', b.graph);
    const iter = new Value('iter', { kind: 'tensor', elemType: DataType.INT64, shape: [] });
    const cin = new Value('cin', { kind: 'tensor', elemType: DataType.BOOL, shape: [] });
    const yin = new Value('yin');
    body.inputs.push(iter, cin, yin);
    const cout = new Value('cout');
    const yout = new Value('yout');
    const scanOut = new Value('scan_out');
    const n1 = new Node('Identity', 'cid', [cin], [cout]);
    const n2 = new Node('Add', 'acc', [yin, x], [yout]);
    const n3 = new Node('Identity', 'sid', [yout], [scanOut]);
    for (const [n, o] of [
      [n1, cout],
      [n2, yout],
      [n3, scanOut],
    ] as const) {
      o.producer = n;
      body.nodes.push(n);
    }
    body.outputs.push(cout, yout, scanOut);
    const [final, stacked] = b.op('Loop', [b.constInt64('trips', [3], []), undefined, x], { body }, { outputs: 2 }) as [Value, Value];
    b.output(iff);
    b.output(final);
    b.output(stacked);
    const m = inferShapes(b.finish(), { strict: true });
    expect(shapeOf(m, iff.name)).toEqual([undefined, 2, 3]);
    expect(shapeOf(m, 'yout')).toEqual([2, 3]);
    expect(shapeOf(m, final.name)).toEqual([2, 3]);
    expect(shapeOf(m, stacked.name)).toEqual([3, 2, 3]);
  });
});
