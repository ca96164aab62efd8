/**
 * Data-movement and shape ops: Shape, Size, Reshape, Flatten, Transpose, Concat, Split, Slice, Gather,
 * GatherElements, ScatterND, Expand, Tile, Squeeze, Unsqueeze, ConstantOfShape, Constant, Range, Pad,
 * DepthToSpace, SpaceToDepth, NonZero. Values of small tensors are carried through (shape arithmetic).
 */
import { DataType } from '../dtype.js';
import { readNumbers } from '../tensor.js';
import type { Dim, Tensor } from '../types.js';
import { facts, MAX_FOLD_ELEMENTS, Unknown, type OpContext, type OpInferFn } from './context.js';
import { addDims, broadcastShapes, divDims, isNum, knownDims, mulDims, normAxis, productDims, subDims } from './dims.js';

/** Values of a small, materialized numeric tensor, else undefined. */
export function tensorValues(t: Tensor): number[] | undefined {
  if (t.placeholder || (t.storage === 'external' && t.data.length === 0)) return undefined;
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (n > MAX_FOLD_ELEMENTS || t.dataType === DataType.STRING) return undefined;
  try {
    return readNumbers(t);
  } catch {
    return undefined;
  }
}

const shapeOp: OpInferFn = (ctx) => {
  const s = ctx.shape(0);
  if (!s) return [facts(DataType.INT64, [undefined])];
  const r = s.length;
  const clamp = (a: number): number => Math.min(r, Math.max(0, a < 0 ? a + r : a));
  const start = clamp(ctx.int('start', 0));
  const end = clamp(ctx.int('end', r));
  const dims = s.slice(start, Math.max(start, end));
  return [facts(DataType.INT64, [dims.length], dims)];
};

const sizeOp: OpInferFn = (ctx) => {
  const s = ctx.shape(0);
  const p = s ? productDims(s) : undefined;
  return [facts(DataType.INT64, [], p === undefined ? undefined : [p])];
};

/** Reshape target → output dims (0 copies the input dim unless allowzero, -1 is inferred). */
export function reshapeDims(ctx: OpContext, input: Dim[] | undefined, target: Dim[], allowzero: boolean): Dim[] {
  const out: Dim[] = target.map((t, i) => (t === 0 && !allowzero ? input?.[i] : t));
  const neg = out.indexOf(-1);
  if (out.filter((d) => d === -1).length > 1) ctx.fail('more than one -1 in the target shape');
  if (neg >= 0) {
    const rest = out.filter((_, i) => i !== neg);
    out[neg] = input ? divDims(productDims(input), productDims(rest)) : undefined;
    if (input && knownDims(input) && knownDims(rest) && out[neg] === undefined) ctx.fail(`cannot reshape [${input.join(',')}] to [${target.join(',')}]`);
  }
  return out;
}

const reshape: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  let target: Dim[] | undefined;
  if (ctx.opset < 5) target = ctx.ints('shape');
  else target = ctx.input(1).value;
  if (!target) {
    const ts = ctx.shape(1);
    return [facts(x.elemType, ts && isNum(ts[0]) ? new Array<Dim>(ts[0]).fill(undefined) : undefined)];
  }
  const shape = reshapeDims(ctx, x.shape, target, ctx.int('allowzero', 0) === 1);
  return [facts(x.elemType, shape, x.value)];
};

const flatten: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const s = ctx.needShape(0);
  const axis = ctx.int('axis', 1);
  const a = axis < 0 ? axis + s.length : axis;
  return [facts(x.elemType, [productDims(s.slice(0, a)), productDims(s.slice(a))], x.value)];
};

const transpose: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const s = ctx.needShape(0);
  const perm = ctx.ints('perm') ?? s.map((_, i) => s.length - 1 - i);
  if (perm.length !== s.length) ctx.fail(`perm has ${perm.length} entries for rank ${s.length}`);
  let value: Dim[] | undefined;
  if (s.length <= 1) value = x.value;
  return [
    facts(
      x.elemType,
      perm.map((p) => s[p]),
      value,
    ),
  ];
};

