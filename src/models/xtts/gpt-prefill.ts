/**
 * `gpt_prefill`: the GPT-2 pass over the whole prompt [32 conditioning latents | text tokens | start_audio]
 * (models.md §2.3 "Prefix layout"), with causal attention, returning the last position's logits and
 * final-LN latent plus the KV cache of every layer.
 *
 * Inputs: `input_ids` int64 [1, S] (start_text … stop_text, then start_audio), `gpt_cond_latent`
 * [1, 32, W]. Outputs: `logits` [1, 1, 1026], `latent` [1, 1, W], `present_key_{i}` /
 * `present_value_{i}` [1, heads, P, 64] with P = 32 + S.
 */
import { GraphBuilder } from '../../onnx/builder.js';
import { DataType } from '../../onnx/dtype.js';
import type { Model, Value } from '../../onnx/types.js';
import type { BuildOptions } from '../manifest.js';
import { slice } from '../layers.js';
import { componentSeed } from './seed.js';
import { createGptWeights, type GptWeights } from './gpt-weights.js';
import { gptStackAndOutputs, shared } from './gpt-layer.js';

/** Additive bias for masked attention scores (finite so FP16 variants keep it representable). */
export const MASK_BIAS = -1e4;

function causalMask(b: GraphBuilder, h: Value): Value {
  const len = b.op('Squeeze', [b.op('Shape', [h], { start: 1, end: 2 }), b.constInt64('len_axes', [0])]);
  const idx = b.op('Range', [b.constInt64('range_start', [0], []), len, b.constInt64('range_step', [1], [])]);
  const rows = b.op('Unsqueeze', [idx, b.constInt64('row_axes', [1])]);
  const cols = b.op('Unsqueeze', [idx, b.constInt64('col_axes', [0])]);
  const future = b.op('Greater', [cols, rows]);
  return b.op('Where', [future, b.constFloat('mask_value', [MASK_BIAS], []), b.constFloat('mask_zero', [0], [])], {}, { name: 'causal_mask' });
}

/** Builds `gpt_prefill`; pass `weights` to share them with `gpt_decode`. */
export function buildGptPrefill(opts: BuildOptions, weights: GptWeights = createGptWeights(opts)): Model {
  const d = weights.dims;
  const b = new GraphBuilder('xtts_gpt_prefill', { seed: componentSeed(opts.seed, 'gpt'), weights: opts.weights });
  const ids = b.input('input_ids', DataType.INT64, [1, 'S']);
  const cond = b.input('gpt_cond_latent', DataType.FLOAT, [1, d.condLatents, d.width]);
  // Text tokens with learned text positions 0..S-2; the last token is start_audio with mel position 0.
  const textIds = slice(b, ids, 1, 0, -1);
  const audioId = slice(b, ids, 1, -1, 2 ** 53 - 1);
  const textLen = b.op('Squeeze', [b.op('Shape', [textIds], { start: 1, end: 2 }), b.constInt64('text_len_axes', [0])]);
  const textPos = b.op('Range', [b.constInt64('text_pos_start', [0], []), textLen, b.constInt64('text_pos_step', [1], [])]);
  const textEmb = b.op('Add', [
    b.op('Gather', [shared(b, weights.textEmbedding), textIds], {}, { name: 'text_embedding/Gather' }),
    b.op('Gather', [shared(b, weights.textPositions), textPos], {}, { name: 'text_pos_embedding/Gather' }),
  ]);
  const melEmb = b.op('Add', [
    b.op('Gather', [shared(b, weights.melEmbedding), audioId], {}, { name: 'mel_embedding/Gather' }),
    b.op('Gather', [shared(b, weights.melPositions), b.constInt64('mel_pos_zero', [0])], {}, { name: 'mel_pos_embedding/Gather' }),
  ]);
  const h = b.op('Concat', [cond, textEmb, melEmb], { axis: 1 }, { name: 'prefix/Concat' });
  const mask = causalMask(b, h);
  gptStackAndOutputs(b, h, weights, d, mask, 'P');
  return b.finish({ docString: `XTTS-v2 GPT-2 prefill with explicit KV cache (${opts.scale} scale, seeded reference weights)` });
}
