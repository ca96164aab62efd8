/**
 * Resampling: Resize (scales or sizes; opset 10 / 11–13 / 18 forms), Upsample, GridSample (4-D and 5-D,
 * default domain and com.microsoft).
 */
import type { Dim } from '../types.js';
import { facts, type OpContext, type OpInferFn } from './context.js';
import { isNum, normAxis } from './dims.js';

/** ORT computes the output size in float32: trunc(float(in) × float(scale)). */
export function scaledDim(d: Dim, scale: number): Dim {
  if (scale === 1) return d;
  if (!isNum(d)) return undefined;
  return Math.trunc(Math.fround(Math.fround(d) * Math.fround(scale)));
}

function applyScales(x: Dim[], scales: number[], axes: number[]): Dim[] {
  const out = [...x];
  axes.forEach((a, i) => {
    out[a] = scaledDim(x[a], scales[i] ?? 1);
  });
  return out;
}

function sizesWithPolicy(ctx: OpContext, x: Dim[], sizes: number[], axes: number[]): Dim[] {
  const out = [...x];
  const policy = ctx.str('keep_aspect_ratio_policy', 'stretch');
  if (policy === 'stretch') {
    axes.forEach((a, i) => {
      out[a] = sizes[i];
    });
    return out;
  }
  const ratios = axes.map((a, i) => {
    const d = x[a];
    return isNum(d) ? (sizes[i] ?? 0) / d : NaN;
  });
  if (ratios.some(Number.isNaN)) return axes.reduce((o, a) => ((o[a] = undefined), o), out);
  const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  axes.forEach((a) => {
    const d = x[a] as number;
    out[a] = Math.round(scale * d);
  });
  return out;
}

const resize: OpInferFn = (ctx) => {
  const x = ctx.needShape(0);
  const type = ctx.type(0);
  const axes = ctx.opset >= 18 && ctx.ints('axes') ? (ctx.ints('axes') ?? []).map((a) => normAxis(a, x.length)) : x.map((_, i) => i);
  const scalesIdx = ctx.opset < 11 ? 1 : 2;
  if (ctx.opset >= 11 && ctx.has(3) && !ctx.isEmpty(3)) {
    const sizes = ctx.numbers(3);
    return [facts(type, sizes ? sizesWithPolicy(ctx, x, sizes, axes) : x.map(() => undefined))];
  }
  const scales = ctx.numbers(scalesIdx);
  return [facts(type, scales ? applyScales(x, scales, axes) : x.map(() => undefined))];
};

const upsample: OpInferFn = (ctx) => {
  const x = ctx.needShape(0);
  const scales = ctx.opset < 9 ? ctx.floats('scales') : ctx.numbers(1);
  return [
    facts(
      ctx.type(0),
      scales
        ? applyScales(
            x,
            scales,
            x.map((_, i) => i),
          )
        : x.map(() => undefined),
    ),
  ];
};

/** GridSample: X [N, C, in...] sampled at grid [N, out..., d] → [N, C, out...]. */
const gridSample: OpInferFn = (ctx) => {
  const x = ctx.shape(0);
  const g = ctx.shape(1);
  if (!g) return [facts(ctx.type(0), x ? x.map(() => undefined) : undefined)];
  return [facts(ctx.type(0), [x?.[0] ?? g[0], x?.[1], ...g.slice(1, -1)])];
};

export function registerResize(reg: (op: string, fn: OpInferFn, domain?: string) => void): void {
  reg('Resize', resize);
  reg('Upsample', upsample);
  reg('GridSample', gridSample);
  reg('GridSample', gridSample, 'com.microsoft');
}
