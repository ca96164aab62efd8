/**
 * LivePortrait SPADE generator G (Ditto `decoder.onnx`): `feature` [1,L,s,s] → `output` [1,3,8s,8s].
 * fc Conv 3×3 (L→2L) → 6 × SPADEResnetBlock(2L) → ×2 → up_0 (2L→L) → ×2 → up_1 (L→out) → LeakyReLU →
 * Conv 3×3 (out→12) → PixelShuffle 2 (DepthToSpace CRD) → Sigmoid. Every SPADE norm modulates an
 * InstanceNorm (affine off) with γ, β convs computed from the input feature resized (nearest) to its size.
 */
import { GraphBuilder } from '../../onnx/builder.js';
import { DataType } from '../../onnx/dtype.js';
import type { Model, Value } from '../../onnx/types.js';
import { RELU_GAIN, conv2d, instanceNorm, leakyRelu, relu, upsampleNearest } from '../layers.js';
import type { BuildOptions } from '../manifest.js';
import { dittoConfigFor, type DecoderConfig } from './config.js';

interface Seg {
  /** The segmap at each resolution (nearest-resized once per size and reused, as the export folds it). */
  at(size: number): Value;
}

/** SPADE: IN(x) · (1 + γ(seg)) + β(seg). γ, β start small so the modulation is a perturbation. */
function spade(b: GraphBuilder, x: Value, seg: Seg, size: number, name: string, ch: number, c: DecoderConfig): Value {
  const normalized = instanceNorm(b, x, `${name}.param_free_norm`, ch);
  const actv = relu(b, conv2d(b, seg.at(size), `${name}.mlp_shared.0`, c.labelChannels, c.spadeHidden, 3, { gain: RELU_GAIN }));
  const gamma = conv2d(b, actv, `${name}.mlp_gamma`, c.spadeHidden, ch, 3, { gain: 0.3 });
  const beta = conv2d(b, actv, `${name}.mlp_beta`, c.spadeHidden, ch, 3, { gain: 0.3 });
  const one = b.constFloat('one', [1], []);
  return b.op('Add', [b.op('Mul', [normalized, b.op('Add', [gamma, one])]), beta]);
}

function spadeResBlock(b: GraphBuilder, x: Value, seg: Seg, size: number, name: string, fin: number, fout: number, c: DecoderConfig): Value {
  const fmid = Math.min(fin, fout);
  const shortcut =
    fin !== fout ? conv2d(b, spade(b, x, seg, size, `${name}.norm_s`, fin, c), `${name}.conv_s`, fin, fout, 1, { bias: false, pads: [0, 0, 0, 0] }) : x;
  let dx = conv2d(b, leakyRelu(b, spade(b, x, seg, size, `${name}.norm_0`, fin, c)), `${name}.conv_0`, fin, fmid, 3, { gain: RELU_GAIN });
  // Residual branch scaled down so six stacked blocks do not blow the activations up.
  dx = conv2d(b, leakyRelu(b, spade(b, dx, seg, size, `${name}.norm_1`, fmid, c)), `${name}.conv_1`, fmid, fout, 3, { gain: 0.5 });
  return b.op('Add', [shortcut, dx]);
}

export function buildDecoder(opts: BuildOptions): Model {
  const c = dittoConfigFor(opts.scale).decoder;
  const b = new GraphBuilder('decoder', { seed: opts.seed, opset: 17, weights: opts.weights });
  const s = c.inputSize;
  const feature = b.input('feature', DataType.FLOAT, [1, c.labelChannels, s, s]);
  const resized = new Map<number, Value>([[s, feature]]);
  const seg: Seg = {
    at(size) {
      let v = resized.get(size);
      if (!v) {
        v = upsampleNearest(b, feature, [1, 1, size / s, size / s]);
        resized.set(size, v);
      }
      return v;
    },
  };
  let x = conv2d(b, feature, 'fc', c.labelChannels, c.middleChannels, 3);
  for (let i = 0; i < c.numMiddleBlocks; i++) x = spadeResBlock(b, x, seg, s, `G_middle_${i}`, c.middleChannels, c.middleChannels, c);
  x = upsampleNearest(b, x, [1, 1, 2, 2]);
  x = spadeResBlock(b, x, seg, 2 * s, 'up_0', c.middleChannels, c.labelChannels, c);
  x = upsampleNearest(b, x, [1, 1, 2, 2]);
  x = spadeResBlock(b, x, seg, 4 * s, 'up_1', c.labelChannels, c.outChannels, c);
  x = conv2d(b, leakyRelu(b, x), 'conv_img.0', c.outChannels, 3 * 4, 3);
  x = b.op('DepthToSpace', [x], { blocksize: 2, mode: 'CRD' });
  b.output(b.op('Sigmoid', [x]), 'output', [1, 3, 8 * s, 8 * s]);
  return b.finish({ docString: `Ditto decoder (SPADE generator) reference graph (${opts.scale})` });
}
