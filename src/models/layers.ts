/**
 * Reusable neural-network blocks for the reference builders (Ditto, XTTS), written against GraphBuilder.
 * Each block emits the ONNX operators a PyTorch export of the same module produces (Conv with bias,
 * MatMul + Add for Linear, LayerNormalization, InstanceNormalization, Erf-based GELU, …) and creates
 * its weights with `b.weight`, so a graph built with `weights: 'none'` counts parameters without bytes.
 *
 * Weight names follow module paths: pass `name` like `encoder.layers.0.fc1` (the builder adds its scope).
 * Init: fan-in scaled uniform (std = gain/√fanIn); norm scales 1, biases 0; BN running mean 0, var 1.
 */
import { f, type GraphBuilder } from '../onnx/builder.js';
import type { Value } from '../onnx/types.js';

/** He gain for layers followed by ReLU-like activations. */
export const RELU_GAIN = Math.SQRT2;

export interface ConvOptions {
  /** Kernel size per spatial axis (its length sets the rank: 1 = Conv1d, 2 = Conv2d, 3 = Conv3d). */
  kernel: number[];
  strides?: number[];
  /** ONNX pads [begin..., end...]; default 'same' for odd kernels at stride 1 (k//2 each side). */
  pads?: number[];
  dilations?: number[];
  groups?: number;
  /** Default true. */
  bias?: boolean;
  /** Init gain (default 1; use RELU_GAIN before ReLU). */
  gain?: number;
}

/** N-d convolution with an optional bias; weight [cout, cin/groups, ...kernel]. */
export function conv(b: GraphBuilder, x: Value, name: string, cin: number, cout: number, o: ConvOptions): Value {
  const groups = o.groups ?? 1;
  const k = o.kernel;
  const fanIn = (cin / groups) * k.reduce((a, c) => a * c, 1);
  const w = b.weight(`${name}.weight`, [cout, cin / groups, ...k], { fanIn, gain: o.gain ?? 1 });
  const bias = o.bias === false ? undefined : b.weight(`${name}.bias`, [cout], { constant: 0 });
  const pads = o.pads ?? [...k.map((d) => Math.floor(d / 2)), ...k.map((d) => Math.floor(d / 2))];
  const attrs: Record<string, number[] | number> = { kernel_shape: k, pads, strides: o.strides ?? k.map(() => 1) };
  if (o.dilations) attrs.dilations = o.dilations;
  if (groups !== 1) attrs.group = groups;
  return b.op('Conv', bias ? [x, w, bias] : [x, w], attrs, { name: `${name}/Conv` });
}

export function conv1d(b: GraphBuilder, x: Value, name: string, cin: number, cout: number, kernel: number, o: Omit<ConvOptions, 'kernel'> = {}): Value {
  return conv(b, x, name, cin, cout, { ...o, kernel: [kernel] });
}

export function conv2d(b: GraphBuilder, x: Value, name: string, cin: number, cout: number, kernel: number, o: Omit<ConvOptions, 'kernel'> = {}): Value {
  return conv(b, x, name, cin, cout, { ...o, kernel: [kernel, kernel] });
}

export function conv3d(b: GraphBuilder, x: Value, name: string, cin: number, cout: number, kernel: number, o: Omit<ConvOptions, 'kernel'> = {}): Value {
  return conv(b, x, name, cin, cout, { ...o, kernel: [kernel, kernel, kernel] });
}

