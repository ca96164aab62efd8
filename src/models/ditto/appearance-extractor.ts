/**
 * LivePortrait appearance feature extractor F (Ditto `appearance_extractor.onnx`):
 * `image` [1,3,S,S] → `pred` [1,C,D,S/4,S/4] (full: [1,32,16,64,64]).
 * SameBlock2d → 2 × DownBlock2d → Conv 1×1 → Reshape to a 3-D volume → 6 × pre-activation ResBlock3d.
 */
import { GraphBuilder } from '../../onnx/builder.js';
import { DataType } from '../../onnx/dtype.js';
import type { Model, Value } from '../../onnx/types.js';
import { RELU_GAIN, batchNorm, conv2d, conv3d, relu, reshape } from '../layers.js';
import type { BuildOptions } from '../manifest.js';
import { dittoConfigFor, featureVolumeShape } from './config.js';

/** Conv 3×3 → BN → ReLU (LivePortrait SameBlock2d / the conv part of DownBlock2d). */
function convBnRelu2d(b: GraphBuilder, x: Value, name: string, cin: number, cout: number): Value {
  return relu(b, batchNorm(b, conv2d(b, x, `${name}.conv`, cin, cout, 3, { gain: RELU_GAIN }), `${name}.norm`, cout));
}

/** ResBlock3d: x + conv2(relu(bn2(conv1(relu(bn1(x)))))); the second conv is scaled down to keep the sum bounded. */
export function resBlock3d(b: GraphBuilder, x: Value, name: string, ch: number): Value {
  const h1 = conv3d(b, relu(b, batchNorm(b, x, `${name}.norm1`, ch)), `${name}.conv1`, ch, ch, 3, { gain: RELU_GAIN });
  const h2 = conv3d(b, relu(b, batchNorm(b, h1, `${name}.norm2`, ch)), `${name}.conv2`, ch, ch, 3, { gain: 0.5 });
  return b.op('Add', [x, h2]);
}

export function buildAppearanceExtractor(opts: BuildOptions): Model {
  const cfg = dittoConfigFor(opts.scale);
  const a = cfg.appearance;
  const b = new GraphBuilder('appearance_extractor', { seed: opts.seed, opset: 17, weights: opts.weights });
  const image = b.input('image', DataType.FLOAT, [1, 3, a.imageSize, a.imageSize]);
  let x = convBnRelu2d(b, image, 'first', 3, a.blockExpansion);
  let ch = a.blockExpansion;
  for (let i = 0; i < a.numDownBlocks; i++) {
    const out = Math.min(a.maxFeatures, a.blockExpansion * 2 ** (i + 1));
    x = convBnRelu2d(b, x, `down_blocks.${i}`, ch, out);
    x = b.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
    ch = out;
  }
  const volume = a.reshapeChannel * a.reshapeDepth;
  x = conv2d(b, x, 'second', ch, volume, 1, { pads: [0, 0, 0, 0] });
  const shape = featureVolumeShape(cfg);
  x = reshape(b, x, shape);
  for (let i = 0; i < a.numResBlocks; i++) x = resBlock3d(b, x, `resblocks_3d.${i}`, a.reshapeChannel);
  b.output(x, 'pred', shape);
  return b.finish({ docString: `Ditto appearance_extractor reference graph (${opts.scale})` });
}
