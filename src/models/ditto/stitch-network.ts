/**
 * LivePortrait stitching MLP (Ditto `stitch_network.onnx`) with the keypoint correction baked in:
 * delta = MLP(concat(kp_source, kp_driving)) (126 → 128 → 128 → 64 → 65);
 * out = kp_driving + delta[:63] as [21,3], with delta[63:65] added to x, y.
 */
import { GraphBuilder } from '../../onnx/builder.js';
import { DataType } from '../../onnx/dtype.js';
import type { Model } from '../../onnx/types.js';
import { RELU_GAIN, concat, linear, relu, reshape, slice } from '../layers.js';
import type { BuildOptions } from '../manifest.js';
import { dittoConfigFor } from './config.js';

export function buildStitchNetwork(opts: BuildOptions): Model {
  const s = dittoConfigFor(opts.scale).stitch;
  const n = s.numKp * 3;
  const b = new GraphBuilder('stitch_network', { seed: opts.seed, opset: 17, weights: opts.weights });
  const kpSource = b.input('kp_source', DataType.FLOAT, [1, s.numKp, 3]);
  const kpDriving = b.input('kp_driving', DataType.FLOAT, [1, s.numKp, 3]);
  let x = concat(b, [reshape(b, kpSource, [1, n]), reshape(b, kpDriving, [1, n])], 1);
  let width = 2 * n;
  s.hidden.forEach((h, i) => {
    x = relu(b, linear(b, x, `mlp.${2 * i}`, width, h, { gain: RELU_GAIN }));
    width = h;
  });
  // Small output init: the correction is a small nudge of the driving keypoints.
  const delta = linear(b, x, `mlp.${2 * s.hidden.length}`, width, n + 2, { gain: 0.1 });
  const dKp = reshape(b, slice(b, delta, 1, 0, n), [1, s.numKp, 3]);
  const dXy = reshape(b, slice(b, delta, 1, n, n + 2), [1, 1, 2]);
  const dXyz = concat(b, [dXy, b.constFloat('zero_z', [0], [1, 1, 1])], 2);
  const out = b.op('Add', [b.op('Add', [kpDriving, dKp]), dXyz]);
  b.output(out, 'out', [1, s.numKp, 3]);
  return b.finish({ docString: `Ditto stitch_network reference graph (${opts.scale})` });
}