const concat: OpInferFn = (ctx) => {
  const ins = ctx.node.inputs.map((_, i) => ctx.input(i)).filter((_, i) => ctx.has(i));
  const elemType = ins.find((f) => f.elemType !== undefined)?.elemType;
  const shapes = ins.map((f) => f.shape);
  const known = shapes.filter((s): s is Dim[] => s !== undefined);
  const first = known[0];
  if (!first) return [facts(elemType, undefined)];
  const axis = normAxis(ctx.int('axis', 0), first.length);
  const out: Dim[] = first.map((_, d) => {
    if (d === axis) return shapes.every((s) => s) ? known.reduce<Dim>((acc, s) => addDims(acc, s[d]), 0) : undefined;
    for (const s of known) if (isNum(s[d])) return s[d];
    return first[d];
  });
  let value: Dim[] | undefined;
  if (first.length === 1 && ins.every((f) => f.value)) value = ins.flatMap((f) => f.value ?? []);
  return [facts(elemType, out, value)];
};

const split: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const s = ctx.needShape(0);
  const axis = normAxis(ctx.int('axis', 0), s.length);
  const n = ctx.node.outputs.length;
  let sizes: Dim[] | undefined = ctx.opset >= 13 ? (ctx.has(1) ? ctx.input(1).value : undefined) : ctx.ints('split');
  if (ctx.opset >= 13 && ctx.has(1) && !sizes) throw new Unknown();
  const dim = s[axis];
  if (!sizes) {
    if (isNum(dim)) {
      // Opset 18 allows an uneven split: every chunk ceil(dim/n), the last one smaller.
      const chunk = Math.ceil(dim / n);
      sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
    } else sizes = new Array<Dim>(n).fill(divDims(dim, n));
  }
  let offset = 0;
  return sizes.map((size) => {
    const shape = s.map((d, i) => (i === axis ? size : d));
    let value: Dim[] | undefined;
    if (s.length === 1 && x.value && isNum(size)) value = x.value.slice(offset, offset + size);
    offset += isNum(size) ? size : NaN;
    return facts(x.elemType, shape, value);
  });
};

/** A Slice's [start, end) on one axis of known length, negative indices resolved and clamped as ONNX does. */
function sliceBounds(dim: number, start: number, end: number, step: number): [number, number] {
  const s = start < 0 ? start + dim : start;
  const e = end < 0 ? end + dim : end;
  return step > 0 ? [Math.min(Math.max(s, 0), dim), Math.min(Math.max(e, 0), dim)] : [Math.min(Math.max(s, 0), dim - 1), Math.min(Math.max(e, -1), dim - 1)];
}

/** Indices selected by a Slice along one axis of known length. */
function sliceIndices(dim: number, start: number, end: number, step: number): number[] {
  const [s, e] = sliceBounds(dim, start, end, step);
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

function sliceCount(dim: number, start: number, end: number, step: number): number {
  const [s, e] = sliceBounds(dim, start, end, step);
  return Math.max(0, Math.ceil((e - s) / step));
}

const BIG = 2 ** 31 - 1;

const slice: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const s = ctx.needShape(0);
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (ctx.opset < 10) {
    starts = ctx.ints('starts') ?? ctx.fail('missing starts');
    ends = ctx.ints('ends') ?? ctx.fail('missing ends');
    axes = ctx.ints('axes');
  } else {
    starts = ctx.needNumbers(1);
    ends = ctx.needNumbers(2);
    axes = ctx.has(3) ? ctx.needNumbers(3) : undefined;
    steps = ctx.has(4) ? ctx.needNumbers(4) : undefined;
  }
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, s.length));
  const out = [...s];
  ax.forEach((a, i) => {
    const start = starts[i] ?? 0;
    const end = ends[i] ?? BIG;
    const step = steps?.[i] ?? 1;
    if (step === 0) ctx.fail('slice step is 0');
    const d = s[a];
    if (isNum(d)) out[a] = sliceCount(d, start, end, step);
    else if (step === 1 && start >= 0 && end >= BIG) out[a] = subDims(d, start);
    else if (step === 1 && start < 0 && end >= BIG)
      out[a] = -start; // the last |start| elements (dim ≥ |start|)
    else out[a] = undefined;
  });
  let value: Dim[] | undefined;
  const d0 = s[0];
  if (s.length === 1 && x.value && isNum(d0)) {
    const i = ax.indexOf(0);
    value = i < 0 ? x.value : sliceIndices(d0, starts[i] ?? 0, ends[i] ?? BIG, steps?.[i] ?? 1).map((k) => x.value?.[k]);
  }
  return [facts(x.elemType, out, value)];
};

