/**
 * LivePortrait motion extractor M (Ditto `motion_extractor.onnx`): a ConvNeXtV2 backbone (tiny at full
 * scale: depths [3,3,9,3], dims [96,192,384,768]) with GRN, then global average pool, LayerNorm and seven
 * linear heads. `image` [1,3,S,S] → pitch, yaw, roll [1,66], t [1,3], exp [1,63], scale [1,1], kp [1,63].
 */
import { GraphBuilder } from '../../onnx/builder.js';
import { DataType } from '../../onnx/dtype.js';
import type { Model, Value } from '../../onnx/types.js';
import { conv, conv2d, gelu, layerNorm, layerNormChannelsFirst, linear, reduce, transpose } from '../layers.js';
import type { BuildOptions } from '../manifest.js';
import { MOTION_HEAD_INIT, canonicalKpPattern, dittoConfigFor } from './config.js';

const POSE_BINS = 66;

/** Global response normalisation on an NHWC tensor: γ·(x·N(x)) + β + x, N = ‖x‖₂(H,W) / mean_c(‖x‖₂). */
function grn(b: GraphBuilder, x: Value, name: string, dim: number): Value {
  const gx = reduce(b, 'ReduceL2', x, [1, 2], true);
  const mean = reduce(b, 'ReduceMean', gx, [-1], true);
  const nx = b.op('Div', [gx, b.op('Add', [mean, b.constFloat('grn_eps', [1e-6], [])])]);
  // ConvNeXtV2 initialises γ, β to zero; small random values keep the GRN path live in a reference graph.
  const gamma = b.weight(`${name}.gamma`, [1, 1, 1, dim], { std: 0.1 });
  const beta = b.weight(`${name}.beta`, [1, 1, 1, dim], { std: 0.1 });
  const y = b.op('Add', [b.op('Mul', [gamma, b.op('Mul', [x, nx])]), beta]);
  return b.op('Add', [y, x]);
}

/** ConvNeXtV2 block: dwconv 7×7 → (NHWC) LN → Linear 4C → GELU → GRN → Linear C → (NCHW) + input. */
function block(b: GraphBuilder, x: Value, name: string, dim: number): Value {
  const dw = conv2d(b, x, `${name}.dwconv`, dim, dim, 7, { groups: dim });
  let h = transpose(b, dw, [0, 2, 3, 1]);
  h = layerNorm(b, h, `${name}.norm`, dim, 1e-6);
  h = gelu(b, linear(b, h, `${name}.pwconv1`, dim, 4 * dim));
  h = grn(b, h, `${name}.grn`, 4 * dim);
  // Residual branch scaled down so 18 blocks of residual adds stay in range.
  h = linear(b, h, `${name}.pwconv2`, 4 * dim, dim, { gain: 0.3 });
  return b.op('Add', [x, transpose(b, h, [0, 3, 1, 2])]);
}

export function buildMotionExtractor(opts: BuildOptions): Model {
  const m = dittoConfigFor(opts.scale).motion;
  const b = new GraphBuilder('motion_extractor', { seed: opts.seed, opset: 17, weights: opts.weights });
  const image = b.input('image', DataType.FLOAT, [1, 3, m.imageSize, m.imageSize]);
  const d0 = m.dims[0] ?? 0;
  let x = conv(b, image, 'detector.downsample_layers.0.0', 3, d0, { kernel: [4, 4], strides: [4, 4], pads: [0, 0, 0, 0] });
  x = layerNormChannelsFirst(b, x, 'detector.downsample_layers.0.1', d0, 4);
  m.depths.forEach((depth, s) => {
    const dim = m.dims[s] ?? 0;
    if (s > 0) {
      const prev = m.dims[s - 1] ?? 0;
      x = layerNormChannelsFirst(b, x, `detector.downsample_layers.${s}.0`, prev, 4);
      x = conv(b, x, `detector.downsample_layers.${s}.1`, prev, dim, { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] });
    }
    for (let i = 0; i < depth; i++) x = block(b, x, `detector.stages.${s}.${i}`, dim);
  });
  const last = m.dims[m.dims.length - 1] ?? 0;
  const pooled = reduce(b, 'ReduceMean', x, [2, 3], false);
  const feat = layerNorm(b, pooled, 'detector.norm', last, 1e-6);
  // Heads initialised to the real model's output ranges (MOTION_HEAD_INIT in config.ts): feat has unit
  // RMS, so a head's column gain is its output std; kp and scale get a fixed bias (canonical layout, 1).
  const hi = MOTION_HEAD_INIT;
  const head = (name: string, n: number, std: number, bias?: number[]): Value =>
    linear(b, feat, `detector.${name}`, last, n, { columnGain: new Array<number>(n).fill(std), ...(bias ? { biasInit: bias } : {}) });
  const kp = head('fc_kp', 3 * m.numKp, hi.kpStd, canonicalKpPattern(m.numKp));
  const scale = head('fc_scale', 1, hi.scaleStd, [hi.scaleBias]);
  const pitch = head('fc_pitch', POSE_BINS, hi.poseLogitStd);
  const yaw = head('fc_yaw', POSE_BINS, hi.poseLogitStd);
  const roll = head('fc_roll', POSE_BINS, hi.poseLogitStd);
  const t = head('fc_t', 3, hi.tStd);
  const exp = head('fc_exp', 3 * m.numKp, hi.expStd);
  // Ditto's output order.
  b.output(pitch, 'pitch', [1, POSE_BINS]);
  b.output(yaw, 'yaw', [1, POSE_BINS]);
  b.output(roll, 'roll', [1, POSE_BINS]);
  b.output(t, 't', [1, 3]);
  b.output(exp, 'exp', [1, 3 * m.numKp]);
  b.output(scale, 'scale', [1, 1]);
  b.output(kp, 'kp', [1, 3 * m.numKp]);
  return b.finish({ docString: `Ditto motion_extractor reference graph (${opts.scale})` });
}
