/**
 * Ditto LMDM (MotionDiT, `lmdm_v0.4_hubert.onnx`): the EDGE-style MotionDecoder run for the conditional
 * and the unconditional branch as a batch of 2, classifier-free guidance (unc + w·(cond − unc)) and the
 * DDIM "predict noise from x_start" step baked in.
 * `x` [1,80,265], `cond_frame` [1,265], `cond` [1,80,C], `time_cond` int64 [1] → `pred_noise`, `x_start` [1,80,265].
 */
import { GraphBuilder } from '../../onnx/builder.js';
import { DataType } from '../../onnx/dtype.js';
import { makeTensor } from '../../onnx/tensor.js';
import type { Model, Value } from '../../onnx/types.js';
import { concat, feedForward, layerNorm, linear, mish, multiHeadAttention, reduce, reshape, silu, slice } from '../layers.js';
import type { BuildOptions } from '../manifest.js';
import { dittoConfigFor, lmdmOutputGains, type LmdmConfig } from './config.js';

/** sqrt(1/ᾱ) and sqrt(1/ᾱ − 1) of the improved-DDPM cosine schedule (s = 0.008, β clipped at 0.999). */
export function cosineScheduleTables(steps: number): { sqrtRecipAlphasCumprod: number[]; sqrtRecipm1AlphasCumprod: number[] } {
  const s = 0.008;
  const f = (i: number): number => Math.cos(((i / steps + s) / (1 + s)) * Math.PI * 0.5) ** 2;
  const a0 = f(0);
  let cum = 1;
  const sra: number[] = [];
  const srm1: number[] = [];
  for (let i = 0; i < steps; i++) {
    const beta = Math.min(Math.max(1 - f(i + 1) / a0 / (f(i) / a0), 0), 0.999);
    cum *= 1 - beta;
    sra.push(Math.sqrt(1 / cum));
    srm1.push(Math.sqrt(1 / cum - 1));
  }
  return { sqrtRecipAlphasCumprod: sra, sqrtRecipm1AlphasCumprod: srm1 };
}

interface Rotary {
  cos: Value;
  sin: Value;
}

/** cos/sin tables of lucidrains' RotaryEmbedding ("lang" freqs, θ = 10000, pairs interleaved) for `len` positions. */
function rotaryTables(b: GraphBuilder, dim: number, len: number): Rotary {
  const freqs: number[] = [];
  for (let i = 0; i < dim / 2; i++) {
    const fr = 1 / 10000 ** ((2 * i) / dim);
    freqs.push(fr, fr);
  }
  const pos = Array.from({ length: len }, (_, i) => i);
  const angles = b.op('Mul', [b.constFloat(`rotary_pos_${len}`, pos, [len, 1]), b.constFloat('rotary_freqs', freqs, [1, dim])]);
  return { cos: b.op('Cos', [angles]), sin: b.op('Sin', [angles]) };
}

/** t·cos + rotate_half(t)·sin, rotate_half on interleaved pairs: (x1, x2) → (−x2, x1). */
function applyRotary(b: GraphBuilder, x: Value, r: Rotary, dim: number): Value {
  const pairs = reshape(b, x, [0, 0, dim / 2, 2]);
  const x1 = slice(b, pairs, 3, 0, 1);
  const x2 = slice(b, pairs, 3, 1, 2);
  const rot = reshape(b, concat(b, [b.op('Neg', [x2]), x1], 3), [0, 0, dim]);
  return b.op('Add', [b.op('Mul', [x, r.cos]), b.op('Mul', [rot, r.sin])]);
}

/** DenseFiLM: Mish → Linear(d → 2d) → (scale, shift), each [B,1,d]. */
function denseFilm(b: GraphBuilder, t: Value, name: string, d: number): { scale: Value; shift: Value } {
  const p = reshape(b, linear(b, mish(b, t), `${name}.block.1`, d, 2 * d, { gain: 0.5 }), [0, 1, 2 * d]);
  return { scale: slice(b, p, 2, 0, d), shift: slice(b, p, 2, d, 2 * d) };
}