const gather: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const s = ctx.needShape(0);
  const idx = ctx.shape(1);
  const axis = normAxis(ctx.int('axis', 0), s.length);
  if (!idx) return [facts(x.elemType, undefined)];
  const shape = [...s.slice(0, axis), ...idx, ...s.slice(axis + 1)];
  let value: Dim[] | undefined;
  const ks = knownDims(s);
  const iv = ctx.numbers(1);
  if (ks && iv && x.value) {
    const len = ks[axis] as number;
    const outer = ks.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = ks.slice(axis + 1).reduce((a, b) => a * b, 1);
    value = [];
    for (let o = 0; o < outer; o++) for (const i of iv) for (let k = 0; k < inner; k++) value.push(x.value[(o * len + (i < 0 ? i + len : i)) * inner + k]);
  }
  return [facts(x.elemType, shape, value)];
};

const expand: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const target = ctx.input(1).value;
  const s = ctx.shape(0);
  if (!target || !s) {
    const ts = ctx.shape(1);
    const r = ts && isNum(ts[0]) && s ? Math.max(ts[0], s.length) : undefined;
    return [facts(x.elemType, r === undefined ? undefined : new Array<Dim>(r).fill(undefined))];
  }
  // Expand's target dims of 1 keep the input dim; a symbolic target dim against a known input dim > 1 is that dim.
  return [facts(x.elemType, broadcastShapes([s, target]))];
};

const tile: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const s = ctx.needShape(0);
  const reps = ctx.input(1).value;
  if (!reps)
    return [
      facts(
        x.elemType,
        s.map(() => undefined),
      ),
    ];
  return [
    facts(
      x.elemType,
      s.map((d, i) => mulDims(d, reps[i])),
    ),
  ];
};

function axesOf(ctx: OpContext, attrBefore: number): number[] | undefined {
  if (ctx.opset < attrBefore) return ctx.ints('axes');
  return ctx.has(1) ? ctx.needNumbers(1) : undefined;
}

const squeeze: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const s = ctx.needShape(0);
  const axes = axesOf(ctx, 13);
  let out: Dim[];
  if (axes) {
    const drop = new Set(axes.map((a) => normAxis(a, s.length)));
    out = s.filter((_, i) => !drop.has(i));
  } else {
    // Without axes every dim of 1 goes: the rank is unknown unless all dims are known.
    if (!knownDims(s)) return [facts(x.elemType, undefined)];
    out = s.filter((d) => d !== 1);
  }
  return [facts(x.elemType, out, x.value)];
};

const unsqueeze: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const s = ctx.needShape(0);
  const axes = axesOf(ctx, 13) ?? ctx.fail('missing axes');
  const rank = s.length + axes.length;
  const ins = new Set(axes.map((a) => normAxis(a, rank)));
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(ins.has(i) ? 1 : s[j++]);
  return [facts(x.elemType, out, x.value)];
};

const constantOfShape: OpInferFn = (ctx) => {
  const t = ctx.tensor('value');
  const elemType = t?.dataType ?? DataType.FLOAT;
  const shape = ctx.input(0).value;
  if (!shape) {
    const ts = ctx.shape(0);
    return [facts(elemType, ts && isNum(ts[0]) ? new Array<Dim>(ts[0]).fill(undefined) : undefined)];
  }
  const fill = t ? tensorValues(t)?.[0] : 0;
  const n = knownDims(shape)?.reduce((a, b) => a * b, 1);
  const value = n !== undefined && n <= MAX_FOLD_ELEMENTS && fill !== undefined ? new Array<Dim>(n).fill(fill) : undefined;
  return [facts(elemType, shape, value)];
};

