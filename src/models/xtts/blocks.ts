/**
 * XTTS-only blocks (the generic ones live in ../layers.ts). Every block emits what a PyTorch opset-17
 * export of the module produces.
 */
import { f, type GraphBuilder } from '../../onnx/builder.js';
import type { Value } from '../../onnx/types.js';
import { reshape, scalar } from '../layers.js';

/** GPT-2's gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), with Pow as HF exports it. */
export function geluNew(b: GraphBuilder, x: Value): Value {
  const cube = b.op('Pow', [x, scalar(b, 'gelu_new_three', 3)]);
  const inner = b.op('Add', [x, b.op('Mul', [cube, scalar(b, 'gelu_new_c', 0.044715)])]);
  const t = b.op('Tanh', [b.op('Mul', [inner, scalar(b, 'gelu_new_k', Math.sqrt(2 / Math.PI))])]);
  const half = b.op('Mul', [x, scalar(b, 'gelu_new_half', 0.5)]);
  return b.op('Mul', [half, b.op('Add', [t, scalar(b, 'gelu_new_one', 1)])]);
}

/**
 * GroupNorm on [1, C, T] as exported at opset 17 (no GroupNormalization op before 18): Reshape to
 * [1, groups, -1] → InstanceNormalization (scale 1, bias 0) → Reshape back → per-channel affine.
 */
export function groupNorm1d(b: GraphBuilder, x: Value, name: string, channels: number, groups: number, eps = 1e-5): Value {
  const shape = b.op('Shape', [x]);
  const grouped = reshape(b, x, [0, groups, -1]);
  const ones = b.constFloat(`${name}.group_scale`, new Array<number>(groups).fill(1));
  const zeros = b.constFloat(`${name}.group_bias`, new Array<number>(groups).fill(0));
  const normed = b.op('InstanceNormalization', [grouped, ones, zeros], { epsilon: f(eps) }, { name: `${name}/InstanceNormalization` });
  const back = b.op('Reshape', [normed, shape]);
  const gamma = b.weight(`${name}.weight`, [channels, 1], { constant: 1 });
  const beta = b.weight(`${name}.bias`, [channels, 1], { constant: 0 });
  return b.op('Add', [b.op('Mul', [back, gamma]), beta]);
}

/**
 * The perceiver's RMSNorm: F.normalize(x, dim=-1) · √dim · gamma (ReduceL2 with an attribute at opset 17).
 */
export function rmsNorm(b: GraphBuilder, x: Value, name: string, dim: number): Value {
  const norm = b.op('ReduceL2', [x], { axes: [-1], keepdims: 1 });
  const denom = b.op('Max', [norm, scalar(b, `${name}.eps`, 1e-12)]);
  const gamma = b.weight(`${name}.gamma`, [dim], { constant: 1 });
  const scaled = b.op('Mul', [gamma, scalar(b, `${name}.scale`, Math.sqrt(dim))]);
  return b.op('Mul', [b.op('Div', [x, denom]), scaled]);
}

/** 1-D transposed convolution (HiFi-GAN upsampling): weight [cin, cout, k], bias 0. */
export function convTranspose1d(b: GraphBuilder, x: Value, name: string, cin: number, cout: number, kernel: number, stride: number, pad: number): Value {
  const w = b.weight(`${name}.weight`, [cin, cout, kernel], { fanIn: (cin * kernel) / stride });
  const bias = b.weight(`${name}.bias`, [cout], { constant: 0 });
  return b.op('ConvTranspose', [x, w, bias], { kernel_shape: [kernel], strides: [stride], pads: [pad, pad] }, { name: `${name}/ConvTranspose` });
}
