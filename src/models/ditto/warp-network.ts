/**
 * LivePortrait warping module W (Ditto `warp_network_ori.onnx`, the variant with the standard ONNX
 * 5-D GridSample): dense motion network (compress conv, 21+1 sparse motions, 3-D GridSample #1, Gaussian
 * heatmaps, 3-D hourglass, 7×7×7 mask conv + Softmax, occlusion Conv2d + Sigmoid, deformation = Σ mask ×
 * motion), then GridSample #2 of feature_3d by the deformation, reshape to 2-D, SameBlock2d, Conv 1×1,
 * × occlusion. `feature_3d` [1,C,D,H,W], `kp_source`/`kp_driving` [1,K,3] → `out` [1,Co,H,W].
 * Opset 20 (GridSample on 5-D inputs needs it).
 */
import { GraphBuilder } from '../../onnx/builder.js';
import { DataType } from '../../onnx/dtype.js';
import type { Model, Value } from '../../onnx/types.js';
import { RELU_GAIN, batchNorm, concat, conv2d, conv3d, leakyRelu, reduce, relu, reshape, upsampleNearest } from '../layers.js';
import type { BuildOptions } from '../manifest.js';
import { dittoConfigFor, featureVolumeShape, warpOutputShape, type WarpConfig } from './config.js';

/** Identity coordinate grid [d,h,w,3] in [-1,1], channel order (x=w, y=h, z=d) like make_coordinate_grid. */
export function coordinateGrid(d: number, h: number, w: number): number[] {
  const lin = (i: number, n: number): number => (n > 1 ? (2 * i) / (n - 1) - 1 : 0);
  const out = new Array<number>(d * h * w * 3);
  let o = 0;
  for (let z = 0; z < d; z++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        out[o++] = lin(x, w);
        out[o++] = lin(y, h);
        out[o++] = lin(z, d);
      }
  return out;
}

function gridSample(b: GraphBuilder, x: Value, grid: Value, name: string): Value {
  return b.op('GridSample', [x, grid], { mode: 'linear', padding_mode: 'zeros', align_corners: 0 }, { name });
}

function convBnRelu3d(b: GraphBuilder, x: Value, name: string, cin: number, cout: number): Value {
  return relu(b, batchNorm(b, conv3d(b, x, `${name}.conv`, cin, cout, 3, { gain: RELU_GAIN }), `${name}.norm`, cout));
}

/** LivePortrait Hourglass (3-D): DownBlock3d ×n, UpBlock3d ×n with skip concats, conv + BN + ReLU. */
function hourglass(b: GraphBuilder, x: Value, inC: number, d: WarpConfig['dense']): { out: Value; channels: number } {
  const width = (i: number): number => Math.min(d.maxFeatures, d.blockExpansion * 2 ** i);
  const skips: Value[] = [x];
  let h = x;
  for (let i = 0; i < d.numBlocks; i++) {
    h = convBnRelu3d(b, h, `hourglass.encoder.down_blocks.${i}`, i === 0 ? inC : width(i), width(i + 1));
    h = b.op('AveragePool', [h], { kernel_shape: [1, 2, 2], strides: [1, 2, 2] });
    skips.push(h);
  }
  h = skips.pop() as Value;
  for (let i = d.numBlocks - 1; i >= 0; i--) {
    const cin = (i === d.numBlocks - 1 ? 1 : 2) * width(i + 1);
    h = upsampleNearest(b, h, [1, 1, 1, 2, 2]);
    h = convBnRelu3d(b, h, `hourglass.decoder.up_blocks.${d.numBlocks - 1 - i}`, cin, width(i));
    h = concat(b, [h, skips.pop() as Value], 1);
  }
  const channels = d.blockExpansion + inC;
  const out = relu(b, batchNorm(b, conv3d(b, h, 'hourglass.decoder.conv', channels, channels, 3, { gain: RELU_GAIN }), 'hourglass.decoder.norm', channels));
  return { out, channels };
}

