/**
 * Elementwise ops: unary (same type and shape), numpy-broadcasting binary / variadic ops, comparisons,
 * Where, Cast/CastLike, Clip, Dropout. Small integer tensors are folded so shape arithmetic stays known.
 */
import { DataType, isFloatType } from '../dtype.js';
import type { Dim } from '../types.js';
import { facts, MAX_FOLD_ELEMENTS, type OpInferFn, type ValueFacts } from './context.js';
import { addDims, broadcastShapes, divDims, knownDims, mulDims, subDims } from './dims.js';

type Fold = (xs: Dim[], float: boolean) => Dim;

/** Broadcast-folds input values when every input's shape and values are known. */
export function foldBroadcast(inputs: readonly ValueFacts[], outShape: Dim[], fn: Fold, float: boolean): Dim[] | undefined {
  const out = knownDims(outShape);
  if (!out) return undefined;
  const count = out.reduce((a, b) => a * b, 1);
  if (count > MAX_FOLD_ELEMENTS) return undefined;
  const shapes: number[][] = [];
  for (const f of inputs) {
    const s = knownDims(f.shape);
    if (!s || !f.value) return undefined;
    shapes.push(s);
  }
  const result: Dim[] = [];
  for (let flat = 0; flat < count; flat++) {
    // Index of each input for this output position (right-aligned, size-1 dims repeat).
    const xs: Dim[] = inputs.map((f, k) => {
      const s = shapes[k] as number[];
      let idx = 0;
      let rem = flat;
      let stride = 1;
      for (let d = out.length - 1; d >= 0; d--) {
        const od = out[d] as number;
        const coord = rem % od;
        rem = Math.floor(rem / od);
        const j = s.length - out.length + d;
        if (j < 0) continue;
        const sd = s[j] as number;
        idx += (sd === 1 ? 0 : coord) * stride;
        stride *= sd;
      }
      return f.value?.[idx];
    });
    result.push(fn(xs, float));
  }
  return result;
}

const num = (x: Dim): x is number => typeof x === 'number';

const FOLDS: Record<string, Fold> = {
  Add: ([a, b]) => addDims(a, b),
  Sub: ([a, b]) => subDims(a, b),
  Mul: ([a, b]) => (num(a) && num(b) ? a * b : mulDims(a, b)),
  Div: ([a, b], float) => {
    if (num(a) && num(b)) return float ? a / b : b === 0 ? undefined : Math.trunc(a / b);
    return float ? undefined : divDims(a, b);
  },
  Mod: ([a, b]) => (num(a) && num(b) && b !== 0 ? a - Math.floor(a / b) * b : undefined),
  Max: (xs) => (xs.every(num) ? Math.max(...xs) : undefined),
  Min: (xs) => (xs.every(num) ? Math.min(...xs) : undefined),
  Pow: ([a, b]) => (num(a) && num(b) ? a ** b : undefined),
  Equal: ([a, b]) => (num(a) && num(b) ? Number(a === b) : a !== undefined && a === b ? 1 : undefined),
  Less: ([a, b]) => (num(a) && num(b) ? Number(a < b) : undefined),
  Greater: ([a, b]) => (num(a) && num(b) ? Number(a > b) : undefined),
  LessOrEqual: ([a, b]) => (num(a) && num(b) ? Number(a <= b) : undefined),
  GreaterOrEqual: ([a, b]) => (num(a) && num(b) ? Number(a >= b) : undefined),
  And: ([a, b]) => (num(a) && num(b) ? Number(Boolean(a) && Boolean(b)) : undefined),
  Or: ([a, b]) => (num(a) && num(b) ? Number(Boolean(a) || Boolean(b)) : undefined),
  Xor: ([a, b]) => (num(a) && num(b) ? Number(Boolean(a) !== Boolean(b)) : undefined),
  Where: ([c, a, b]) => (num(c) ? (c ? a : b) : a !== undefined && a === b ? a : undefined),
  Sum: (xs) => xs.reduce<Dim>((a, b) => addDims(a, b), 0),
};

