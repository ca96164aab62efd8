/**
 * XTTS-v2 speaker encoder (models.md §2.5): the H/ASP SE-ResNet of `hifigan_decoder.py` with its
 * spectrogram front end inside the graph, on 16 kHz audio: `wav_16k` [1, N] → `speaker_embedding`
 * [1, 512, 1] (L2-normalised).
 *
 * Front end (torchaudio MelSpectrogram as configured there): pre-emphasis 0.97 as a 2-tap Conv1d after a
 * 1-sample reflect pad, centre reflect padding of n_fft/2, STFT as a strided Conv1d whose fixed weights are
 * the Hamming-windowed DFT basis (win 400 inside n_fft 512, hop 160; real and imaginary rows), power
 * re² + im², HTK mel filterbank (64 mels, 0–8 kHz, no norm) as MatMul, log(x + 1e-6), InstanceNorm.
 * Conv + BatchNorm pairs are folded into Conv biases, as an eval-mode export does; BatchNorms after a ReLU
 * stay BatchNormalization nodes.
 */
import { GraphBuilder } from '../../onnx/builder.js';
import { DataType } from '../../onnx/dtype.js';
import type { Model, Value } from '../../onnx/types.js';
import type { BuildOptions } from '../manifest.js';
import { RELU_GAIN, batchNorm, conv1d, conv2d, instanceNorm, linear, relu, reshape, scalar, slice } from '../layers.js';
import { xttsDims, type SpeakerEncoderDims } from './config.js';
import { componentSeed } from './seed.js';

const hzToMel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

/** torchaudio melscale_fbanks (HTK scale, norm None) transposed: [mels, nFft/2 + 1], row-major. */
export function melFilterbank(nFreqs: number, mels: number, sampleRate: number, fMin = 0, fMax = sampleRate / 2): Float32Array {
  const allFreqs = Array.from({ length: nFreqs }, (_, i) => ((sampleRate / 2) * i) / (nFreqs - 1));
  const mMin = hzToMel(fMin);
  const mMax = hzToMel(fMax);
  const fPts = Array.from({ length: mels + 2 }, (_, i) => melToHz(mMin + ((mMax - mMin) * i) / (mels + 1)));
  const out = new Float32Array(mels * nFreqs);
  for (let m = 0; m < mels; m++) {
    const lo = fPts[m] ?? 0;
    const mid = fPts[m + 1] ?? 0;
    const hi = fPts[m + 2] ?? 0;
    for (let k = 0; k < nFreqs; k++) {
      const fk = allFreqs[k] ?? 0;
      const down = (fk - lo) / (mid - lo);
      const up = (hi - fk) / (hi - mid);
      out[m * nFreqs + k] = Math.max(0, Math.min(down, up));
    }
  }
  return out;
}

/**
 * Windowed DFT basis as Conv1d weights [2·(nFft/2+1), 1, win]: rows 0..nFft/2 are w[n]·cos(2πkn/nFft),
 * the rest −w[n]·sin(…), for the window's taps n = offset … offset+win−1 of the centred nFft frame.
 */
export function dftBasis(nFft: number, win: number): Float32Array {
  const bins = nFft / 2 + 1;
  const offset = (nFft - win) / 2;
  const out = new Float32Array(2 * bins * win);
  for (let k = 0; k < bins; k++) {
    for (let m = 0; m < win; m++) {
      const w = 0.54 - 0.46 * Math.cos((2 * Math.PI * m) / win); // torch.hamming_window, periodic
      const phase = (2 * Math.PI * k * (m + offset)) / nFft;
      out[k * win + m] = w * Math.cos(phase);
      out[(bins + k) * win + m] = -w * Math.sin(phase);
    }
  }
  return out;
}

function frontEnd(b: GraphBuilder, wav: Value, d: SpeakerEncoderDims): Value {
  const bins = d.nFft / 2 + 1;
  const x = b.op('Unsqueeze', [wav, b.constInt64('channel_axis', [1])]);
  const padded = b.op('Pad', [x, b.constInt64('preemph_pads', [0, 0, 1, 0, 0, 0])], { mode: 'reflect' });
  const emph = b.op('Conv', [padded, b.constFloat('preemphasis.filter', [-d.preemphasis, 1], [1, 1, 2])], { kernel_shape: [2] });
  const half = d.nFft / 2;
  const centred = b.op('Pad', [emph, b.constInt64('stft_pads', [0, 0, half, 0, 0, half])], { mode: 'reflect' });
  const offset = (d.nFft - d.winLength) / 2;
  const framed = slice(b, centred, 2, offset, -offset);
  const basis = b.constFloat('stft.dft_basis', Array.from(dftBasis(d.nFft, d.winLength)), [2 * bins, 1, d.winLength]);
  const spec = b.op('Conv', [framed, basis], { kernel_shape: [d.winLength], strides: [d.hop] }, { name: 'stft/Conv' });
  const sq = b.op('Mul', [spec, spec]);
  const power = b.op('Add', [slice(b, sq, 1, 0, bins), slice(b, sq, 1, bins, 2 * bins)]);
  const fb = b.constFloat('mel.filterbank', Array.from(melFilterbank(bins, d.mels, d.sampleRate)), [d.mels, bins]);
  const mel = b.op('MatMul', [fb, power], {}, { name: 'mel/MatMul' });
  const logMel = b.op('Log', [b.op('Add', [mel, scalar(b, 'log_eps', 1e-6)])]);
  return instanceNorm(b, logMel, 'instancenorm', d.mels);
}

