/**
 * The `batch` pass: runs N samples per call. The batched inputs (default: every graph input whose leading
 * dim is 1) get N there, and the batch is followed through the graph node by node (in topological order,
 * on the shapes inferred for the original model) as an axis of each value:
 * - shape-preserving and broadcasting ops keep it (aligned from the right); an unbatched operand whose dim
 *   at that axis is > 1 (a batch merged with another axis, [N·M, …]) is tiled;
 * - Reshape targets are regrouped by equal products, as the resolution pass does for spatial sizes: the
 *   batch goes to the first output dim of its group, which is multiplied by N (−1 entries are kept);
 * - Expand shapes, Resize sizes and Slice ends on the batch axis are rewritten the same way; Transpose,
 *   (Un)Squeeze, Flatten, Gather and reductions move or keep the axis;
 * - Concat, GridSample and other ops that need equal batches get their unbatched operands (constant grids,
 *   a baked feature volume) tiled to N with a `Tile` in front, so the constant itself is never copied N times;
 * - an op that would mix the samples (a reduction, softmax, split, slice or concat over the batch axis; a
 *   norm over it; a subgraph) or that this pass does not know is an error naming the node, as is a graph
 *   output the batch does not reach.
 * Rewritten constants are new initializers (shared ones are never edited in place).
 */
import { PassError } from '../errors.js';
import { DataType } from '../onnx/dtype.js';
import { cloneModel, createNamer, getOpset, listSubgraphs } from '../onnx/graph-utils.js';
import { inferShapes } from '../onnx/shape-inference.js';
import { int64Tensor } from '../onnx/tensor.js';
import { Node, Value, type Dim, type Graph, type Model } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import { REDUCE_OPS } from '../onnx/infer/reduce.js';
import {
  addInitializer,
  bump,
  constantInts,
  intAttr,
  intsAttr,
  newReport,
  NodeInserter,
  PASSES_METADATA_KEY,
  recordPass,
  type PassReport,
  type PassResult,
} from './common.js';

export const BATCH_NAME = 'batch';

/** The batch pass's counters. */
export type BatchStat = 'batch' | 'tiled' | 'rewritten.Expand' | 'rewritten.Resize' | 'rewritten.Slice' | 'rewritten.Reshape';

export interface BatchOptions {
  /** Samples per call (≥ 1). */
  size: number;
  /** Inputs that carry the batch (default: every graph input whose leading dim is 1). */
  inputs?: string[];
}

export const BATCH_DEFAULTS = {};

const UNARY = new Set([
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Exp',
  'Log',
  'Neg',
  'Abs',
  'Sqrt',
  'Reciprocal',
  'Erf',
  'Sin',
  'Cos',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Not',
  'Identity',
  'Cast',
  'Softplus',
  'Softsign',
  'Mish',
  'Gelu',
  'Elu',
  'Selu',
  'HardSigmoid',
  'HardSwish',
  'Dropout',
  'IsNaN',
  'IsInf',
  'Clip',
  'CastLike',
]);
const BROADCAST = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Where',
  'Max',
  'Min',
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'And',
  'Or',
  'Xor',
  'PRelu',
  'Mod',
  'Sum',
  'Mean',
  'BitShift',
]);
/** Ops whose first input is [N, C, …]: the batch must be axis 0 and the other inputs unbatched. */
const LEADING = new Set([
  'Conv',
  'ConvTranspose',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'LpPool',
  'InstanceNormalization',
  'BatchNormalization',
  'DepthToSpace',
  'SpaceToDepth',
  'LRN',
]);
const REDUCE = new Set<string>([...REDUCE_OPS, 'ArgMax', 'ArgMin']);

function fail(node: string | undefined, detail: string): never {
  throw new PassError(BATCH_NAME, node, detail);
}

const norm = (a: number, r: number): number => (a < 0 ? a + r : a);

/**
 * What the batch phases share: the batch size, the original model's shapes, the clone being rewritten with
 * its namer and node inserter, and the axis each batched value carries the batch on.
 */