const constant: OpInferFn = (ctx) => {
  const t = ctx.tensor('value');
  if (t) return [facts(t.dataType, [...t.dims], tensorValues(t))];
  const i = ctx.node.attr('value_int');
  if (i?.type === 'int') return [facts(DataType.INT64, [], [Number(i.value)])];
  const is = ctx.ints('value_ints');
  if (is) return [facts(DataType.INT64, [is.length], is.length <= MAX_FOLD_ELEMENTS ? is : undefined)];
  const fl = ctx.node.attr('value_float');
  if (fl?.type === 'float') return [facts(DataType.FLOAT, [], [fl.value])];
  const fls = ctx.floats('value_floats');
  if (fls) return [facts(DataType.FLOAT, [fls.length], fls.length <= MAX_FOLD_ELEMENTS ? fls : undefined)];
  const sp = ctx.node.attr('sparse_value');
  if (sp?.type === 'sparse_tensor') return [facts(sp.value.values.dataType, [...sp.value.dims])];
  return [undefined];
};

const range: OpInferFn = (ctx) => {
  const elemType = ctx.type(0);
  const [start] = ctx.numbers(0) ?? [];
  const [limit] = ctx.numbers(1) ?? [];
  const [delta] = ctx.numbers(2) ?? [];
  if (start === undefined || limit === undefined || delta === undefined) return [facts(elemType, [undefined])];
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  const value = n <= MAX_FOLD_ELEMENTS ? Array.from({ length: n }, (_, i) => start + i * delta) : undefined;
  return [facts(elemType, [n], value)];
};

const pad: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const s = ctx.needShape(0);
  const pads = ctx.opset < 11 ? (ctx.ints('pads') ?? ctx.ints('paddings')) : ctx.numbers(1);
  if (!pads)
    return [
      facts(
        x.elemType,
        s.map(() => undefined),
      ),
    ];
  const axes = ctx.opset >= 18 && ctx.has(3) ? ctx.needNumbers(3).map((a) => normAxis(a, s.length)) : s.map((_, i) => i);
  const out = [...s];
  axes.forEach((a, i) => {
    out[a] = addDims(s[a], (pads[i] ?? 0) + (pads[i + axes.length] ?? 0));
  });
  return [facts(x.elemType, out)];
};

const depthToSpace: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const [n, c, h, w] = ctx.needShape(0);
  const b = ctx.int('blocksize') ?? ctx.fail('missing blocksize');
  if (ctx.node.opType === 'DepthToSpace') return [facts(x.elemType, [n, divDims(c, b * b), mulDims(h, b), mulDims(w, b)])];
  return [facts(x.elemType, [n, mulDims(c, b * b), divDims(h, b), divDims(w, b)])];
};

const nonZero: OpInferFn = (ctx) => {
  const s = ctx.shape(0);
  return [facts(DataType.INT64, [s ? s.length : undefined, undefined])];
};

const gatherElements: OpInferFn = (ctx) => [facts(ctx.type(0), ctx.shape(1))];
const sameAsData: OpInferFn = (ctx) => [facts(ctx.type(0), ctx.shape(0))];

export function registerShapeOps(reg: (op: string, fn: OpInferFn, domain?: string) => void): void {
  reg('Shape', shapeOp);
  reg('Size', sizeOp);
  reg('Reshape', reshape);
  reg('Flatten', flatten);
  reg('Transpose', transpose);
  reg('Concat', concat);
  reg('Split', split);
  reg('Slice', slice);
  reg('Gather', gather);
  reg('GatherElements', gatherElements);
  reg('ScatterND', sameAsData);
  reg('ScatterElements', sameAsData);
  reg('Scatter', sameAsData);
  reg('Expand', expand);
  reg('Tile', tile);
  reg('Squeeze', squeeze);
  reg('Unsqueeze', unsqueeze);
  reg('ConstantOfShape', constantOfShape);
  reg('Constant', constant);
  reg('Range', range);
  reg('Pad', pad);
  reg('DepthToSpace', depthToSpace);
  reg('SpaceToDepth', depthToSpace);
  reg('NonZero', nonZero);
}
