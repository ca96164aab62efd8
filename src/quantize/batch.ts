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
import { Node, Value, type Dim, type Model } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import { addInitializer, bump, constantInts, intAttr, intsAttr, newReport, NodeInserter, recordPass, type PassResult } from './common.js';

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

const UNARY = new Set(['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Neg', 'Abs', 'Sqrt', 'Reciprocal', 'Erf', 'Sin', 'Cos', 'Floor', 'Ceil', 'Round', 'Sign', 'Not', 'Identity', 'Cast', 'Softplus', 'Softsign', 'Mish', 'Gelu', 'Elu', 'Selu', 'HardSigmoid', 'HardSwish', 'Dropout', 'IsNaN', 'IsInf', 'Clip', 'CastLike']);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Where', 'Max', 'Min', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'PRelu', 'Mod', 'Sum', 'Mean', 'BitShift']);
/** Ops whose first input is [N, C, …]: the batch must be axis 0 and the other inputs unbatched. */
const LEADING = new Set(['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool', 'InstanceNormalization', 'BatchNormalization', 'DepthToSpace', 'SpaceToDepth', 'LRN']);
const REDUCE = new Set(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare', 'ArgMax', 'ArgMin']);

function fail(node: string | undefined, detail: string): never {
  throw new PassError(BATCH_NAME, node, detail);
}

const norm = (a: number, r: number): number => (a < 0 ? a + r : a);

/** Runs the pass; `model` is not modified. */
export function batchWithReport(model: Model, options: BatchOptions): PassResult<BatchStat> {
  const N = options.size;
  const report = newReport<BatchStat>(BATCH_NAME, options);
  if (!Number.isInteger(N) || N < 1) fail(undefined, `size must be an integer ≥ 1, got ${N}`);
  const old = inferShapes(model);
  const oldShape = new Map<string, number[] | undefined>();
  const numeric = (s: Dim[] | undefined): number[] | undefined => (s && s.every((d) => typeof d === 'number') ? (s as number[]) : undefined);
  for (const v of [...old.graph.inputs, ...old.graph.outputs, ...old.graph.initializers]) oldShape.set(v.name, v.initializer ? [...v.initializer.dims] : numeric(v.tensorType?.shape));
  for (const n of old.graph.nodes) for (const v of n.outputs) if (v) oldShape.set(v.name, numeric(v.tensorType?.shape));

  const m = cloneModel(model);
  const g = m.graph;
  const name = createNamer(g);
  const ins = new NodeInserter(g);
  const axis = new Map<Value, number>();
  const opset = getOpset(m) ?? 17;

  // Batched inputs.
  const chosen = g.inputs.filter((v) => !v.initializer && (options.inputs ? options.inputs.includes(v.name) : v.tensorType?.shape?.[0] === 1));
  for (const want of options.inputs ?? []) if (!chosen.some((v) => v.name === want)) fail(undefined, `input '${want}' is not a graph input`);
  if (!chosen.length) fail(undefined, 'no graph input has a leading dim of 1 to batch (name the batched inputs)');
  for (const v of chosen) {
    const s = v.tensorType?.shape;
    if (!s || s.length === 0 || s[0] !== 1) fail(undefined, `input '${v.name}': the batch needs a leading dim of 1, the input is [${(s ?? []).join(',')}]`);
    v.type = { kind: 'tensor', elemType: v.tensorType?.elemType ?? DataType.FLOAT, shape: [N, ...s.slice(1)] };
    axis.set(v, 0);
  }

  const shapeOf = (v: Value | undefined, n: Node): number[] => {
    const s = v ? (v.initializer ? [...v.initializer.dims] : oldShape.get(v.name)) : undefined;
    if (!s) fail(n.name || n.opType, `the shape of '${v?.name ?? ''}' is not known, so the batch cannot be followed`);
    return s;
  };
  const newConst = (base: string, values: number[]): Value => addInitializer(g, int64Tensor(name(base), [values.length], values));
  /** Tiles an unbatched operand N times along `at` (in front of `n`). */
  const tile = (n: Node, idx: number, at: number): void => {
    const v = n.inputs[idx] as Value;
    const r = shapeOf(v, n).length;
    const reps = newConst(`${v.name}_batch_repeats`, Array.from({ length: r }, (_, i) => (i === at ? N : 1)));
    const t = new Node('Tile', name(`${v.name}_batch_Tile`), [v, reps], []);
    const o = new Value(name(`${v.name}_batch${N}`), v.tensorType ? { kind: 'tensor', elemType: v.tensorType.elemType } : undefined);
    o.producer = t;
    t.outputs = [o];
    ins.insertBefore(n, t);
    n.inputs[idx] = o;
    axis.set(o, at);
    bump(report, 'tiled');
  };
  const axesOf = (n: Node, inputIdx: number, rank: number): number[] | undefined => {
    const fromInput = n.inputs[inputIdx] ? constantInts(n.inputs[inputIdx]) : undefined;
    if (n.inputs[inputIdx] && !fromInput) fail(n.name, `${n.opType} axes are not constant`);
    return (fromInput ?? intsAttr(n, 'axes'))?.map((a) => norm(a, rank));
  };

  for (const n of g.nodes) {
    const b = n.inputs.map((v) => (v ? axis.get(v) : undefined));
    if (b.every((x) => x === undefined)) continue;
    const label = n.name || n.opType;
    if (listSubgraphs(n).length) fail(label, `${n.opType} with a subgraph takes a batched value: not supported`);
    if (n.domain !== '' && n.domain !== 'ai.onnx') fail(label, `op ${n.domain}.${n.opType}: cannot tell how it carries the batch`);
    const b0 = b[0];
    const only0 = (): number => {
      if (b0 === undefined || b.slice(1).some((x) => x !== undefined)) fail(label, `${n.opType}: only its first input may carry the batch`);
      return b0;
    };
    const outRank = (): number => shapeOf(n.outputs[0], n).length;
    let oa: number;
    const op = n.opType;
    if (UNARY.has(op)) oa = only0();
    else if (BROADCAST.has(op)) {
      const r = outRank();
      let at: number | undefined;
      n.inputs.forEach((v, i) => {
        const bi = b[i];
        if (v && bi !== undefined) {
          const a = bi + (r - shapeOf(v, n).length);
          if (at !== undefined && at !== a) fail(label, `${op}: its inputs carry the batch on different axes`);
          at = a;
        }
      });
      const a = at as number;
      n.inputs.forEach((v, i) => {
        if (!v || b[i] !== undefined) return;
        const s = shapeOf(v, n);
        const p = a - (r - s.length);
        if (p >= 0 && (s[p] as number) > 1) tile(n, i, p);
      });
      oa = a;
    } else if (op === 'Concat') {
      const r = shapeOf(n.inputs[0], n).length;
      const c = norm(intAttr(n, 'axis', 0), r);
      const bs = new Set(b.filter((x) => x !== undefined));
      if (bs.size !== 1) fail(label, 'Concat: its inputs carry the batch on different axes');
      oa = [...bs][0] as number;
      if (c === oa) fail(label, 'Concat along the batch axis would mix the samples');
      n.inputs.forEach((v, i) => {
        if (v && b[i] === undefined) tile(n, i, oa);
      });
    } else if (op === 'GridSample') {
      for (let i = 0; i < 2; i++) {
        if (b[i] === undefined) tile(n, i, 0);
        else if (b[i] !== 0) fail(label, 'GridSample: the batch must be the leading axis');
      }
      oa = 0;
    } else if (LEADING.has(op)) {
      if (only0() !== 0) fail(label, `${op}: the batch must be the leading axis`);
      oa = 0;
    } else if (op === 'Reshape') oa = reshape(n, only0());
    else if (op === 'Expand') {
      const bi = only0();
      const s = constantInts(n.inputs[1]);
      if (!s) fail(label, 'Expand shape is not constant');
      const rin = shapeOf(n.inputs[0], n).length;
      const r = Math.max(rin, s.length);
      oa = bi + (r - rin);
      const si = oa - (r - s.length);
      if (si >= 0 && (s[si] as number) > 1) {
        n.inputs[1] = newConst(`${n.name}_shape_batch${N}`, s.map((d, i) => (i === si ? d * N : d)));
        bump(report, 'rewritten.Expand');
      }
    } else if (op === 'Transpose') {
      const r = shapeOf(n.inputs[0], n).length;
      const perm = intsAttr(n, 'perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
      oa = perm.indexOf(only0());
    } else if (op === 'Unsqueeze') {
      const bi = only0();
      const r = outRank();
      const axes = new Set(axesOf(n, opset >= 13 ? 1 : -1, r) ?? []);
      let k = -1;
      oa = -1;
      for (let i = 0; i < r; i++) if (!axes.has(i) && ++k === bi) oa = i;
    } else if (op === 'Squeeze') {
      const bi = only0();
      const s = shapeOf(n.inputs[0], n);
      const axes = axesOf(n, opset >= 13 ? 1 : -1, s.length) ?? s.flatMap((d, i) => (d === 1 ? [i] : []));
      if (axes.includes(bi)) fail(label, 'Squeeze removes the batch axis');
      oa = bi - axes.filter((a) => a < bi).length;
    } else if (REDUCE.has(op)) {
      const bi = only0();
      const r = shapeOf(n.inputs[0], n).length;
      const arg = op === 'ArgMax' || op === 'ArgMin';
      const axesInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18;
      let axes = arg ? [norm(intAttr(n, 'axis', 0), r)] : axesOf(n, axesInput ? 1 : -1, r);
      if (!axes || !axes.length) axes = intAttr(n, 'noop_with_empty_axes', 0) ? [] : Array.from({ length: r }, (_, i) => i);
      if (axes.includes(bi)) fail(label, `${op} over the batch axis would mix the samples`);
      oa = intAttr(n, 'keepdims', 1) ? bi : bi - axes.filter((a) => a < bi).length;
    } else if (op === 'Softmax' || op === 'LogSoftmax' || op === 'Hardmax' || op === 'LayerNormalization') {
      const bi = only0();
      const r = shapeOf(n.inputs[0], n).length;
      const a = norm(intAttr(n, 'axis', -1), r);
      if (op === 'LayerNormalization' ? bi >= a : bi === a) fail(label, `${op} over the batch axis would mix the samples`);
      oa = bi;
    } else if (op === 'Resize' || op === 'Upsample') {
      const bi = only0();
      const scales = constantInts(n.inputs[op === 'Resize' ? 2 : 1]) ?? undefined;
      const sizesIdx = op === 'Resize' ? 3 : -1;
      const sizes = sizesIdx > 0 && n.inputs[sizesIdx] ? constantInts(n.inputs[sizesIdx]) : undefined;
      if (sizes) {
        n.inputs[sizesIdx] = newConst(`${n.name}_sizes_batch${N}`, sizes.map((d, i) => (i === bi ? d * N : d)));
        bump(report, 'rewritten.Resize');
      } else if (scales && scales[bi] !== 1) fail(label, 'Resize scales the batch axis');
      oa = bi;
    } else if (op === 'Slice') {
      const bi = only0();
      const s = shapeOf(n.inputs[0], n);
      const starts = constantInts(n.inputs[1]);
      const ends = constantInts(n.inputs[2]);
      const axes = n.inputs[3] ? constantInts(n.inputs[3]) : starts?.map((_, i) => i);
      if (!starts || !ends || !axes) fail(label, 'Slice bounds are not constant');
      const k = axes.findIndex((a) => norm(a, s.length) === bi);
      if (k >= 0) {
        if (starts[k] !== 0 || (ends[k] as number) < (s[bi] as number)) fail(label, 'Slice cuts the batch axis');
        n.inputs[2] = newConst(`${n.name}_ends_batch${N}`, ends.map((e, i) => (i === k ? Math.max(e, (s[bi] as number) * N) : e)));
        bump(report, 'rewritten.Slice');
      }
      oa = bi;
    } else if (op === 'Gather') {
      const r = shapeOf(n.inputs[0], n).length;
      const a = norm(intAttr(n, 'axis', 0), r);
      if (b[0] !== undefined && b[1] !== undefined) fail(label, 'Gather: data and indices both carry the batch');
      if (b[0] !== undefined) {
        if (b[0] === a) fail(label, 'Gather along the batch axis would mix the samples');
        oa = b[0] < a ? b[0] : b[0] - 1 + shapeOf(n.inputs[1], n).length;
      } else oa = a + (b[1] as number);
    } else if (op === 'MatMul') {
      const r = outRank();
      const ra = shapeOf(n.inputs[0], n).length;
      const rb = shapeOf(n.inputs[1], n).length;
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
      oa = at as number;
    } else if (op === 'Gemm') {
      if (only0() !== 0 || intAttr(n, 'transA', 0)) fail(label, 'Gemm: the batch must be the rows of A');
      oa = 0;
    } else if (op === 'Tile') {
      const bi = only0();
      const reps = constantInts(n.inputs[1]);
      if (!reps || reps[bi] !== 1) fail(label, 'Tile repeats the batch axis (or its repeats are not constant)');
      oa = bi;
    } else if (op === 'Pad') {
      const bi = only0();
      const r = shapeOf(n.inputs[0], n).length;
      const pads = opset >= 11 ? constantInts(n.inputs[1]) : intsAttr(n, 'pads');
      if (!pads || pads[bi] !== 0 || pads[bi + r] !== 0 || n.inputs[3]) fail(label, 'Pad pads the batch axis (or its pads are not constant)');
      oa = bi;
    } else if (op === 'Split' || op === 'TopK' || op === 'CumSum') {
      const bi = only0();
      const r = shapeOf(n.inputs[0], n).length;
      const a = op === 'CumSum' ? norm((constantInts(n.inputs[1]) ?? [bi])[0] as number, r) : norm(intAttr(n, 'axis', op === 'TopK' ? -1 : 0), r);
      if (a === bi) fail(label, `${op} along the batch axis would mix the samples`);
      oa = bi;
    } else if (op === 'Flatten') {
      const bi = only0();
      const s = shapeOf(n.inputs[0], n);
      const a = norm(intAttr(n, 'axis', 1), s.length);
      const outer = bi < a ? s.slice(0, bi) : s.slice(a, bi);
      if (outer.some((d) => d !== 1)) fail(label, 'Flatten: the batch would not be the outer factor of its merged axis');
      oa = bi < a ? 0 : 1;
    } else fail(label, `op ${op}: cannot tell how it carries the batch`);
    if (oa < 0) fail(label, `${op}: lost track of the batch axis`);
    for (const o of n.outputs) if (o) axis.set(o, oa);
  }
  ins.apply();

  /** Reshape: the group of input dims holding the batch maps onto a group of output dims (equal products). */
  function reshape(n: Node, bi: number): number {
    const label = n.name || n.opType;
    const t = constantInts(n.inputs[1]);
    if (!t) fail(label, 'Reshape target is not constant: cannot follow the batch');
    const so = shapeOf(n.inputs[0], n);
    const out = shapeOf(n.outputs[0], n);
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
        n.inputs[1] = newConst(`${n.name}_shape_batch${N}`, t.map((d, k) => (k === oa ? d * N : d)));
        bump(report, 'rewritten.Reshape');
      }
      return oa;
    }
    return fail(label, 'Reshape: batch axis not found');
  }

  // Declared shapes: batched values get N× at their axis; every output must carry the batch.
  for (const o of g.outputs) {
    const a = axis.get(o);
    if (a === undefined) fail(o.producer?.name, `graph output '${o.name}' does not carry the batch`);
  }
  for (const [v, a] of axis) {
    if (chosen.includes(v)) continue;
    const s = v.tensorType?.shape;
    if (s && v.type?.kind === 'tensor') {
      const d = s[a];
      v.type = { ...v.type, shape: s.map((x, k) => (k === a ? (typeof d === 'number' ? d * N : undefined) : x)) };
    }
  }
  report.stats.batch = N;
  report.details = { inputs: chosen.map((v) => v.name), outputs: Object.fromEntries(g.outputs.map((v) => [v.name, v.tensorType?.shape ?? null])) };
  recordPass(m, BATCH_NAME, { size: N, inputs: chosen.map((v) => v.name) });
  verifyModel(m, `pass ${BATCH_NAME}`);
  return { model: m, report };
}

/** The batch pass (see module docs). Pure. */
export function batch(model: Model, options: BatchOptions): Model {
  return batchWithReport(model, options).model;
}

/** The batch size a model was made for (its `batch` record), 1 when it has none. */
export function readBatchSize(model: Pick<Model, 'metadataProps'>): number {
  const prop = model.metadataProps.find((e) => e.key === 'workbench.passes');
  if (!prop) return 1;
  try {
    const list = JSON.parse(prop.value) as { pass: string; options: { size?: number } }[];
    return list.filter((r) => r.pass === BATCH_NAME).reduce((acc, r) => acc * (r.options.size ?? 1), 1);
  } catch {
    return 1;
  }
}