function featurewiseAffine(b: GraphBuilder, x: Value, ss: { scale: Value; shift: Value }): Value {
  return b.op('Add', [b.op('Mul', [b.op('Add', [ss.scale, b.constFloat('one', [1], [])]), x]), ss.shift]);
}

/** Pre-LN TransformerEncoderLayer with rotary q/k. */
function encoderLayer(b: GraphBuilder, x: Value, name: string, c: LmdmConfig, rot: Rotary): Value {
  const d = c.latentDim;
  const n1 = layerNorm(b, x, `${name}.norm1`, d);
  const qk = applyRotary(b, n1, rot, d);
  x = b.op('Add', [x, multiHeadAttention(b, n1, `${name}.self_attn`, { dim: d, heads: c.heads, qIn: qk, kIn: qk, outGain: 0.5 })]);
  const n2 = layerNorm(b, x, `${name}.norm2`, d);
  return b.op('Add', [x, feedForward(b, n2, name, d, c.ffSize, 0.5)]);
}

/** FiLMTransformerDecoderLayer: self-attn, cross-attn over the memory, FFN; each FiLM-ed before its residual. */
function decoderLayer(b: GraphBuilder, x: Value, mem: Value, t: Value, name: string, c: LmdmConfig, rotX: Rotary, memRot: Value): Value {
  const d = c.latentDim;
  const n1 = layerNorm(b, x, `${name}.norm1`, d);
  const qk = applyRotary(b, n1, rotX, d);
  const sa = multiHeadAttention(b, n1, `${name}.self_attn`, { dim: d, heads: c.heads, qIn: qk, kIn: qk, outGain: 0.5 });
  x = b.op('Add', [x, featurewiseAffine(b, sa, denseFilm(b, t, `${name}.film1`, d))]);
  const n2 = layerNorm(b, x, `${name}.norm2`, d);
  const ca = multiHeadAttention(b, n2, `${name}.multihead_attn`, {
    dim: d,
    heads: c.heads,
    kv: mem,
    qIn: applyRotary(b, n2, rotX, d),
    kIn: memRot,
    outGain: 0.5,
  });
  x = b.op('Add', [x, featurewiseAffine(b, ca, denseFilm(b, t, `${name}.film2`, d))]);
  const n3 = layerNorm(b, x, `${name}.norm3`, d);
  const ff = feedForward(b, n3, name, d, c.ffSize, 0.5);
  return b.op('Add', [x, featurewiseAffine(b, ff, denseFilm(b, t, `${name}.film3`, d))]);
}

