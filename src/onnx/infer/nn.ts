/**
 * Convolutions (Conv, ConvTranspose, ConvInteger, QLinearConv), pooling and normalizations.
 */
import { DataType } from '../dtype.js';
import type { Dim } from '../types.js';
import { facts, type OpContext, type OpInferFn } from './context.js';
import { isNum, mulDims } from './dims.js';

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin..., end...] */
  pads: number[];
  autoPad: string;
}

function windowAttrs(ctx: OpContext, spatial: number, kernelFromWeight: Dim[] | undefined): Window {
  const kernel = ctx.ints('kernel_shape') ?? kernelFromWeight?.map((d) => (isNum(d) ? d : NaN));
  if (!kernel || kernel.length !== spatial || kernel.some((k) => Number.isNaN(k))) return ctx.fail('kernel shape is unknown');
  return {
    kernel,
    strides: ctx.ints('strides') ?? new Array<number>(spatial).fill(1),
    dilations: ctx.ints('dilations') ?? new Array<number>(spatial).fill(1),
    pads: ctx.ints('pads') ?? new Array<number>(2 * spatial).fill(0),
    autoPad: ctx.str('auto_pad', 'NOTSET'),
  };
}

/** Output length of a sliding window over one spatial dim (Conv, pools). */
function windowOut(d: Dim, w: Window, i: number, ceilMode: boolean): Dim {
  const k = ((w.kernel[i] as number) - 1) * (w.dilations[i] ?? 1) + 1;
  const s = w.strides[i] ?? 1;
  const pad = (w.pads[i] ?? 0) + (w.pads[i + w.kernel.length] ?? 0);
  if (!isNum(d)) {
    // A symbolic size survives a stride-1 window that pads back to the same size.
    if (s === 1 && (w.autoPad.startsWith('SAME') || (w.autoPad === 'NOTSET' && pad === k - 1))) return d;
    return undefined;
  }
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return Math.ceil(d / s);
  if (w.autoPad === 'VALID') return Math.floor((d - k) / s) + 1;
  if (!ceilMode) return Math.floor((d + pad - k) / s) + 1;
  let out = Math.ceil((d + pad - k) / s) + 1;
  // The last window must start inside the input or its left padding.
  if ((out - 1) * s >= d + (w.pads[i] ?? 0)) out--;
  return out;
}

function convLike(ctx: OpContext, xi: number, wi: number): Dim[] | undefined {
  const x = ctx.shape(xi);
  const wt = ctx.shape(wi);
  if (!x) return undefined;
  const spatial = x.length - 2;
  const w = windowAttrs(ctx, spatial, wt?.slice(2));
  return [x[0], wt?.[0], ...x.slice(2).map((d, i) => windowOut(d, w, i, false))];
}

const conv: OpInferFn = (ctx) => [facts(ctx.type(0), convLike(ctx, 0, 1))];
const convInteger: OpInferFn = (ctx) => [facts(DataType.INT32, convLike(ctx, 0, 1))];
const qlinearConv: OpInferFn = (ctx) => [facts(ctx.type(7) ?? ctx.type(0), convLike(ctx, 0, 3))];

const convTranspose: OpInferFn = (ctx) => {
  const x = ctx.needShape(0);
  const wt = ctx.shape(1);
  const spatial = x.length - 2;
  const group = ctx.int('group', 1);
  const w = windowAttrs(ctx, spatial, wt?.slice(2));
  const outPad = ctx.ints('output_padding') ?? new Array<number>(spatial).fill(0);
  const outputShape = ctx.ints('output_shape');
  const channels = mulDims(wt?.[1], group);
  const dims = x.slice(2).map((d, i): Dim => {
    if (outputShape) return outputShape[outputShape.length - spatial + i];
    if (!isNum(d)) return undefined;
    const s = w.strides[i] ?? 1;
    if (w.autoPad.startsWith('SAME')) return d * s;
    const k = ((w.kernel[i] as number) - 1) * (w.dilations[i] ?? 1) + 1;
    const pad = w.autoPad === 'VALID' ? 0 : (w.pads[i] ?? 0) + (w.pads[i + spatial] ?? 0);
    return s * (d - 1) + (outPad[i] ?? 0) + k - pad;
  });
  return [facts(ctx.type(0), [x[0], channels, ...dims])];
};

const pool: OpInferFn = (ctx) => {
  const x = ctx.needShape(0);
  const w = windowAttrs(ctx, x.length - 2, undefined);
  const shape = [x[0], x[1], ...x.slice(2).map((d, i) => windowOut(d, w, i, ctx.int('ceil_mode', 0) === 1))];
  return [facts(ctx.type(0), shape), facts(DataType.INT64, shape)];
};

const globalPool: OpInferFn = (ctx) => {
  const x = ctx.needShape(0);
  return [facts(ctx.type(0), [x[0], x[1], ...x.slice(2).map(() => 1)])];
};

const sameAsInput: OpInferFn = (ctx) => [facts(ctx.type(0), ctx.shape(0))];

const batchNorm: OpInferFn = (ctx) => {
  const x = ctx.shape(0);
  const c: Dim[] = [x?.[1]];
  // Training-mode outputs: running mean / var (opset ≥ 14), or saved mean / var before.
  return [facts(ctx.type(0), x), facts(ctx.type(3), c), facts(ctx.type(4), c), facts(ctx.type(3), c), facts(ctx.type(4), c)];
};

/** LayerNormalization: Y like X; Mean / InvStdDev keep the leading dims and 1 from `axis` on. */
const layerNorm: OpInferFn = (ctx) => {
  const x = ctx.shape(0);
  const axis = ctx.int('axis', -1);
  const stash = ctx.int('stash_type', DataType.FLOAT);
  const stat = x ? x.map((d, i) => (i < (axis < 0 ? axis + x.length : axis) ? d : 1)) : undefined;
  return [facts(ctx.type(0), x), facts(stash, stat), facts(stash, stat)];
};

/** com.microsoft SkipLayerNormalization: output, mean, inv_std_var, input_skip_bias_sum. */
const skipLayerNorm: OpInferFn = (ctx) => {
  const x = ctx.shape(0);
  const stat = x ? x.map((d, i) => (i < x.length - 1 ? d : 1)) : undefined;
  return [facts(ctx.type(0), x), facts(DataType.FLOAT, stat), facts(DataType.FLOAT, stat), facts(ctx.type(0), x)];
};

export function registerNn(reg: (op: string, fn: OpInferFn, domain?: string) => void): void {
  reg('Conv', conv);
  reg('ConvInteger', convInteger);
  reg('QLinearConv', qlinearConv);
  reg('ConvTranspose', convTranspose);
  for (const op of ['AveragePool', 'MaxPool', 'LpPool']) reg(op, pool);
  for (const op of ['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool']) reg(op, globalPool);
  reg('BatchNormalization', batchNorm);
  reg('InstanceNormalization', sameAsInput);
  reg('GroupNormalization', sameAsInput);
  reg('LayerNormalization', layerNorm);
  reg('LayerNormalization', layerNorm, 'com.microsoft');
  reg('SimplifiedLayerNormalization', layerNorm);
  reg('SkipLayerNormalization', skipLayerNorm, 'com.microsoft');
  reg('SkipSimplifiedLayerNormalization', skipLayerNorm, 'com.microsoft');
  reg('LRN', sameAsInput);
}
