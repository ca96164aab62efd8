/**
 * com.microsoft attention ops: Attention (packed QKV projection inside) and MultiHeadAttention.
 */
import type { Dim } from '../types.js';
import { facts, type OpInferFn } from './context.js';
import { addDims, divDims, mulDims } from './dims.js';

/**
 * Attention: input [B, S, Hin], weights [Hin, Hq + Hk + Hv] → output [B, S, Hv];
 * present [2, B, heads, P + S, Hk / heads] when past (input 4) is given or the output is requested.
 */
const attention: OpInferFn = (ctx) => {
  const x = ctx.shape(0);
  const w = ctx.shape(1);
  const heads = ctx.int('num_heads', 1);
  const qkv = ctx.ints('qkv_hidden_sizes');
  const hv: Dim = qkv ? qkv[2] : divDims(w?.[1], 3);
  const hk: Dim = qkv ? qkv[1] : hv;
  const out = x ? [x[0], x[1], hv] : undefined;
  const past = ctx.shape(4);
  const total = addDims(x?.[1], past ? past[3] : 0);
  return [facts(ctx.type(0), out), facts(ctx.type(0), [2, x?.[0], heads, total, divDims(hk, heads)])];
};

/**
 * MultiHeadAttention: query [B, S, D] (or packed [B, S, N, 3, H]); key [B, L, D] / [B, N, L, H] / packed
 * KV [B, L, N, 2, H]; value [B, L, Dv] / [B, N, L, H]. Output [B, S, Dv]; present_key/value [B, N, P+L, H].
 */
const multiHeadAttention: OpInferFn = (ctx) => {
  const q = ctx.shape(0);
  const k = ctx.shape(1);
  const v = ctx.shape(2);
  const heads = ctx.int('num_heads', 1);
  if (!q) return [facts(ctx.type(0), undefined)];
  const b = q[0];
  const s = q[1];
  let dv: Dim;
  let l: Dim = s;
  let headK: Dim;
  let headV: Dim;
  if (q.length === 5) {
    dv = mulDims(q[2], q[4]);
    headK = q[4];
    headV = q[4];
  } else {
    const d = q[2];
    headK = divDims(d, heads);
    if (v?.length === 3) {
      dv = v[2];
      l = v[1];
    } else if (v?.length === 4) {
      dv = mulDims(v[1], v[3]);
      l = v[2];
    } else if (k?.length === 5) {
      dv = mulDims(k[2], k[4]);
      l = k[1];
    } else dv = d;
    if (k?.length === 3) l = k[1];
    else if (k?.length === 4) l = k[2];
    headV = divDims(dv, heads);
  }
  const past = ctx.shape(6);
  const total = addDims(past ? past[2] : 0, l);
  const present = (h: Dim): Dim[] => [b, heads, total, h];
  return [facts(ctx.type(0), [b, s, dv]), facts(ctx.type(0), present(headK)), facts(ctx.type(0), present(headV))];
};

export function registerAttention(reg: (op: string, fn: OpInferFn, domain?: string) => void): void {
  reg('Attention', attention, 'com.microsoft');
  reg('MultiHeadAttention', multiHeadAttention, 'com.microsoft');
}
