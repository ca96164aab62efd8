/**
 * XTTS-v2 conditioning encoder + perceiver resampler (models.md §2.4): `mel` [1, 80, T] →
 * `gpt_cond_latent` [1, 32, 1024]. Conv1d 80→1024 (1×1), 6 AttentionBlocks (GroupNorm(32) → qkv Conv1d →
 * 16-head legacy QKV attention → proj Conv1d → residual), then the perceiver: 32 learned latents, depth 2,
 * cross-attention over concat(latents, context) with 8 heads × 64, GEGLU FF (inner 2730), RMSNorm.
 */
import { GraphBuilder } from '../../onnx/builder.js';
import { DataType } from '../../onnx/dtype.js';
import type { Model, Value } from '../../onnx/types.js';
import type { BuildOptions } from '../manifest.js';
import { attentionCore, concat, conv1d, gelu, linear, reshape, scalar, transpose } from '../layers.js';
import { groupNorm1d, rmsNorm } from './blocks.js';
import { xttsDims, type CondEncoderDims } from './config.js';
import { componentSeed } from './seed.js';

/** tortoise AttentionBlock with QKVAttentionLegacy (per-head [q|k|v] channel layout). */
function attentionBlock(b: GraphBuilder, x: Value, name: string, d: CondEncoderDims): Value {
  const ch = d.width / d.heads;
  const h = groupNorm1d(b, x, `${name}.norm`, d.width, d.groups);
  const qkv = conv1d(b, h, `${name}.qkv`, d.width, 3 * d.width, 1);
  const perHead = reshape(b, qkv, [d.heads, 3 * ch, -1]);
  const [q, k, v] = b.op('Split', [perHead], { axis: 1 }, { outputs: 3 }) as [Value, Value, Value];
  const scores = b.op('Mul', [b.op('MatMul', [transpose(b, q, [0, 2, 1]), k]), scalar(b, `${name}.scale`, 1 / Math.sqrt(ch))]);
  const weights = b.op('Softmax', [scores], { axis: -1 });
  const a = b.op('MatMul', [v, transpose(b, weights, [0, 2, 1])]);
  const merged = reshape(b, a, [1, d.width, -1]);
  const out = conv1d(b, merged, `${name}.proj_out`, d.width, d.width, 1, { gain: 0.5 });
  return b.op('Add', [x, out]);
}

function perceiverLayer(b: GraphBuilder, x: Value, context: Value, name: string, d: CondEncoderDims): Value {
  const inner = d.dimHead * d.perceiverHeads;
  const kvIn = concat(b, [x, context], 1);
  const q = linear(b, x, `${name}.attn.to_q`, d.width, inner, { bias: false });
  const kv = linear(b, kvIn, `${name}.attn.to_kv`, d.width, 2 * inner, { bias: false });
  const [k, v] = b.op('Split', [kv], { axis: -1 }, { outputs: 2 }) as [Value, Value];
  const a = attentionCore(b, q, k, v, { heads: d.perceiverHeads, dim: inner });
  const attnOut = linear(b, a, `${name}.attn.to_out`, inner, d.width, { bias: false, gain: 0.5 });
  const x1 = b.op('Add', [attnOut, x]);
  const proj = linear(b, x1, `${name}.ff.0`, d.width, 2 * d.ffInner);
  const [hidden, gate] = b.op('Split', [proj], { axis: -1 }, { outputs: 2 }) as [Value, Value];
  const ff = linear(b, b.op('Mul', [gelu(b, gate), hidden]), `${name}.ff.2`, d.ffInner, d.width, { gain: 0.5 });
  return b.op('Add', [ff, x1]);
}

/** Builds the `cond_encoder` role. */
export function buildCondEncoder(opts: BuildOptions): Model {
  const d = xttsDims(opts.scale).cond;
  const b = new GraphBuilder('xtts_cond_encoder', { seed: componentSeed(opts.seed, 'cond_encoder'), weights: opts.weights });
  const mel = b.input('mel', DataType.FLOAT, [1, d.melBins, 'T']);
  let h = b.scope('conditioning_encoder', () => {
    let y = conv1d(b, mel, 'init', d.melBins, d.width, 1);
    for (let i = 0; i < d.blocks; i++) y = attentionBlock(b, y, `attn.${i}`, d);
    return y;
  });
  h = transpose(b, h, [0, 2, 1]);
  const latent = b.scope('conditioning_perceiver', () => {
    const latents = b.weight('latents', [d.latents, d.width], { std: 1 });
    let x = b.op('Unsqueeze', [latents, b.constInt64('batch_axis', [0])]);
    for (let i = 0; i < d.depth; i++) x = perceiverLayer(b, x, h, `layers.${i}`, d);
    return rmsNorm(b, x, 'norm', d.width);
  });
  b.output(latent, 'gpt_cond_latent', [1, d.latents, d.width]);
  return b.finish({ docString: `XTTS-v2 conditioning encoder + perceiver resampler (${opts.scale} scale, seeded reference weights)` });
}
