/**
 * Per-node cost from tensor shapes: multiply-accumulates, floating-point operations and bytes moved.
 *
 * Formulas (all counts per call of the node; `numel(T)` = element count, `bytes(T)` = numel × element size):
 *
 * - **Bytes.** `bytesRead` = Σ bytes(inputs); of it `paramBytes` = inputs that are parameters (initializers,
 *   constants) and `activationBytes` = the others. `bytesWritten` = Σ bytes(outputs). Unknown shapes count 0.
 * - **Conv / ConvInteger / QLinearConv**: MACs = numel(Y) × (C_in / group) × kernel volume = numel(Y) ×
 *   Π W.dims[1:]. A bias adds numel(Y) FLOPs.
 * - **ConvTranspose**: every input element meets (C_out / group) × kernel volume weights: MACs = numel(X) ×
 *   Π W.dims[1:]; a bias adds numel(Y) FLOPs.
 * - **MatMul / MatMulInteger / QLinearMatMul / FusedMatMul / MatMulIntegerToFloat**: MACs = numel(Y) × K
 *   (K = contracted length of A).
 * - **Gemm**: MACs = M × N × K; with C, + M × N FLOPs.
 * - **MatMulNBits** (com.microsoft): MACs = numel(Y) × K (attribute K); a bias adds numel(Y) FLOPs. The
 *   dequantization of the packed weights is not counted (it is fused into the product).
 * - **Einsum**: MACs = Π of the sizes of every label (and the ellipsis dims) when it has two operands,
 *   i.e. numel(output) × Π contracted sizes; one operand: numel(input) FLOPs (a sum or a copy).
 * - **Attention** (com.microsoft): QKV projection numel(X) × W.dims[1] plus QKᵀ B·S·L·Hq and AV B·S·L·Hv
 *   (L = past + S); **MultiHeadAttention**: QKᵀ B·S·L·Dqk + AV B·S·L·Dv. Both add 5 FLOPs per score
 *   (B·heads·S·L) for the softmax.
 * - **FLOPs** = 2 × MACs + elementwise work: `FLOPS_PER_ELEMENT[op]` × numel(Y) (Add/Mul/Relu/… 1,
 *   Sigmoid 4, Tanh 5, Erf 8, Gelu 8, Softmax 5, LayerNormalization 8, …; see the table); reductions and
 *   global pools numel(X); windowed pools numel(Y) × kernel volume.
 * - **Resize** (linear / cubic): 2 × taps FLOPs per output element, taps = 2^r (linear) or 4^r (cubic) over
 *   the r resized axes; nearest is a copy (0 FLOPs).
 * - **GridSample**: per output element (channels included) 2 × 2^d FLOPs for linear (d = spatial rank:
 *   bilinear 4 taps, trilinear 8 taps, a multiply and an add each), 2 × 4^d for cubic, 0 for nearest.
 *
 * Shape-only ops (Reshape, Transpose, Gather, Concat, Cast, …) cost bytes and no FLOPs.
 */
import { byteSize } from '../onnx/dtype.js';
import type { Attribute } from '../onnx/types.js';
import { einsumSizes, parseEinsum } from '../onnx/infer/matmul.js';
import { REDUCE_OPS } from '../onnx/infer/reduce.js';

/** A tensor of known element type and dims. */
export interface TensorShape {
  elemType: number;
  dims: number[];
}

export interface NodeCost {
  macs: number;
  flops: number;
  bytesRead: number;
  bytesWritten: number;
  /** Bytes of inputs that are parameters (weights). */
  paramBytes: number;
  /** Bytes of inputs that are activations. */
  activationBytes: number;
}

/** What costOf needs of a node: a graph Node satisfies it, the profiler passes an adapter of a trace event. */
export interface CostNode {
  opType: string;
  domain: string;
  attr(name: string): Attribute | undefined;
}