export function buildLmdm(opts: BuildOptions): Model {
  const c = dittoConfigFor(opts.scale).lmdm;
  const d = c.latentDim;
  const F = c.seqFrames;
  const b = new GraphBuilder('lmdm', { seed: opts.seed, opset: 17, weights: opts.weights });
  const x = b.input('x', DataType.FLOAT, [1, F, c.motionDim]);
  const condFrame = b.input('cond_frame', DataType.FLOAT, [1, c.motionDim]);
  const cond = b.input('cond', DataType.FLOAT, [1, F, c.condDim]);
  const timeCond = b.input('time_cond', DataType.INT64, [1]);

  // Batch 0 = conditional branch, batch 1 = unconditional (cond tokens replaced by the null embedding).
  const cf = b.op('Expand', [b.op('Unsqueeze', [condFrame, b.constInt64('axes', [1])]), b.constInt64('cf_shape', [1, F, c.motionDim])]);
  const xin = concat(b, [x, cf], 2);
  const xb = concat(b, [xin, xin], 0);
  const condB = concat(b, [cond, cond], 0);
  let h = linear(b, xb, 'input_projection', 2 * c.motionDim, d);

  const rot80 = rotaryTables(b, d, F);
  let ct = linear(b, condB, 'cond_projection', c.condDim, d);
  for (let i = 0; i < c.encoderLayers; i++) ct = encoderLayer(b, ct, `cond_encoder.${i}`, c, rot80);
  const keep3 = b.init(makeTensor('keep_mask_embed', DataType.BOOL, [2, 1, 1], Uint8Array.from([1, 0])));
  const keep2 = b.init(makeTensor('keep_mask_hidden', DataType.BOOL, [2, 1], Uint8Array.from([1, 0])));
  ct = b.op('Where', [keep3, ct, b.weight('null_cond_embed', [1, F, d], { std: 1 })]);
  const pooled = reduce(b, 'ReduceMean', ct, [1], false);
  let condHidden = linear(b, layerNorm(b, pooled, 'non_attn_cond_projection.0', d), 'non_attn_cond_projection.1', d, d);
  condHidden = linear(b, silu(b, condHidden), 'non_attn_cond_projection.3', d, d);

  // Sinusoidal timestep embedding → Linear 4d → Mish.
  const half = d / 2;
  const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) / (half - 1)) * i));
  const tf = b.op('Unsqueeze', [b.op('Cast', [timeCond], { to: DataType.FLOAT }), b.constInt64('axes', [1])]);
  const emb = b.op('Mul', [tf, b.constFloat('time_freqs', freqs, [1, half])]);
  const tHidden = mish(b, linear(b, concat(b, [b.op('Sin', [emb]), b.op('Cos', [emb])], 1), 'time_mlp.1', d, 4 * d));
  let t = linear(b, tHidden, 'to_time_cond.0', 4 * d, d);
  const tTokens = reshape(b, linear(b, tHidden, 'to_time_tokens.0', 4 * d, 2 * d), [1, 2, d]);
  condHidden = b.op('Where', [keep2, condHidden, b.weight('null_cond_hidden', [1, d], { std: 1 })]);
  t = b.op('Add', [t, condHidden]); // [2,d]

  const tTok2 = b.op('Expand', [tTokens, b.constInt64('tt_shape', [2, 2, d])]);
  const mem = layerNorm(b, concat(b, [ct, tTok2], 1), 'norm_cond', d);
  const memRot = applyRotary(b, mem, rotaryTables(b, d, F + 2), d);
  for (let i = 0; i < c.decoderLayers; i++) h = b.scope('seqTransDecoder', () => decoderLayer(b, h, mem, t, `stack.${i}`, c, rot80, memRot));
  // Output head scaled per field so x_start (after the guidance below) has the real motion ranges
  // (lmdmOutputGains / LMDM_X_START_STD in config.ts).
  const out = linear(b, h, 'final_layer', d, c.motionDim, { columnGain: lmdmOutputGains(c.motionDim) });

  // Guidance and the DDIM noise estimate for this timestep.
  const condOut = slice(b, out, 0, 0, 1);
  const uncOut = slice(b, out, 0, 1, 2);
  const xStart = b.op('Add', [uncOut, b.op('Mul', [b.op('Sub', [condOut, uncOut]), b.constFloat('guidance_scale', [c.guidanceScale], [])])]);
  const tables = cosineScheduleTables(c.timesteps);
  const sra = b.op('Gather', [b.constFloat('sqrt_recip_alphas_cumprod', tables.sqrtRecipAlphasCumprod), timeCond], { axis: 0 });
  const srm1 = b.op('Gather', [b.constFloat('sqrt_recipm1_alphas_cumprod', tables.sqrtRecipm1AlphasCumprod), timeCond], { axis: 0 });
  const predNoise = b.op('Div', [b.op('Sub', [b.op('Mul', [x, sra]), xStart]), srm1]);
  b.output(predNoise, 'pred_noise', [1, F, c.motionDim]);
  b.output(xStart, 'x_start', [1, F, c.motionDim]);
  return b.finish({ docString: `Ditto LMDM (MotionDiT) reference graph (${opts.scale}), CFG w=${c.guidanceScale} and DDIM noise baked in` });
}