const UNARY_FOLDS: Record<string, (x: number) => number> = {
  Neg: (x) => -x,
  Abs: Math.abs,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r; // round half to even
  },
  Sqrt: Math.sqrt,
  Reciprocal: (x) => 1 / x,
  Not: (x) => Number(!x),
  Sign: Math.sign,
  Relu: (x) => Math.max(0, x),
};

const BOOL_OUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor']);

/** Same type and shape as input 0 (folds a few ops on known values). */
export const unary: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const fold = UNARY_FOLDS[ctx.node.opType];
  let value: Dim[] | undefined;
  if (ctx.node.opType === 'Identity') value = x.value;
  else if (fold && x.value && x.value.every(num)) value = (x.value as number[]).map(fold);
  return [facts(ctx.node.opType === 'Not' ? DataType.BOOL : x.elemType, x.shape, value)];
};

/** Broadcasting ops with any number of inputs (binary arithmetic, comparisons, Max/Min/Sum/Mean, Where). */
export const broadcast: OpInferFn = (ctx) => {
  const op = ctx.node.opType;
  const ins = ctx.node.inputs.map((_, i) => ctx.input(i));
  const shapes = ins.map((f) => f.shape);
  const elemType = BOOL_OUT.has(op) ? DataType.BOOL : op === 'Where' ? ins[1]?.elemType : ins[0]?.elemType;
  if (shapes.some((s) => s === undefined)) return [facts(elemType, undefined)];
  let shape: Dim[];
  try {
    shape = broadcastShapes(shapes as Dim[][]);
  } catch (e) {
    return ctx.fail((e as Error).message);
  }
  const fold = FOLDS[op];
  const float = isFloatType(op === 'Where' ? (ins[1]?.elemType ?? 0) : (ins[0]?.elemType ?? 0));
  const value = fold ? foldBroadcast(ins, shape, fold, float) : undefined;
  return [facts(elemType, shape, value)];
};

export const cast: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const to = ctx.node.opType === 'CastLike' ? ctx.type(1) : ctx.int('to');
  let value = x.value;
  // Float → integer casts truncate; integer values stay as they are.
  if (value && to !== undefined && !isFloatType(to)) value = value.map((v) => (typeof v === 'number' ? Math.trunc(v) : v));
  if (to === DataType.BOOL && value) value = value.map((v) => (typeof v === 'number' ? Number(v !== 0) : undefined));
  return [facts(to, x.shape, value)];
};

export const dropout: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  return [facts(x.elemType, x.shape, x.value), facts(DataType.BOOL, x.shape)];
};

/** Op types handled by `unary`. */
export const UNARY_OPS = [
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Gelu',
  'Erf',
  'Softplus',
  'Softsign',
  'Mish',
  'Elu',
  'Selu',
  'Celu',
  'HardSigmoid',
  'HardSwish',
  'Exp',
  'Log',
  'Sqrt',
  'Reciprocal',
  'Neg',
  'Abs',
  'Sin',
  'Cos',
  'Tan',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Clip',
  'Softmax',
  'LogSoftmax',
  'Hardmax',
  'Identity',
  'Not',
  'CumSum',
  'Trilu',
  'PRelu',
  'ThresholdedRelu',
  'IsNaN',
  'IsInf',
  'BitwiseNot',
  'Shrink',
  'LpNormalization',
  'MeanVarianceNormalization',
] as const;

/** Op types handled by `broadcast`. */
export const BROADCAST_OPS = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Max',
  'Min',
  'Mod',
  'Pow',
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'And',
  'Or',
  'Xor',
  'Where',
  'Sum',
  'Mean',
  'BitShift',
  'BitwiseAnd',
  'BitwiseOr',
  'BitwiseXor',
] as const;

export function registerElementwise(reg: (op: string, fn: OpInferFn, domain?: string) => void): void {
  for (const op of UNARY_OPS) reg(op, unary);
  for (const op of BROADCAST_OPS) reg(op, broadcast);
  reg('Cast', cast);
  reg('CastLike', cast);
  reg('Dropout', dropout);
  for (const op of ['Gelu', 'QuickGelu', 'FastGelu', 'BiasGelu']) reg(op, op === 'BiasGelu' ? broadcast : unary, 'com.microsoft');
}