interface BatchState {
  readonly N: number;
  readonly report: PassReport<BatchStat>;
  /** Value name → its shape in the original model (initializers: their dims). */
  readonly oldShape: Map<string, number[] | undefined>;
  readonly g: Graph;
  readonly name: (base: string) => string;
  readonly ins: NodeInserter;
  readonly axis: Map<Value, number>;
  readonly opset: number;
}

/** A node taking a batched value: the batch axis of each input (undefined: unbatched) and its label. */
interface BatchedNode {
  n: Node;
  op: string;
  b: (number | undefined)[];
  label: string;
}

/** Where a node's outputs carry the batch, given where its inputs do (rewriting its constants when needed). */
type AxisRule = (s: BatchState, c: BatchedNode) => number;

/** Runs the pass; `model` is not modified. */
export function batchWithReport(model: Model, options: BatchOptions): PassResult<BatchStat> {
  const N = options.size;
  const report = newReport<BatchStat>(BATCH_NAME, options);
  if (!Number.isInteger(N) || N < 1) fail(undefined, `size must be an integer ≥ 1, got ${N}`);
  const oldShape = collectOldShapes(inferShapes(model));
  const m = cloneModel(model);
  const g = m.graph;
  const s: BatchState = { N, report, oldShape, g, name: createNamer(g), ins: new NodeInserter(g), axis: new Map(), opset: getOpset(m) ?? 17 };
  const chosen = batchInputs(s, options);
  for (const n of g.nodes) followNode(s, n);
  s.ins.apply();
  declareBatchedShapes(s, chosen);
  report.stats.batch = N;
  report.details = { inputs: chosen.map((v) => v.name), outputs: Object.fromEntries(g.outputs.map((v) => [v.name, v.tensorType?.shape ?? null])) };
  recordPass(m, BATCH_NAME, { size: N, inputs: chosen.map((v) => v.name) });
  verifyModel(m, `pass ${BATCH_NAME}`);
  return { model: m, report };
}

function collectOldShapes(old: Model): Map<string, number[] | undefined> {
  const oldShape = new Map<string, number[] | undefined>();
  const numeric = (s: Dim[] | undefined): number[] | undefined => (s && s.every((d) => typeof d === 'number') ? (s as number[]) : undefined);
  for (const v of [...old.graph.inputs, ...old.graph.outputs, ...old.graph.initializers])
    oldShape.set(v.name, v.initializer ? [...v.initializer.dims] : numeric(v.tensorType?.shape));
  for (const n of old.graph.nodes) for (const v of n.outputs) if (v) oldShape.set(v.name, numeric(v.tensorType?.shape));
  return oldShape;
}

/** The batched inputs (named, or every input with a leading dim of 1), their leading dim set to N. */
function batchInputs(s: BatchState, options: BatchOptions): Value[] {
  const { g, N } = s;
  const chosen = g.inputs.filter((v) => !v.initializer && (options.inputs ? options.inputs.includes(v.name) : v.tensorType?.shape?.[0] === 1));
  for (const want of options.inputs ?? []) if (!chosen.some((v) => v.name === want)) fail(undefined, `input '${want}' is not a graph input`);
  if (!chosen.length) fail(undefined, 'no graph input has a leading dim of 1 to batch (name the batched inputs)');
  for (const v of chosen) {
    const shape = v.tensorType?.shape;
    if (!shape || shape.length === 0 || shape[0] !== 1)
      fail(undefined, `input '${v.name}': the batch needs a leading dim of 1, the input is [${(shape ?? []).join(',')}]`);
    v.type = { kind: 'tensor', elemType: v.tensorType?.elemType ?? DataType.FLOAT, shape: [N, ...shape.slice(1)] };
    s.axis.set(v, 0);
  }
  return chosen;
}

/** Follows the batch through one node: checks it can carry it, and records its outputs' batch axis. */
function followNode(s: BatchState, n: Node): void {
  const b = n.inputs.map((v) => (v ? s.axis.get(v) : undefined));
  if (b.every((x) => x === undefined)) return;
  const label = n.name || n.opType;
  if (listSubgraphs(n).length) fail(label, `${n.opType} with a subgraph takes a batched value: not supported`);
  if (n.domain !== '' && n.domain !== 'ai.onnx') fail(label, `op ${n.domain}.${n.opType}: cannot tell how it carries the batch`);
  const op = n.opType;
  const rule = UNARY.has(op) ? unaryAxis : BROADCAST.has(op) ? broadcastAxis : LEADING.has(op) ? leadingAxis : REDUCE.has(op) ? reduceAxis : AXIS_RULES[op];
  if (!rule) fail(label, `op ${op}: cannot tell how it carries the batch`);
  const oa = rule(s, { n, op, b, label });
  if (oa < 0) fail(label, `${op}: lost track of the batch axis`);
  for (const o of n.outputs) if (o) s.axis.set(o, oa);
}

