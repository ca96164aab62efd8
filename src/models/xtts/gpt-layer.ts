/**
 * One pre-LN GPT-2 block over shared weight Tensors, with the KV cache made explicit: it returns the
 * key/value tensors in the cache layout [1, heads, positions, headDim] so the caller can expose them.
 */
import { f, type GraphBuilder } from '../../onnx/builder.js';
import type { Tensor, Value } from '../../onnx/types.js';
import { reshape, scalar, transpose } from '../layers.js';
import { geluNew } from './blocks.js';
import type { GptDims } from './config.js';
import type { GptLayerWeights, GptWeights, LinearWeights, NormWeights } from './gpt-weights.js';

/** Adds a shared tensor to the graph as an initializer (same bytes, own Value). */
export function shared(b: GraphBuilder, t: Tensor): Value {
  return b.init(t);
}

export function sharedLinear(b: GraphBuilder, x: Value, w: LinearWeights, name: string): Value {
  const y = b.op('MatMul', [x, shared(b, w.weight)], {}, { name: `${name}/MatMul` });
  return b.op('Add', [y, shared(b, w.bias)], {}, { name: `${name}/Add` });
}

export function sharedLayerNorm(b: GraphBuilder, x: Value, w: NormWeights, name: string, eps: number): Value {
  return b.op('LayerNormalization', [x, shared(b, w.weight), shared(b, w.bias)], { axis: -1, epsilon: f(eps) }, { name: `${name}/LayerNormalization` });
}

export interface GptLayerResult {
  hidden: Value;
  /** [1, heads, P, headDim] including this call's positions (the `present` cache). */
  key: Value;
  value: Value;
}

/**
 * A GPT-2 block. `past` (decode) is concatenated in front of this call's keys/values; `mask` is an
 * additive bias broadcast to the [1, heads, Sq, Sk] scores.
 */
export function gptLayer(
  b: GraphBuilder,
  h: Value,
  w: GptLayerWeights,
  d: GptDims,
  i: number,
  mask: Value,
  past?: { key: Value; value: Value },
): GptLayerResult {
  const p = `gpt.h.${i}`;
  const a = sharedLayerNorm(b, h, w.ln1, `${p}.ln_1`, d.eps);
  const qkv = sharedLinear(b, a, w.cAttn, `${p}.attn.c_attn`);
  const [q, k, v] = b.op('Split', [qkv], { axis: -1 }, { outputs: 3, name: `${p}.attn/Split` }) as [Value, Value, Value];
  const heads = (x: Value): Value => transpose(b, reshape(b, x, [0, 0, d.heads, d.headDim]), [0, 2, 1, 3]);
  let key = heads(k);
  let value = heads(v);
  if (past) {
    key = b.op('Concat', [past.key, key], { axis: 2 }, { name: `${p}.attn/ConcatKey` });
    value = b.op('Concat', [past.value, value], { axis: 2 }, { name: `${p}.attn/ConcatValue` });
  }
  const scores = b.op('Mul', [b.op('MatMul', [heads(q), transpose(b, key, [0, 1, 3, 2])]), scalar(b, `${p}.attn.scale`, 1 / Math.sqrt(d.headDim))]);
  const probs = b.op('Softmax', [b.op('Add', [scores, mask])], { axis: -1 });
  const merged = reshape(b, transpose(b, b.op('MatMul', [probs, value]), [0, 2, 1, 3]), [0, 0, d.width]);
  const h1 = b.op('Add', [h, sharedLinear(b, merged, w.attnProj, `${p}.attn.c_proj`)]);
  const m = sharedLayerNorm(b, h1, w.ln2, `${p}.ln_2`, d.eps);
  const ff = sharedLinear(b, geluNew(b, sharedLinear(b, m, w.cFc, `${p}.mlp.c_fc`)), w.mlpProj, `${p}.mlp.c_proj`);
  return { hidden: b.op('Add', [h1, ff]), key, value };
}

/** Final LayerNorm of the last position → `latent` [1, 1, W] and `logits` = mel_head(latent) [1, 1, audioVocab]. */
export function gptHead(b: GraphBuilder, h: Value, lnF: NormWeights, melHead: LinearWeights, d: GptDims): { latent: Value; logits: Value } {
  const last = b.op('Slice', [h, b.constInt64('last_start', [-1]), b.constInt64('last_end', [2 ** 53 - 1]), b.constInt64('last_axis', [1])]);
  const latent = sharedLayerNorm(b, last, lnF, 'final_norm', d.eps);
  return { latent, logits: sharedLinear(b, latent, melHead, 'mel_head') };
}

/**
 * The 30 blocks, the head and the graph outputs shared by prefill and decode: `logits`, `latent`, and
 * `present_key_{i}` / `present_value_{i}` [1, heads, cacheDim, headDim] (cacheDim 'P' for prefill, 'L1' for decode).
 */
export function gptStackAndOutputs(
  b: GraphBuilder,
  h0: Value,
  weights: GptWeights,
  d: GptDims,
  mask: Value,
  cacheDim: string,
  past?: { key: Value; value: Value }[],
): void {
  let h = h0;
  const presents: { key: Value; value: Value }[] = [];
  weights.layers.forEach((lw, i) => {
    const r = gptLayer(b, h, lw, d, i, mask, past?.[i]);
    presents.push({ key: r.key, value: r.value });
    h = r.hidden;
  });
  const { latent, logits } = gptHead(b, h, weights.lnF, weights.melHead, d);
  b.output(logits, 'logits', [1, 1, d.audioVocab]);
  b.output(latent, 'latent', [1, 1, d.width]);
  presents.forEach((p, i) => {
    b.output(p.key, `present_key_${i}`, [1, d.heads, cacheDim, d.headDim]);
    b.output(p.value, `present_value_${i}`, [1, d.heads, cacheDim, d.headDim]);
  });
}