/** Inference BatchNormalization (any rank, channels on axis 1): scale 1, bias 0, mean 0, var 1. */
export function batchNorm(b: GraphBuilder, x: Value, name: string, channels: number, eps = 1e-5): Value {
  const scale = b.weight(`${name}.weight`, [channels], { constant: 1 });
  const bias = b.weight(`${name}.bias`, [channels], { constant: 0 });
  const mean = b.weight(`${name}.running_mean`, [channels], { constant: 0 });
  const variance = b.weight(`${name}.running_var`, [channels], { constant: 1 });
  return b.op('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: f(eps) }, { name: `${name}/BatchNormalization` });
}

/**
 * InstanceNormalization over the spatial axes. ONNX always takes scale and bias; for `affine: false`
 * (PyTorch's default) the exporter writes constant 1/0 tensors, and so do we.
 */
export function instanceNorm(b: GraphBuilder, x: Value, name: string, channels: number, eps = 1e-5): Value {
  const scale = b.weight(`${name}.weight`, [channels], { constant: 1 });
  const bias = b.weight(`${name}.bias`, [channels], { constant: 0 });
  return b.op('InstanceNormalization', [x, scale, bias], { epsilon: f(eps) }, { name: `${name}/InstanceNormalization` });
}

/** LayerNormalization over the last axis (opset ≥ 17). */
export function layerNorm(b: GraphBuilder, x: Value, name: string, dim: number, eps = 1e-5): Value {
  const scale = b.weight(`${name}.weight`, [dim], { constant: 1 });
  const bias = b.weight(`${name}.bias`, [dim], { constant: 0 });
  return b.op('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: f(eps) }, { name: `${name}/LayerNormalization` });
}

/** LayerNorm over axis 1 of an NC… tensor (ConvNeXt "channels_first"): Transpose → LN → Transpose. */
export function layerNormChannelsFirst(b: GraphBuilder, x: Value, name: string, channels: number, rank: number, eps = 1e-6): Value {
  const toLast = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
  const toFirst = [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
  const t = b.op('Transpose', [x], { perm: toLast });
  return b.op('Transpose', [layerNorm(b, t, name, channels, eps)], { perm: toFirst });
}

export interface LinearOptions {
  bias?: boolean;
  gain?: number;
  /** Explicit init std (overrides gain/fan-in). */
  std?: number;
  /**
   * Per-output-column init gain (length outDim): column j gets std = columnGain[j]/√inDim, so for an input
   * of unit RMS output j has std ≈ columnGain[j]. Overrides gain/std. Used by output heads whose outputs
   * live on different scales (pose logits vs. translations).
   */
  columnGain?: readonly number[];
  /** Bias init values (length outDim) instead of zeros. */
  biasInit?: readonly number[];
}

/**
 * Rewrites the float32 values of a weight the builder just made (`b.weight`), in place. No-op for
 * placeholders (weights 'none'), so parameter counting stays free.
 */
export function setWeightValues(v: Value, fill: (data: Float32Array) => void): void {
  const t = v.initializer;
  if (!t || t.placeholder || t.data.byteLength === 0) return;
  if (t.data.byteOffset % 4 !== 0) throw new RangeError(`weight '${v.name}' is not 4-byte aligned`);
  fill(new Float32Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 4));
}

/** PyTorch Linear as exported: MatMul with a [in, out] weight, then Add bias. */
export function linear(b: GraphBuilder, x: Value, name: string, inDim: number, outDim: number, o: LinearOptions = {}): Value {
  const cg = o.columnGain;
  if (cg && cg.length !== outDim) throw new RangeError(`${name}: columnGain has ${cg.length} entries for ${outDim} outputs`);
  if (o.biasInit && o.biasInit.length !== outDim) throw new RangeError(`${name}: biasInit has ${o.biasInit.length} entries for ${outDim} outputs`);
  const w = b.weight(`${name}.weight`, [inDim, outDim], cg ? { fanIn: inDim } : o.std !== undefined ? { std: o.std } : { fanIn: inDim, gain: o.gain ?? 1 });
  if (cg)
    setWeightValues(w, (d) => {
      for (let i = 0; i < inDim; i++) for (let j = 0; j < outDim; j++) d[i * outDim + j] = (d[i * outDim + j] as number) * (cg[j] as number);
    });
  const y = b.op('MatMul', [x, w], {}, { name: `${name}/MatMul` });
  if (o.bias === false) return y;
  const bias = b.weight(`${name}.bias`, [outDim], { constant: 0 });
  const bi = o.biasInit;
  if (bi) setWeightValues(bias, (d) => d.set(bi));
  return b.op('Add', [y, bias], {}, { name: `${name}/Add` });
}

export function relu(b: GraphBuilder, x: Value): Value {
  return b.op('Relu', [x]);
}

export function leakyRelu(b: GraphBuilder, x: Value, alpha = 0.2): Value {
  return b.op('LeakyRelu', [x], { alpha: f(alpha) });
}

export function sigmoid(b: GraphBuilder, x: Value): Value {
  return b.op('Sigmoid', [x]);
}

/** Scalar float constant (one per builder and value would be nicer; exporters duplicate them too). */
export function scalar(b: GraphBuilder, name: string, v: number): Value {
  return b.constFloat(name, [v], []);
}

/** Exact GELU as PyTorch exports it: 0.5·x·(1 + erf(x/√2)). */
export function gelu(b: GraphBuilder, x: Value): Value {
  const e = b.op('Erf', [b.op('Div', [x, scalar(b, 'gelu_sqrt2', Math.SQRT2)])]);
  const one = b.op('Add', [e, scalar(b, 'gelu_one', 1)]);
  return b.op('Mul', [b.op('Mul', [x, one]), scalar(b, 'gelu_half', 0.5)]);
}

/** SiLU as x·sigmoid(x). */
export function silu(b: GraphBuilder, x: Value): Value {
  return b.op('Mul', [x, b.op('Sigmoid', [x])]);
}

/** Mish as x·tanh(softplus(x)). */
export function mish(b: GraphBuilder, x: Value): Value {
  return b.op('Mul', [x, b.op('Tanh', [b.op('Softplus', [x])])]);
}

export function add(b: GraphBuilder, x: Value, y: Value): Value {
  return b.op('Add', [x, y]);
}

export function mul(b: GraphBuilder, x: Value, y: Value): Value {
  return b.op('Mul', [x, y]);
}

/** Reshape to a constant shape (0 = copy that dim, -1 = infer). */
export function reshape(b: GraphBuilder, x: Value, shape: number[]): Value {
  return b.op('Reshape', [x, b.constInt64('shape', shape)]);
}

export function transpose(b: GraphBuilder, x: Value, perm: number[]): Value {
  return b.op('Transpose', [x], { perm });
}

/** Slice along one axis [start, end). */
export function slice(b: GraphBuilder, x: Value, axis: number, start: number, end: number): Value {
  return b.op('Slice', [x, b.constInt64('starts', [start]), b.constInt64('ends', [end]), b.constInt64('axes', [axis])]);
}

export function concat(b: GraphBuilder, xs: Value[], axis: number): Value {
  return b.op('Concat', xs, { axis });
}

/** Nearest-neighbour upsampling by integer factors per axis (Resize, opset ≥ 13 form). */
export function upsampleNearest(b: GraphBuilder, x: Value, scales: number[]): Value {
  return b.op('Resize', [x, undefined, b.constFloat('scales', scales)], {
    mode: 'nearest',
    coordinate_transformation_mode: 'asymmetric',
    nearest_mode: 'floor',
  });
}

export interface AttentionShape {
  heads: number;
  /** Model width (heads × head dim). */
  dim: number;
}

/**
 * Scaled dot-product attention core on already projected q, k, v of shape [B, S, dim]:
 * split heads → softmax(q·kᵀ/√d + mask) · v → merge heads. Returns [B, Sq, dim].
 * `mask` is added to the [B, H, Sq, Sk] scores (0 / −inf style, broadcastable).
 */
export function attentionCore(b: GraphBuilder, q: Value, k: Value, v: Value, s: AttentionShape, mask?: Value): Value {
  const hd = s.dim / s.heads;
  const split = (x: Value, perm: number[]): Value => transpose(b, reshape(b, x, [0, 0, s.heads, hd]), perm);
  const qh = split(q, [0, 2, 1, 3]);
  const kt = split(k, [0, 2, 3, 1]);
  const vh = split(v, [0, 2, 1, 3]);
  let scores = b.op('Mul', [b.op('MatMul', [qh, kt]), scalar(b, 'attn_scale', 1 / Math.sqrt(hd))]);
  if (mask) scores = b.op('Add', [scores, mask]);
  const p = b.op('Softmax', [scores], { axis: -1 });
  const o = transpose(b, b.op('MatMul', [p, vh]), [0, 2, 1, 3]);
  return reshape(b, o, [0, 0, s.dim]);
}

export interface MhaOptions extends AttentionShape {
  /** Separate key/value source (cross-attention); default self-attention on `x`. */
  kv?: Value;
  /** Pre-computed inputs for q/k (e.g. with rotary applied) – v always comes from kv ?? x. */
  qIn?: Value;
  kIn?: Value;
  mask?: Value;
  bias?: boolean;
  /** Init gain of the output projection (scale residual branches down). */
  outGain?: number;
}

/**
 * nn.MultiheadAttention-style block: q/k/v in-projections, attention core, out-projection.
 * Weights: `${name}.q_proj`, `.k_proj`, `.v_proj`, `.out_proj`.
 */
export function multiHeadAttention(b: GraphBuilder, x: Value, name: string, o: MhaOptions): Value {
  const kvSrc = o.kv ?? x;
  const bias = o.bias ?? true;
  const q = linear(b, o.qIn ?? x, `${name}.q_proj`, o.dim, o.dim, { bias });
  const k = linear(b, o.kIn ?? kvSrc, `${name}.k_proj`, o.dim, o.dim, { bias });
  const v = linear(b, kvSrc, `${name}.v_proj`, o.dim, o.dim, { bias });
  const a = attentionCore(b, q, k, v, o, o.mask);
  return linear(b, a, `${name}.out_proj`, o.dim, o.dim, { bias, gain: o.outGain ?? 1 });
}

/** Transformer FFN: Linear → GELU → Linear. */
export function feedForward(b: GraphBuilder, x: Value, name: string, dim: number, hidden: number, outGain = 1): Value {
  const h = gelu(b, linear(b, x, `${name}.fc1`, dim, hidden));
  return linear(b, h, `${name}.fc2`, hidden, dim, { gain: outGain });
}

/**
 * A Reduce* node in the form the builder's opset wants: `axes` is an input for ReduceSum from opset 13
 * and for every other reduction from opset 18, an attribute before that.
 */
export function reduce(b: GraphBuilder, op: 'ReduceMean' | 'ReduceSum' | 'ReduceL2' | 'ReduceMax', x: Value, axes: number[], keepdims = true): Value {
  const axesAsInput = op === 'ReduceSum' ? b.options.opset >= 13 : b.options.opset >= 18;
  if (axesAsInput) return b.op(op, [x, b.constInt64('axes', axes)], { keepdims: keepdims ? 1 : 0 });
  return b.op(op, [x], { axes, keepdims: keepdims ? 1 : 0 });
}
