/**
 * HuBERT-Large-class streaming audio encoder (Ditto `hubert.onnx`): 7-layer conv feature extractor
 * (kernels 10,3,3,3,3,2,2, strides 5,2,2,2,2,2,2; each Conv1d → LayerNorm over channels → GELU, the
 * `feat_extract_norm="layer"` variant), feature projection (LayerNorm + Linear), convolutional positional
 * embedding (Conv1d k=128, groups 16, drop last frame, GELU), 24 pre-LN transformer layers, final LayerNorm.
 * `input_values` [1,N] (N symbolic) → `encoding_out` [T,hidden] (time-major, batch dropped).
 */
import { GraphBuilder } from '../../onnx/builder.js';
import { DataType } from '../../onnx/dtype.js';
import type { Model, Value } from '../../onnx/types.js';
import { conv1d, feedForward, gelu, layerNorm, linear, multiHeadAttention, transpose } from '../layers.js';
import type { BuildOptions } from '../manifest.js';
import { dittoConfigFor } from './config.js';

export function buildHubert(opts: BuildOptions): Model {
  const c = dittoConfigFor(opts.scale).hubert;
  const b = new GraphBuilder('hubert', { seed: opts.seed, opset: 17, weights: opts.weights });
  const input = b.input('input_values', DataType.FLOAT, [1, 'N']);
  let x: Value = b.op('Unsqueeze', [input, b.constInt64('axes', [1])]); // [1,1,N]
  let ch = 1;
  c.convKernels.forEach((k, i) => {
    const name = `feature_extractor.conv_layers.${i}`;
    x = conv1d(b, x, `${name}.conv`, ch, c.convDim, k, { strides: [c.convStrides[i] ?? 1], pads: [0, 0], gain: Math.SQRT2 });
    x = transpose(b, layerNorm(b, transpose(b, x, [0, 2, 1]), `${name}.layer_norm`, c.convDim), [0, 2, 1]);
    x = gelu(b, x);
    ch = c.convDim;
  });
  let h = transpose(b, x, [0, 2, 1]); // [1,T,convDim]
  h = layerNorm(b, h, 'feature_projection.layer_norm', c.convDim);
  h = linear(b, h, 'feature_projection.projection', c.convDim, c.hidden);

  // Positional conv embedding; the even kernel pads one frame too many, removed again (HubertSamePadLayer).
  const k = c.posConvKernel;
  const pc = conv1d(b, transpose(b, h, [0, 2, 1]), 'encoder.pos_conv_embed.conv', c.hidden, c.hidden, k, {
    groups: c.posConvGroups,
    pads: [k / 2, k / 2],
    gain: 0.5,
  });
  const trimmed = b.op('Slice', [pc, b.constInt64('starts', [0]), b.constInt64('ends', [-1]), b.constInt64('axes', [2])]);
  h = b.op('Add', [h, transpose(b, gelu(b, trimmed), [0, 2, 1])]);

  for (let i = 0; i < c.layers; i++) {
    const name = `encoder.layers.${i}`;
    const n1 = layerNorm(b, h, `${name}.layer_norm`, c.hidden);
    h = b.op('Add', [h, multiHeadAttention(b, n1, `${name}.attention`, { dim: c.hidden, heads: c.heads, outGain: 0.5 })]);
    const n2 = layerNorm(b, h, `${name}.final_layer_norm`, c.hidden);
    h = b.op('Add', [h, feedForward(b, n2, `${name}.feed_forward`, c.hidden, c.ffn, 0.5)]);
  }
  h = layerNorm(b, h, 'encoder.layer_norm', c.hidden);
  b.output(b.op('Squeeze', [h, b.constInt64('axes', [0])]), 'encoding_out', ['T', c.hidden]);
  return b.finish({ docString: `Ditto hubert (HuBERT-Large-class) reference graph (${opts.scale})` });
}

/** Parameter count of the HuBERT graph, derived layer by layer (the published number; see DITTO_PUBLISHED). */
export function hubertParams(c: ReturnType<typeof dittoConfigFor>['hubert']): number {
  const ln = (d: number): number => 2 * d;
  const lin = (i: number, o: number): number => i * o + o;
  let n = 0;
  c.convKernels.forEach((k, i) => {
    n += (i === 0 ? 1 : c.convDim) * c.convDim * k + c.convDim + ln(c.convDim);
  });
  n += ln(c.convDim) + lin(c.convDim, c.hidden);
  n += c.hidden * (c.hidden / c.posConvGroups) * c.posConvKernel + c.hidden;
  n += c.layers * (4 * lin(c.hidden, c.hidden) + 2 * ln(c.hidden) + lin(c.hidden, c.ffn) + lin(c.ffn, c.hidden));
  return n + ln(c.hidden);
}

/**
 * MACs of one call on `n` samples: conv front end (per output frame k·Cin·Cout), projection, positional
 * conv (T+1 frames before the trim), per layer 4 d² projections + 2 T² d attention products + 2 d·ffn FFN.
 */
export function hubertMacs(c: ReturnType<typeof dittoConfigFor>['hubert'], n: number): number {
  let t = n;
  let macs = 0;
  c.convKernels.forEach((k, i) => {
    t = Math.floor((t - k) / (c.convStrides[i] ?? 1)) + 1;
    macs += t * (i === 0 ? 1 : c.convDim) * c.convDim * k;
  });
  macs += t * c.convDim * c.hidden;
  macs += (t + 1) * c.hidden * (c.hidden / c.posConvGroups) * c.posConvKernel;
  macs += c.layers * (4 * t * c.hidden * c.hidden + 2 * t * t * c.hidden + 2 * t * c.hidden * c.ffn);
  return macs;
}