export function buildWarpNetwork(opts: BuildOptions): Model {
  const cfg = dittoConfigFor(opts.scale);
  const w = cfg.warp;
  const dn = w.dense;
  const [, C = 0, D = 0, H = 0, W = 0] = featureVolumeShape(cfg);
  const K = w.numKp;
  const M = K + 1; // 21 keypoint motions + the identity (background)
  const b = new GraphBuilder('warp_network', { seed: opts.seed, opset: 20, weights: opts.weights });
  const feature = b.input('feature_3d', DataType.FLOAT, [1, C, D, H, W]);
  const kpSource = b.input('kp_source', DataType.FLOAT, [1, K, 3]);
  const kpDriving = b.input('kp_driving', DataType.FLOAT, [1, K, 3]);

  const dm = <T>(fn: () => T): T => b.scope('dense_motion_network', fn);
  // 1. Compress the feature volume.
  const compressed = dm(() =>
    relu(b, batchNorm(b, conv3d(b, feature, 'compress', C, dn.compress, 1, { pads: [0, 0, 0, 0, 0, 0], gain: RELU_GAIN }), 'norm', dn.compress)),
  );

  // 2. Sparse motions: identity − kp_driving + kp_source per keypoint, identity first.
  const grid6 = b.constFloat('identity_grid', coordinateGrid(D, H, W), [1, 1, D, H, W, 3]);
  const kpD6 = reshape(b, kpDriving, [1, K, 1, 1, 1, 3]);
  const kpS6 = reshape(b, kpSource, [1, K, 1, 1, 1, 3]);
  const coord = b.op('Sub', [grid6, kpD6]);
  const sparse = concat(b, [grid6, b.op('Add', [coord, kpS6])], 1); // [1,M,D,H,W,3]

  // 3. GridSample #1: the compressed feature repeated per motion.
  const rep = b.op('Expand', [b.op('Unsqueeze', [compressed, b.constInt64('axes', [1])]), b.constInt64('rep_shape', [1, M, 1, 1, 1, 1])]);
  const deformed = gridSample(b, reshape(b, rep, [M, dn.compress, D, H, W]), reshape(b, sparse, [M, D, H, W, 3]), '/dense_motion_network/GridSample');
  const deformed6 = reshape(b, deformed, [1, M, dn.compress, D, H, W]);

  // 4. Heatmaps: gaussian(kp_driving) − gaussian(kp_source), zero background channel.
  const gaussian = (kp6: Value): Value => {
    const sq = reduce(b, 'ReduceSum', b.op('Pow', [b.op('Sub', [grid6, kp6]), b.constFloat('two', [2], [])]), [-1], false);
    return b.op('Exp', [b.op('Mul', [sq, b.constFloat('neg_half_inv_var', [-0.5 / dn.kpVariance], [])])]);
  };
  const heat = b.op('Sub', [gaussian(kpD6), gaussian(kpS6)]); // [1,K,D,H,W]
  const heatmap = concat(b, [b.constFloat('zero_heatmap', new Array<number>(D * H * W).fill(0), [1, 1, D, H, W]), heat], 1);
  const heatmap7 = b.op('Unsqueeze', [heatmap, b.constInt64('axes', [2])]);

  // 5. Hourglass input [1, M·(compress+1), D, H, W].
  const inC = M * (dn.compress + 1);
  const hgIn = reshape(b, concat(b, [heatmap7, deformed6], 2), [1, inC, D, H, W]);
  const { out: prediction, channels } = dm(() => hourglass(b, hgIn, inC, dn));

  // 6. Mask over motions and the deformation field.
  const mask = b.op('Softmax', [dm(() => conv3d(b, prediction, 'mask', channels, M, 7))], { axis: 1 });
  const motion = b.op('Transpose', [sparse], { perm: [0, 1, 5, 2, 3, 4] }); // [1,M,3,D,H,W]
  const weighted = b.op('Mul', [motion, b.op('Unsqueeze', [mask, b.constInt64('axes', [2])])]);
  const deformation = b.op('Transpose', [reduce(b, 'ReduceSum', weighted, [1], false)], { perm: [0, 2, 3, 4, 1] }); // [1,D,H,W,3]

  // 7. Occlusion map.
  const occ = dm(() => conv2d(b, reshape(b, prediction, [1, channels * D, H, W]), 'occlusion', channels * D, 1, 7));
  const occlusion = b.op('Sigmoid', [occ]);

  // Warp the full feature volume, then the 2-D head.
  const warped = gridSample(b, feature, deformation, '/GridSample');
  const outShape = warpOutputShape(cfg);
  const co = outShape[1] ?? 0;
  let x = reshape(b, warped, [1, C * D, H, W]);
  x = leakyRelu(b, batchNorm(b, conv2d(b, x, 'third.conv', C * D, co, 3, { gain: RELU_GAIN }), 'third.norm', co), 0.01);
  x = conv2d(b, x, 'fourth', co, co, 1, { pads: [0, 0, 0, 0] });
  b.output(b.op('Mul', [x, occlusion]), 'out', outShape);
  return b.finish({ docString: `Ditto warp_network reference graph (${opts.scale}), native 5-D GridSample` });
}