/** Elementwise FLOPs per output element. */
export const FLOPS_PER_ELEMENT: Readonly<Record<string, number>> = {
  Add: 1,
  Sub: 1,
  Mul: 1,
  Div: 1,
  Max: 1,
  Min: 1,
  Mod: 1,
  Equal: 1,
  Less: 1,
  Greater: 1,
  LessOrEqual: 1,
  GreaterOrEqual: 1,
  And: 1,
  Or: 1,
  Xor: 1,
  Not: 1,
  Where: 1,
  Relu: 1,
  Neg: 1,
  Abs: 1,
  Floor: 1,
  Ceil: 1,
  Round: 1,
  Sign: 1,
  Reciprocal: 1,
  Sqrt: 1,
  Exp: 1,
  Log: 1,
  Sin: 1,
  Cos: 1,
  Tan: 1,
  Pow: 1,
  Clip: 2,
  PRelu: 2,
  LeakyRelu: 2,
  Sum: 1,
  Mean: 1,
  CumSum: 1,
  Elu: 3,
  Selu: 3,
  Celu: 3,
  HardSigmoid: 3,
  HardSwish: 4,
  Softplus: 3,
  Softsign: 3,
  Sigmoid: 4,
  Tanh: 5,
  Mish: 7,
  Erf: 8,
  Gelu: 8,
  FastGelu: 8,
  QuickGelu: 5,
  BiasGelu: 9,
  Softmax: 5,
  LogSoftmax: 5,
  Hardmax: 2,
  BatchNormalization: 2,
  InstanceNormalization: 7,
  GroupNormalization: 7,
  LayerNormalization: 8,
  SimplifiedLayerNormalization: 6,
  SkipLayerNormalization: 9,
  SkipSimplifiedLayerNormalization: 7,
  LpNormalization: 3,
  MeanVarianceNormalization: 7,
  LRN: 6,
  QuantizeLinear: 3,
  DequantizeLinear: 2,
  DynamicQuantizeLinear: 4,
  Trilu: 0,
};

const REDUCTIONS = new Set<string>([...REDUCE_OPS, 'ArgMax', 'ArgMin']);

function numel(t: TensorShape | undefined): number {
  if (!t) return 0;
  let n = 1;
  for (const d of t.dims) n *= d;
  return n;
}

function bytes(t: TensorShape | undefined): number {
  return t ? byteSize(t.elemType, numel(t)) : 0;
}

function intAttr(node: CostNode, name: string, def: number): number {
  const a = node.attr(name);
  return a?.type === 'int' ? Number(a.value) : def;
}

function intsAttr(node: CostNode, name: string): number[] | undefined {
  const a = node.attr(name);
  return a?.type === 'ints' ? a.value.map(Number) : undefined;
}

function strAttr(node: CostNode, name: string, def: string): string {
  const a = node.attr(name);
  return a?.type === 'string' ? new TextDecoder().decode(a.value) : def;
}

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** MACs and extra (non-MAC) FLOPs of one node. */
function compute(node: CostNode, inputs: (TensorShape | undefined)[], outputs: (TensorShape | undefined)[]): { macs: number; extra: number } {
  const op = node.opType;
  const [x, w] = inputs;
  const y = outputs[0];
  const ny = numel(y);
  switch (op) {
    case 'Conv':
    case 'ConvInteger':
      return { macs: w ? ny * prod(w.dims.slice(1)) : 0, extra: inputs[2] && op === 'Conv' ? ny : 0 };
    case 'QLinearConv': {
      const qw = inputs[3];
      return { macs: qw ? ny * prod(qw.dims.slice(1)) : 0, extra: inputs[8] ? ny : 0 };
    }
    case 'ConvTranspose':
      return { macs: w ? numel(x) * prod(w.dims.slice(1)) : 0, extra: inputs[2] ? ny : 0 };
    case 'MatMul':
    case 'MatMulInteger':
    case 'MatMulIntegerToFloat':
      return { macs: x ? ny * (x.dims[x.dims.length - 1] ?? 1) : 0, extra: 0 };
    case 'QLinearMatMul':
      return { macs: x ? ny * (x.dims[x.dims.length - 1] ?? 1) : 0, extra: 0 };
    case 'FusedMatMul': {
      if (!x) return { macs: 0, extra: 0 };
      const r = x.dims.length;
      const k = intAttr(node, 'transA', 0) && r >= 2 ? x.dims[r - 2] : x.dims[r - 1];
      return { macs: ny * (k ?? 1), extra: 0 };
    }
    case 'Gemm': {
      if (!x) return { macs: 0, extra: 0 };
      const k = intAttr(node, 'transA', 0) ? x.dims[0] : x.dims[1];
      return { macs: ny * (k ?? 1), extra: inputs[2] ? ny : 0 };
    }
    case 'MatMulNBits': {
      const k = intAttr(node, 'K', x?.dims[x.dims.length - 1] ?? 0);
      return { macs: ny * k, extra: inputs[5] ? ny : 0 };
    }
    case 'Einsum':
      return einsumCost(node, inputs, ny);
    case 'Attention':
      return attentionCost(node, inputs);
    case 'MultiHeadAttention':
      return mhaCost(node, inputs, y);
    case 'MaxPool':
    case 'AveragePool':
    case 'LpPool':
      return { macs: 0, extra: ny * prod(intsAttr(node, 'kernel_shape') ?? []) };
    case 'Resize':
    case 'Upsample':
      return { macs: 0, extra: resizeFlops(node, x, y) };
    case 'GridSample': {
      const d = (y?.dims.length ?? 2) - 2;
      const mode = strAttr(node, 'mode', node.domain === 'com.microsoft' ? 'bilinear' : 'linear');
      const taps = mode === 'nearest' ? 0 : mode === 'cubic' || mode === 'bicubic' ? 4 ** d : 2 ** d;
      return { macs: 0, extra: ny * 2 * taps };
    }
    default:
      if (REDUCTIONS.has(op)) return { macs: 0, extra: numel(x) };
      return { macs: 0, extra: ny * (FLOPS_PER_ELEMENT[op] ?? 0) };
  }
}

