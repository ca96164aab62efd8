/**
 * XTTS-v2 HiFi-GAN decoder (models.md §2.6): `latent_codes` [1, T, 1024] + `speaker_embedding` [1, 512, 1]
 * → `waveform` [1, W] at 24 kHz. Latents are interpolated linearly ×4 and then ×24000/22050 (two Resize
 * nodes, as `HifiDecoder` does), conv_pre 1024→512 (k7) plus the speaker 1×1 cond_layer, four LeakyReLU(0.1)
 * → ConvTranspose upsamplings ([8,8,2,2], kernels [16,16,4,4], 512→256→128→64→32) each followed by its
 * speaker 1×1 cond conv and the mean of three type-1 MRF resblocks (kernels [3,7,11], dilations [1,3,5]),
 * then LeakyReLU(0.01) → conv_post 32→1 (k7, no bias) → Tanh. W = 256 · floor(floor(4T) · 24000/22050).
 */
import { GraphBuilder, f } from '../../onnx/builder.js';
import { DataType } from '../../onnx/dtype.js';
import type { Model, Value } from '../../onnx/types.js';
import type { BuildOptions } from '../manifest.js';
import { RELU_GAIN, conv1d, leakyRelu, scalar, transpose } from '../layers.js';
import { convTranspose1d } from './blocks.js';
import { xttsDims, type HifiganDims } from './config.js';
import { componentSeed } from './seed.js';

function interpolate(b: GraphBuilder, x: Value, scale: number, name: string): Value {
  return b.op(
    'Resize',
    [x, undefined, b.constFloat(`${name}.scales`, [1, 1, scale])],
    { mode: 'linear', coordinate_transformation_mode: 'half_pixel' },
    { name: `${name}/Resize` },
  );
}

/** ResBlock1: three (LReLU → dilated conv → LReLU → conv) residual pairs. */
function resBlock1(b: GraphBuilder, x: Value, name: string, ch: number, kernel: number, d: HifiganDims): Value {
  let y = x;
  d.resblockDilations.forEach((dil, j) => {
    const pad = (kernel * dil - dil) / 2;
    let t = leakyRelu(b, y, d.lreluSlope);
    t = conv1d(b, t, `${name}.convs1.${j}`, ch, ch, kernel, { dilations: [dil], pads: [pad, pad], gain: RELU_GAIN });
    t = leakyRelu(b, t, d.lreluSlope);
    t = conv1d(b, t, `${name}.convs2.${j}`, ch, ch, kernel, { gain: 0.5 });
    y = b.op('Add', [t, y]);
  });
  return y;
}

/** Builds the `hifigan` role. */
export function buildHifigan(opts: BuildOptions): Model {
  const d = xttsDims(opts.scale).hifigan;
  const b = new GraphBuilder('xtts_hifigan', { seed: componentSeed(opts.seed, 'hifigan'), weights: opts.weights });
  const latents = b.input('latent_codes', DataType.FLOAT, [1, 'T', d.inDim]);
  const g = b.input('speaker_embedding', DataType.FLOAT, [1, d.condDim, 1]);
  let z = transpose(b, latents, [0, 2, 1]);
  z = interpolate(b, z, d.latentScale, 'interpolate_latents');
  z = interpolate(b, z, d.rateScale, 'interpolate_rate');
  const wave = b.scope('waveform_decoder', () => {
    let o = conv1d(b, z, 'conv_pre', d.inDim, d.initialChannels, 7);
    o = b.op('Add', [o, conv1d(b, g, 'cond_layer', d.condDim, d.initialChannels, 1, { pads: [0, 0] })]);
    let ch = d.initialChannels;
    d.upsampleRates.forEach((u, i) => {
      const k = d.upsampleKernels[i] ?? 2 * u;
      o = leakyRelu(b, o, d.lreluSlope);
      o = convTranspose1d(b, o, `ups.${i}`, ch, ch / 2, k, u, (k - u) / 2);
      ch /= 2;
      o = b.op('Add', [o, conv1d(b, g, `conds.${i}`, d.condDim, ch, 1, { pads: [0, 0] })]);
      const branches = d.resblockKernels.map((rk, j) => resBlock1(b, o, `resblocks.${i * d.resblockKernels.length + j}`, ch, rk, d));
      const sum = branches.slice(1).reduce((acc, br) => b.op('Add', [acc, br]), branches[0] as Value);
      o = b.op('Mul', [sum, scalar(b, `mrf_mean.${i}`, 1 / d.resblockKernels.length)]);
    });
    o = b.op('LeakyRelu', [o], { alpha: f(0.01) });
    o = conv1d(b, o, 'conv_post', ch, 1, 7, { bias: false, gain: 0.5 });
    return b.op('Tanh', [o]);
  });
  const out = b.op('Squeeze', [wave, b.constInt64('channel_axis', [1])]);
  b.output(out, 'waveform', [1, 'W']);
  return b.finish({ docString: `XTTS-v2 HiFi-GAN decoder with speaker conditioning, 24 kHz output (${opts.scale} scale, seeded reference weights)` });
}