function seLayer(b: GraphBuilder, x: Value, name: string, ch: number, reduction: number): Value {
  const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [x])], { axis: 1 });
  const hidden = Math.max(1, Math.floor(ch / reduction));
  const s = relu(b, linear(b, pooled, `${name}.fc.0`, ch, hidden, { gain: RELU_GAIN }));
  const gate = b.op('Sigmoid', [linear(b, s, `${name}.fc.2`, hidden, ch)]);
  return b.op('Mul', [x, b.op('Unsqueeze', [gate, b.constInt64('se_axes', [2, 3])])]);
}

function seBasicBlock(b: GraphBuilder, x: Value, name: string, inplanes: number, planes: number, stride: number, d: SpeakerEncoderDims): Value {
  let out = relu(b, conv2d(b, x, `${name}.conv1`, inplanes, planes, 3, { strides: [stride, stride], gain: RELU_GAIN }));
  out = conv2d(b, out, `${name}.conv2`, planes, planes, 3, { gain: 0.5 });
  out = seLayer(b, out, `${name}.se`, planes, d.seReduction);
  const residual =
    stride !== 1 || inplanes !== planes ? conv2d(b, x, `${name}.downsample.0`, inplanes, planes, 1, { strides: [stride, stride], pads: [0, 0, 0, 0] }) : x;
  return relu(b, b.op('Add', [out, residual]));
}

/** Builds the `speaker_encoder` role. */
export function buildSpeakerEncoder(opts: BuildOptions): Model {
  const d = xttsDims(opts.scale).speaker;
  const b = new GraphBuilder('xtts_speaker_encoder', { seed: componentSeed(opts.seed, 'speaker_encoder'), weights: opts.weights });
  const wav = b.input('wav_16k', DataType.FLOAT, [1, 'N']);
  const feats = b.scope('torch_spec', () => frontEnd(b, wav, d));
  const emb = b.scope('speaker_encoder', () => {
    let x = b.op('Unsqueeze', [feats, b.constInt64('image_axis', [1])]);
    x = batchNorm(b, relu(b, conv2d(b, x, 'conv1', 1, d.filters[0] ?? 1, 3, { gain: RELU_GAIN })), 'bn1', d.filters[0] ?? 1);
    let inplanes = d.filters[0] ?? 1;
    d.layers.forEach((blocks, li) => {
      const planes = d.filters[li] ?? 1;
      for (let i = 0; i < blocks; i++) {
        x = seBasicBlock(b, x, `layer${li + 1}.${i}`, inplanes, planes, i === 0 && li > 0 ? 2 : 1, d);
        inplanes = planes;
      }
    });
    const channels = inplanes * (d.mels / 8);
    const flat = reshape(b, x, [1, channels, -1]);
    let w = relu(b, conv1d(b, flat, 'attention.0', channels, d.attentionDim, 1, { gain: RELU_GAIN }));
    w = batchNorm(b, w, 'attention.2', d.attentionDim);
    w = b.op('Softmax', [conv1d(b, w, 'attention.3', d.attentionDim, channels, 1)], { axis: 2 });
    const sumAxis = b.constInt64('time_axis', [2]);
    const mu = b.op('ReduceSum', [b.op('Mul', [flat, w]), sumAxis], { keepdims: 0 });
    const sq = b.op('ReduceSum', [b.op('Mul', [b.op('Mul', [flat, flat]), w]), sumAxis], { keepdims: 0 });
    const variance = b.op('Sub', [sq, b.op('Mul', [mu, mu])]);
    const sg = b.op('Sqrt', [b.op('Max', [variance, scalar(b, 'asp_min', 1e-5)])]);
    const pooled = b.op('Concat', [mu, sg], { axis: 1 });
    const proj = linear(b, pooled, 'fc', 2 * channels, d.projDim);
    const norm = b.op('Max', [b.op('ReduceL2', [proj], { axes: [1], keepdims: 1 }), scalar(b, 'l2_eps', 1e-12)]);
    return b.op('Unsqueeze', [b.op('Div', [proj, norm]), b.constInt64('embedding_axis', [2])]);
  });
  b.output(emb, 'speaker_embedding', [1, d.projDim, 1]);
  return b.finish({ docString: `XTTS-v2 speaker encoder (SE-ResNet, ASP) with in-graph 16 kHz mel front end (${opts.scale} scale, seeded reference weights)` });
}