function resizeFlops(node: CostNode, x: TensorShape | undefined, y: TensorShape | undefined): number {
  if (!x || !y) return 0;
  const mode = strAttr(node, 'mode', 'nearest');
  if (mode === 'nearest') return 0;
  const r = y.dims.filter((d, i) => d !== x.dims[i]).length;
  const taps = mode === 'cubic' ? 4 ** r : 2 ** r;
  return numel(y) * 2 * taps;
}

function einsumCost(node: CostNode, inputs: (TensorShape | undefined)[], ny: number): { macs: number; extra: number } {
  const a = node.attr('equation');
  if (a?.type !== 'string' || inputs.some((t) => !t)) return { macs: 0, extra: 0 };
  const spec = parseEinsum(new TextDecoder().decode(a.value));
  if (spec.inputs.length === 1) return { macs: 0, extra: numel(inputs[0]) };
  const { sizes, ellipsis } = einsumSizes(
    spec,
    inputs.map((t) => t?.dims ?? []),
  );
  let all = 1;
  for (const d of [...sizes.values(), ...ellipsis]) all *= typeof d === 'number' ? d : 0;
  // Two operands: every label combination is one multiply-accumulate; more operands: chained pairs, approximate.
  return { macs: spec.inputs.length === 2 ? all : Math.max(all, ny), extra: 0 };
}

function attentionCost(node: CostNode, inputs: (TensorShape | undefined)[]): { macs: number; extra: number } {
  const [x, w] = inputs;
  if (!x || !w) return { macs: 0, extra: 0 };
  const heads = intAttr(node, 'num_heads', 1);
  const [b = 1, s = 1] = x.dims;
  const qkv = intsAttr(node, 'qkv_hidden_sizes');
  const hq = qkv?.[0] ?? (w.dims[1] ?? 0) / 3;
  const hv = qkv?.[2] ?? hq;
  const past = inputs[4];
  const l = s + (past?.dims[3] ?? 0);
  const proj = numel(x) * (w.dims[1] ?? 0);
  return { macs: proj + b * s * l * (hq + hv), extra: 5 * b * heads * s * l + (inputs[2] ? b * s * (w.dims[1] ?? 0) : 0) };
}

function mhaCost(node: CostNode, inputs: (TensorShape | undefined)[], y: TensorShape | undefined): { macs: number; extra: number } {
  const [q, k, v] = inputs;
  if (!q || !y) return { macs: 0, extra: 0 };
  const heads = intAttr(node, 'num_heads', 1);
  const [b = 1, s = 1] = q.dims;
  const dv = y.dims[2] ?? 0;
  const dqk = q.dims.length === 5 ? (q.dims[2] ?? 0) * (q.dims[4] ?? 0) : (q.dims[2] ?? 0);
  let l = s;
  if (k?.dims.length === 3 || k?.dims.length === 5) l = k.dims[1] ?? s;
  else if (k?.dims.length === 4) l = k.dims[2] ?? s;
  else if (v?.dims.length === 3) l = v.dims[1] ?? s;
  l += inputs[6]?.dims[2] ?? 0;
  return { macs: b * s * l * (dqk + dv), extra: 5 * b * heads * s * l };
}

/** Cost of one node from its input / output shapes; `isParam[i]` marks inputs that are weights. */
export function costOf(node: CostNode, inputs: (TensorShape | undefined)[], outputs: (TensorShape | undefined)[], isParam: boolean[]): NodeCost {
  const { macs, extra } = compute(node, inputs, outputs);
  let paramBytes = 0;
  let activationBytes = 0;
  inputs.forEach((t, i) => {
    if (isParam[i]) paramBytes += bytes(t);
    else activationBytes += bytes(t);
  });
  const bytesWritten = outputs.reduce((a, t) => a + bytes(t), 0);
  return { macs, flops: 2 * macs + extra, bytesRead: paramBytes + activationBytes, bytesWritten, paramBytes, activationBytes };
}
