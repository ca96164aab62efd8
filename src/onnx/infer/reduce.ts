/**
 * Reductions (ReduceMean/Sum/Max/Min/Prod/L1/L2/SumSquare/LogSum/LogSumExp), ArgMax/ArgMin and TopK.
 * Axes are an attribute before opset 18 (ReduceSum: before 13) and an input from then on.
 */
import { DataType } from '../dtype.js';
import type { Dim } from '../types.js';
import { facts, type OpContext, type OpInferFn } from './context.js';
import { isNum, mulDims, normAxis, addDims } from './dims.js';

/** Opset from which a reduction takes its axes as input 1. */
function axesInputSince(op: string): number {
  return op === 'ReduceSum' ? 13 : 18;
}

function reducedShape(s: Dim[], axes: number[] | undefined, keep: boolean, noopEmpty: boolean): Dim[] {
  if (!axes || axes.length === 0) {
    if (noopEmpty) return [...s];
    return keep ? s.map(() => 1) : [];
  }
  const set = new Set(axes.map((a) => normAxis(a, s.length)));
  const out: Dim[] = [];
  s.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

const reduce: OpInferFn = (ctx: OpContext) => {
  const x = ctx.input(0);
  const s = ctx.needShape(0);
  const op = ctx.node.opType;
  const keep = ctx.int('keepdims', 1) === 1;
  let axes: number[] | undefined;
  let noopEmpty = false;
  if (ctx.opset >= axesInputSince(op)) {
    noopEmpty = ctx.int('noop_with_empty_axes', 0) === 1;
    if (ctx.has(1) && !ctx.isEmpty(1)) {
      const a = ctx.numbers(1);
      if (!a) return [facts(x.elemType, keep ? s.map(() => undefined) : undefined)];
      axes = a;
    }
  } else axes = ctx.ints('axes');
  const shape = reducedShape(s, axes, keep, noopEmpty);
  let value: Dim[] | undefined;
  // Folds a full reduction of a 1-D tensor (ReduceProd of a shape = element count).
  if (x.value && s.length === 1 && shape.length <= 1 && (!axes || axes.length > 0)) {
    if (op === 'ReduceProd') value = [x.value.reduce<Dim>((a, b) => mulDims(a, b), 1)];
    else if (op === 'ReduceSum') value = [x.value.reduce<Dim>((a, b) => addDims(a, b), 0)];
    else if ((op === 'ReduceMax' || op === 'ReduceMin') && x.value.every(isNum)) value = [(op === 'ReduceMax' ? Math.max : Math.min)(...(x.value as number[]))];
  }
  return [facts(x.elemType, shape, value)];
};

const argReduce: OpInferFn = (ctx) => {
  const s = ctx.needShape(0);
  const axis = normAxis(ctx.int('axis', 0), s.length);
  return [facts(DataType.INT64, reducedShape(s, [axis], ctx.int('keepdims', 1) === 1, false))];
};

const topK: OpInferFn = (ctx) => {
  const x = ctx.input(0);
  const s = ctx.needShape(0);
  const axis = normAxis(ctx.int('axis', -1), s.length);
  const k: Dim = ctx.opset >= 10 ? ctx.input(1).value?.[0] : ctx.int('k');
  const shape = s.map((d, i) => (i === axis ? k : d));
  return [facts(x.elemType, shape), facts(DataType.INT64, shape)];
};

export const REDUCE_OPS = [
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceSumSquare',
  'ReduceLogSum',
  'ReduceLogSumExp',
] as const;

export function registerReduce(reg: (op: string, fn: OpInferFn, domain?: string) => void): void {
  for (const op of REDUCE_OPS) reg(op, reduce);
  reg('ArgMax', argReduce);
  reg('ArgMin', argReduce);
  reg('TopK', topK);
}