/** Declared shapes: batched values get N× at their axis; every output must carry the batch. */
function declareBatchedShapes(s: BatchState, chosen: readonly Value[]): void {
  for (const o of s.g.outputs) {
    const a = s.axis.get(o);
    if (a === undefined) fail(o.producer?.name, `graph output '${o.name}' does not carry the batch`);
  }
  for (const [v, a] of s.axis) {
    if (chosen.includes(v)) continue;
    const shape = v.tensorType?.shape;
    if (shape && v.type?.kind === 'tensor') {
      const d = shape[a];
      v.type = { ...v.type, shape: shape.map((x, k) => (k === a ? (typeof d === 'number' ? d * s.N : undefined) : x)) };
    }
  }
}

function shapeOf(s: BatchState, v: Value | undefined, n: Node): number[] {
  const shape = v ? (v.initializer ? [...v.initializer.dims] : s.oldShape.get(v.name)) : undefined;
  if (!shape) fail(n.name || n.opType, `the shape of '${v?.name ?? ''}' is not known, so the batch cannot be followed`);
  return shape;
}

function newConst(s: BatchState, base: string, values: number[]): Value {
  return addInitializer(s.g, int64Tensor(s.name(base), [values.length], values));
}

/** Tiles an unbatched operand N times along `at` (in front of `n`). */
function tile(s: BatchState, n: Node, idx: number, at: number): void {
  const { N, name } = s;
  const v = n.inputs[idx] as Value;
  const r = shapeOf(s, v, n).length;
  const reps = newConst(
    s,
    `${v.name}_batch_repeats`,
    Array.from({ length: r }, (_, i) => (i === at ? N : 1)),
  );
  const t = new Node('Tile', name(`${v.name}_batch_Tile`), [v, reps], []);
  const o = new Value(name(`${v.name}_batch${N}`), v.tensorType ? { kind: 'tensor', elemType: v.tensorType.elemType } : undefined);
  o.producer = t;
  t.outputs = [o];
  s.ins.insertBefore(n, t);
  n.inputs[idx] = o;
  s.axis.set(o, at);
  bump(s.report, 'tiled');
}

function axesOf(n: Node, inputIdx: number, rank: number): number[] | undefined {
  const fromInput = n.inputs[inputIdx] ? constantInts(n.inputs[inputIdx]) : undefined;
  if (n.inputs[inputIdx] && !fromInput) fail(n.name, `${n.opType} axes are not constant`);
  return (fromInput ?? intsAttr(n, 'axes'))?.map((a) => norm(a, rank));
}

/** The batch axis of input 0, when only input 0 carries the batch. */
function only0(c: BatchedNode): number {
  const b0 = c.b[0];
  if (b0 === undefined || c.b.slice(1).some((x) => x !== undefined)) fail(c.label, `${c.op}: only its first input may carry the batch`);
  return b0;
}

const outRank = (s: BatchState, c: BatchedNode): number => shapeOf(s, c.n.outputs[0], c.n).length;
const inRank = (s: BatchState, c: BatchedNode, i = 0): number => shapeOf(s, c.n.inputs[i], c.n).length;

const unaryAxis: AxisRule = (_s, c) => only0(c);

const leadingAxis: AxisRule = (_s, c) => {
  if (only0(c) !== 0) fail(c.label, `${c.op}: the batch must be the leading axis`);
  return 0;
};

