/**
 * `gpt_decode`: one autoregressive GPT-2 step over the KV cache (the community export's decode graph,
 * models.md §2.10). Inputs: `input_ids` int64 [1, 1] (the last audio token), `mel_position` int64 [1, 1],
 * `attention_mask` int64 [1, L1] (L1 = L + 1, ones), `past_key_{i}` / `past_value_{i}` [1, heads, L, 64].
 * Outputs: `logits` [1, 1, 1026], `latent` [1, 1, W] (final-LN hidden, the vocoder's input),
 * `present_key_{i}` / `present_value_{i}` [1, heads, L1, 64].
 */
import { GraphBuilder } from '../../onnx/builder.js';
import { DataType } from '../../onnx/dtype.js';
import type { Model } from '../../onnx/types.js';
import type { BuildOptions } from '../manifest.js';
import { scalar } from '../layers.js';
import { componentSeed } from './seed.js';
import { createGptWeights, type GptWeights } from './gpt-weights.js';
import { gptStackAndOutputs, shared } from './gpt-layer.js';
import { MASK_BIAS } from './gpt-prefill.js';

/** Builds `gpt_decode`; pass `weights` to share them with `gpt_prefill`. */
export function buildGptDecode(opts: BuildOptions, weights: GptWeights = createGptWeights(opts)): Model {
  const d = weights.dims;
  const b = new GraphBuilder('xtts_gpt_decode', { seed: componentSeed(opts.seed, 'gpt'), weights: opts.weights });
  const ids = b.input('input_ids', DataType.INT64, [1, 1]);
  const melPosition = b.input('mel_position', DataType.INT64, [1, 1]);
  const attentionMask = b.input('attention_mask', DataType.INT64, [1, 'L1']);
  const past = weights.layers.map((_, i) => ({
    key: b.input(`past_key_${i}`, DataType.FLOAT, [1, d.heads, 'L', d.headDim]),
    value: b.input(`past_value_${i}`, DataType.FLOAT, [1, d.heads, 'L', d.headDim]),
  }));
  const h = b.op('Add', [
    b.op('Gather', [shared(b, weights.melEmbedding), ids], {}, { name: 'mel_embedding/Gather' }),
    b.op('Gather', [shared(b, weights.melPositions), melPosition], {}, { name: 'mel_pos_embedding/Gather' }),
  ]);
  // (1 − mask) · MASK_BIAS, shaped [1, 1, 1, L1] to broadcast over heads and the query position.
  const keep = b.op('Cast', [attentionMask], { to: DataType.FLOAT });
  const masked = b.op('Sub', [scalar(b, 'mask_one', 1), keep]);
  const bias = b.op('Mul', [masked, scalar(b, 'mask_value', MASK_BIAS)]);
  const mask = b.op('Unsqueeze', [bias, b.constInt64('mask_axes', [1, 2])], {}, { name: 'attention_mask_bias' });
  gptStackAndOutputs(b, h, weights, d, mask, 'L1', past);
  return b.finish({ docString: `XTTS-v2 GPT-2 decode step over an explicit KV cache (${opts.scale} scale, seeded reference weights)` });
}
