/**
 * Matrix products: MatMul (numpy semantics, batch broadcast), Gemm, MatMulInteger, QLinearMatMul,
 * com.microsoft MatMulNBits / FusedMatMul, and Einsum.
 */
import { DataType } from '../dtype.js';
import type { Dim } from '../types.js';
import { facts, type OpContext, type OpInferFn } from './context.js';
import { broadcastShapes, mergeDim } from './dims.js';

/** Output shape of numpy matmul for two shapes (1-D operands are promoted and the added dim dropped). */
export function matmulShape(a: Dim[], b: Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) throw new RangeError('matmul operands must have rank ≥ 1');
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  const out: Dim[] = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]);
  if (b.length > 1) out.push(b2[b2.length - 1]);
  return out;
}

function matmulFacts(ctx: OpContext, ai: number, bi: number, elemType: number | undefined): ReturnType<OpInferFn> {
  const a = ctx.shape(ai);
  const b = ctx.shape(bi);
  if (!a || !b) return [facts(elemType, undefined)];
  try {
    return [facts(elemType, matmulShape(a, b))];
  } catch (e) {
    return ctx.fail((e as Error).message);
  }
}

const matmul: OpInferFn = (ctx) => matmulFacts(ctx, 0, 1, ctx.type(0));
const matmulInteger: OpInferFn = (ctx) => matmulFacts(ctx, 0, 1, DataType.INT32);
const qlinearMatmul: OpInferFn = (ctx) => matmulFacts(ctx, 0, 3, ctx.type(7) ?? ctx.type(0));

const fusedMatmul: OpInferFn = (ctx) => {
  const a = ctx.shape(0);
  const b = ctx.shape(1);
  if (!a || !b) return [facts(ctx.type(0), undefined)];
  const t = (s: Dim[], on: boolean): Dim[] => (on && s.length >= 2 ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);
  return [facts(ctx.type(0), matmulShape(t(a, ctx.int('transA', 0) === 1), t(b, ctx.int('transB', 0) === 1)))];
};

const gemm: OpInferFn = (ctx) => {
  const a = ctx.shape(0);
  const b = ctx.shape(1);
  const m = a ? (ctx.int('transA', 0) ? a[1] : a[0]) : undefined;
  const n = b ? (ctx.int('transB', 0) ? b[0] : b[1]) : undefined;
  return [facts(ctx.type(0), [m, n])];
};

/** MatMulNBits: A [..., K] × packed B (N×K) → [..., N]. */
const matmulNBits: OpInferFn = (ctx) => {
  const a = ctx.shape(0);
  const n = ctx.int('N');
  return [facts(ctx.type(0), a ? [...a.slice(0, -1), n] : undefined)];
};

/** A parsed einsum equation: subscripts of each input and of the output; '.' stands for the ellipsis dims. */
export interface EinsumSpec {
  inputs: string[];
  output: string;
}

/** Parses an einsum equation ('...' becomes one '.' label; implicit output = labels used once, sorted). */
export function parseEinsum(equation: string): EinsumSpec {
  const eq = equation.replace(/\s+/g, '').replace(/\.\.\./g, '.');
  const [lhs = '', rhs] = eq.split('->');
  const inputs = lhs.split(',');
  let output = rhs;
  if (output === undefined) {
    const counts = new Map<string, number>();
    for (const s of inputs) for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
    const once = [...counts.entries()]
      .filter(([c, n]) => n === 1 && c !== '.')
      .map(([c]) => c)
      .sort();
    output = (lhs.includes('.') ? '.' : '') + once.join('');
  }
  return { inputs, output };
}

/** Size of each label given the input shapes, plus the broadcast ellipsis dims. */
export function einsumSizes(spec: EinsumSpec, shapes: Dim[][]): { sizes: Map<string, Dim>; ellipsis: Dim[] } {
  const sizes = new Map<string, Dim>();
  const ell: Dim[][] = [];
  spec.inputs.forEach((sub, k) => {
    const s = shapes[k] ?? [];
    const ellRank = s.length - (sub.length - (sub.includes('.') ? 1 : 0));
    let j = 0;
    for (const c of sub) {
      if (c === '.') {
        ell.push(s.slice(j, j + ellRank));
        j += ellRank;
      } else {
        const d = s[j++];
        const prior = sizes.get(c);
        sizes.set(c, prior === undefined ? d : prior === 1 ? d : d === 1 ? prior : mergeDim(prior, d));
      }
    }
  });
  return { sizes, ellipsis: broadcastShapes(ell) };
}

const einsum: OpInferFn = (ctx) => {
  const eq = ctx.str('equation', '');
  const spec = parseEinsum(eq);
  const shapes = spec.inputs.map((_, i) => ctx.shape(i));
  if (shapes.some((s) => !s)) return [facts(ctx.type(0), undefined)];
  const { sizes, ellipsis } = einsumSizes(spec, shapes as Dim[][]);
  const out: Dim[] = [];
  for (const c of spec.output) {
    if (c === '.') out.push(...ellipsis);
    else out.push(sizes.get(c));
  }
  return [facts(ctx.type(0), out)];
};

export function registerMatmul(reg: (op: string, fn: OpInferFn, domain?: string) => void): void {
  reg('MatMul', matmul);
  reg('MatMulInteger', matmulInteger);
  reg('QLinearMatMul', qlinearMatmul);
  reg('Gemm', gemm);
  reg('Einsum', einsum);
  reg('MatMulNBits', matmulNBits, 'com.microsoft');
  reg('FusedMatMul', fusedMatmul, 'com.microsoft');
  reg('MatMulIntegerToFloat', (ctx) => matmulFacts(ctx, 0, 1, ctx.type(2)), 'com.microsoft');
}