/** Broadcasting ops: every batched input on one output axis; unbatched inputs spanning it are tiled. */
const broadcastAxis: AxisRule = (s, { n, op, b, label }) => {
  const r = outRank(s, { n, op, b, label });
  let at: number | undefined;
  n.inputs.forEach((v, i) => {
    const bi = b[i];
    if (v && bi !== undefined) {
      const a = bi + (r - shapeOf(s, v, n).length);
      if (at !== undefined && at !== a) fail(label, `${op}: its inputs carry the batch on different axes`);
      at = a;
    }
  });
  const a = at as number;
  n.inputs.forEach((v, i) => {
    if (!v || b[i] !== undefined) return;
    const shape = shapeOf(s, v, n);
    const p = a - (r - shape.length);
    if (p >= 0 && (shape[p] as number) > 1) tile(s, n, i, p);
  });
  return a;
};

const reduceAxis: AxisRule = (s, c) => {
  const { n, op, label } = c;
  const bi = only0(c);
  const r = inRank(s, c);
  const arg = op === 'ArgMax' || op === 'ArgMin';
  const axesInput = op === 'ReduceSum' ? s.opset >= 13 : s.opset >= 18;
  let axes = arg ? [norm(intAttr(n, 'axis', 0), r)] : axesOf(n, axesInput ? 1 : -1, r);
  if (!axes || !axes.length) axes = intAttr(n, 'noop_with_empty_axes', 0) ? [] : Array.from({ length: r }, (_, i) => i);
  if (axes.includes(bi)) fail(label, `${op} over the batch axis would mix the samples`);
  return intAttr(n, 'keepdims', 1) ? bi : bi - axes.filter((a) => a < bi).length;
};

const normalizeAxis: AxisRule = (s, c) => {
  const bi = only0(c);
  const a = norm(intAttr(c.n, 'axis', -1), inRank(s, c));
  if (c.op === 'LayerNormalization' ? bi >= a : bi === a) fail(c.label, `${c.op} over the batch axis would mix the samples`);
  return bi;
};

const resizeAxis: AxisRule = (s, c) => {
  const { n, op, label } = c;
  const bi = only0(c);
  const scales = constantInts(n.inputs[op === 'Resize' ? 2 : 1]) ?? undefined;
  const sizesIdx = op === 'Resize' ? 3 : -1;
  const sizes = sizesIdx > 0 && n.inputs[sizesIdx] ? constantInts(n.inputs[sizesIdx]) : undefined;
  if (sizes) {
    n.inputs[sizesIdx] = newConst(
      s,
      `${n.name}_sizes_batch${s.N}`,
      sizes.map((d, i) => (i === bi ? d * s.N : d)),
    );
    bump(s.report, 'rewritten.Resize');
  } else if (scales && scales[bi] !== 1) fail(label, 'Resize scales the batch axis');
  return bi;
};

/** An op whose `axis` (CumSum: its axis input) must not be the batch axis. */
const alongAxis: AxisRule = (s, c) => {
  const { n, op } = c;
  const bi = only0(c);
  const r = inRank(s, c);
  const a = op === 'CumSum' ? norm((constantInts(n.inputs[1]) ?? [bi])[0] as number, r) : norm(intAttr(n, 'axis', op === 'TopK' ? -1 : 0), r);
  if (a === bi) fail(c.label, `${op} along the batch axis would mix the samples`);
  return bi;
};

/** Rules by op type (the sets UNARY, BROADCAST, LEADING and REDUCE have theirs above). */
const AXIS_RULES: Readonly<Record<string, AxisRule>> = {
  Concat: (s, { n, b, label }) => {
    const c = norm(intAttr(n, 'axis', 0), shapeOf(s, n.inputs[0], n).length);
    const bs = new Set(b.filter((x) => x !== undefined));
    if (bs.size !== 1) fail(label, 'Concat: its inputs carry the batch on different axes');
    const oa = [...bs][0] as number;
    if (c === oa) fail(label, 'Concat along the batch axis would mix the samples');
    n.inputs.forEach((v, i) => {
      if (v && b[i] === undefined) tile(s, n, i, oa);
    });
    return oa;
  },
  GridSample: (s, { n, b, label }) => {
    for (let i = 0; i < 2; i++) {
      if (b[i] === undefined) tile(s, n, i, 0);
      else if (b[i] !== 0) fail(label, 'GridSample: the batch must be the leading axis');
    }
    return 0;
  },
  Reshape: (s, c) => reshape(s, c.n, only0(c)),
  Expand: (s, c) => {
    const { n, label } = c;
    const bi = only0(c);
    const shape = constantInts(n.inputs[1]);
    if (!shape) fail(label, 'Expand shape is not constant');
    const rin = inRank(s, c);
    const r = Math.max(rin, shape.length);
    const oa = bi + (r - rin);
    const si = oa - (r - shape.length);
    if (si >= 0 && (shape[si] as number) > 1) {
      n.inputs[1] = newConst(
        s,
        `${n.name}_shape_batch${s.N}`,
        shape.map((d, i) => (i === si ? d * s.N : d)),
      );
      bump(s.report, 'rewritten.Expand');
    }
    return oa;
  },
  Transpose: (s, c) => {
    const r = inRank(s, c);
    const perm = intsAttr(c.n, 'perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
    return perm.indexOf(only0(c));
  },
  Unsqueeze: (s, c) => {
    const bi = only0(c);
    const r = outRank(s, c);
    const axes = new Set(axesOf(c.n, s.opset >= 13 ? 1 : -1, r) ?? []);
    let k = -1;
    let oa = -1;
    for (let i = 0; i < r; i++) if (!axes.has(i) && ++k === bi) oa = i;
    return oa;
  },
  Squeeze: (s, c) => {
    const bi = only0(c);
    const shape = shapeOf(s, c.n.inputs[0], c.n);
    const axes = axesOf(c.n, s.opset >= 13 ? 1 : -1, shape.length) ?? shape.flatMap((d, i) => (d === 1 ? [i] : []));
    if (axes.includes(bi)) fail(c.label, 'Squeeze removes the batch axis');
    return bi - axes.filter((a) => a < bi).length;
  },
  Softmax: normalizeAxis,
  LogSoftmax: normalizeAxis,
  Hardmax: normalizeAxis,
  LayerNormalization: normalizeAxis,
  Resize: resizeAxis,
  Upsample: resizeAxis,
  Slice: (s, c) => {
    const { n, label } = c;
    const bi = only0(c);
    const shape = shapeOf(s, n.inputs[0], n);
    const starts = constantInts(n.inputs[1]);
    const ends = constantInts(n.inputs[2]);
    const axes = n.inputs[3] ? constantInts(n.inputs[3]) : starts?.map((_, i) => i);
    if (!starts || !ends || !axes) fail(label, 'Slice bounds are not constant');
    const k = axes.findIndex((a) => norm(a, shape.length) === bi);
    if (k >= 0) {
      if (starts[k] !== 0 || (ends[k] as number) < (shape[bi] as number)) fail(label, 'Slice cuts the batch axis');
      n.inputs[2] = newConst(
        s,
        `${n.name}_ends_batch${s.N}`,
        ends.map((e, i) => (i === k ? Math.max(e, (shape[bi] as number) * s.N) : e)),
      );
      bump(s.report, 'rewritten.Slice');
    }
    return bi;
  },
  Gather: (s, { n, b, label }) => {
    const a = norm(intAttr(n, 'axis', 0), shapeOf(s, n.inputs[0], n).length);
    if (b[0] !== undefined && b[1] !== undefined) fail(label, 'Gather: data and indices both carry the batch');
    if (b[0] !== undefined) {
      if (b[0] === a) fail(label, 'Gather along the batch axis would mix the samples');
      return b[0] < a ? b[0] : b[0] - 1 + shapeOf(s, n.inputs[1], n).length;
    }
    return a + (b[1] as number);
  },
  MatMul: (s, c) => {
    const { b, label } = c;
    const r = outRank(s, c);
    const ra = inRank(s, c, 0);
    const rb = inRank(s, c, 1);
    let at: number | undefined;
    if (b[0] !== undefined) {
      if (ra < 2 || b[0] === ra - 1) fail(label, 'MatMul: the batch is on the contracted axis');
      at = b[0] + (r - ra);
    }
    if (b[1] !== undefined) {
      if (rb < 2 || b[1] === rb - 2) fail(label, 'MatMul: the batch is on the contracted axis');
      const a2 = b[1] === rb - 1 ? r - 1 : b[1] + (r - rb);
      if (at !== undefined && at !== a2) fail(label, 'MatMul: both inputs carry the batch on different axes');
      at = a2;
    }
    return at as number;
  },
  Gemm: (_s, c) => {
    if (only0(c) !== 0 || intAttr(c.n, 'transA', 0)) fail(c.label, 'Gemm: the batch must be the rows of A');
    return 0;
  },
  Tile: (_s, c) => {
    const bi = only0(c);
    const reps = constantInts(c.n.inputs[1]);
    if (!reps || reps[bi] !== 1) fail(c.label, 'Tile repeats the batch axis (or its repeats are not constant)');
    return bi;
  },
  Pad: (s, c) => {
    const { n } = c;
    const bi = only0(c);
    const r = inRank(s, c);
    const pads = s.opset >= 11 ? constantInts(n.inputs[1]) : intsAttr(n, 'pads');
    if (!pads || pads[bi] !== 0 || pads[bi + r] !== 0 || n.inputs[3]) fail(c.label, 'Pad pads the batch axis (or its pads are not constant)');
    return bi;
  },
  Split: alongAxis,
  TopK: alongAxis,
  CumSum: alongAxis,
  Flatten: (s, c) => {
    const bi = only0(c);
    const shape = shapeOf(s, c.n.inputs[0], c.n);
    const a = norm(intAttr(c.n, 'axis', 1), shape.length);
    const outer = bi < a ? shape.slice(0, bi) : shape.slice(a, bi);
    if (outer.some((d) => d !== 1)) fail(c.label, 'Flatten: the batch would not be the outer factor of its merged axis');
    return bi < a ? 0 : 1;
  },
};

/** Reshape: the group of input dims holding the batch maps onto a group of output dims (equal products). */
function reshape(s: BatchState, n: Node, bi: number): number {
  const label = n.name || n.opType;
  const t = constantInts(n.inputs[1]);
  if (!t) fail(label, 'Reshape target is not constant: cannot follow the batch');
  const so = shapeOf(s, n.inputs[0], n);
  const out = shapeOf(s, n.outputs[0], n);
  let i = 0;
  let j = 0;
  while (i < so.length) {
    const gi = [i];
    const gj: number[] = j < out.length ? [j] : [];
    let pi = so[i++] as number;
    let pj = j < out.length ? (out[j++] as number) : 1;
    while (pi !== pj) {
      if (pi < pj) {
        if (i >= so.length) fail(label, `cannot group Reshape [${so.join(',')}]→[${out.join(',')}]`);
        gi.push(i);
        pi *= so[i++] as number;
      } else {
        if (j >= out.length) fail(label, `cannot group Reshape [${so.join(',')}]→[${out.join(',')}]`);
        gj.push(j);
        pj *= out[j++] as number;
      }
    }
    if (!gi.includes(bi)) continue;
    if (gi.slice(0, gi.indexOf(bi)).some((k) => so[k] !== 1)) fail(label, 'Reshape: the batch would not stay the outer factor of its group');
    const oa = gj[0];
    if (oa === undefined) fail(label, 'Reshape drops the batch axis');
    const target = t[oa] as number;
    if (target === 0 && !(oa === bi && gi.length === 1 && gj.length === 1)) fail(label, 'Reshape copies (0) a dim that the batch changes');
    if (target > 0) {
      n.inputs[1] = newConst(
        s,
        `${n.name}_shape_batch${s.N}`,
        t.map((d, k) => (k === oa ? d * s.N : d)),
      );
      bump(s.report, 'rewritten.Reshape');
    }
    return oa;
  }
  return fail(label, 'Reshape: batch axis not found');
}

/** The batch pass (see module docs). Pure. */
export function batch(model: Model, options: BatchOptions): Model {
  return batchWithReport(model, options).model;
}

/** The batch size a model was made for (its `batch` record), 1 when it has none. */
export function readBatchSize(model: Pick<Model, 'metadataProps'>): number {
  const prop = model.metadataProps.find((e) => e.key === PASSES_METADATA_KEY);
  if (!prop) return 1;
  try {
    const list = JSON.parse(prop.value) as { pass: string; options: { size?: number } }[];
    return list.filter((r) => r.pass === BATCH_NAME).reduce((acc, r) => acc * (r.options.size ?? 1), 1);
  } catch {
    return 1;
  }
}
