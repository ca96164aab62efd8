/**
 * The weight side of the int8 passes: which nodes get int8 weights (and why the others do not), and the
 * weight-only dequantization that QDQ graphs feed them.
 *
 * Per-channel axis, per op (the output-channel axis of the weight):
 * - Conv `[M, C/g, k…]` → 0; ConvTranspose `[C, M/g, k…]` → 1;
 * - MatMul `[…, K, N]` → the last; Gemm `[K, N]` → 1, or 0 when `transB`.
 *
 * DequantizeLinear takes a per-channel `axis` only from opset 13. Below it, a per-channel weight is
 * dequantized as DequantizeLinear(q, 1, 0) → Mul(scale shaped along the axis): the same float32 products
 * as a per-axis DequantizeLinear, bit for bit. Quantizing per tensor instead (one scale for every channel)
 * is far worse on folded-BatchNorm convolutions: on the PP-OCR detector (opset 11) one depthwise conv's
 * weights fell from 42 to 22 dB SQNR and the model's output cosine from 0.998 to 0.959.
 */
import { DataType } from '../onnx/dtype.js';
import { makeTensor, readFloats } from '../onnx/tensor.js';
import type { Graph, Model, Node, Tensor, Value } from '../onnx/types.js';
import { NodeInserter, addInitializer, bump, constantTensor, intAttr, isOnnxDomain, listSubgraphs, makeNode, out0, type PassReport } from './common.js';
import { quantizeWeightInt8, type WeightQMax } from './qmath.js';

export interface Int8TargetOptions {
  opTypes: readonly string[];
  nodesToExclude: readonly string[];
  nodesToQuantize: readonly string[] | undefined;
  minWeightElements: number;
}

export interface Target {
  node: Node;
  graph: Graph;
  /** Index of the weight input. */
  wIndex: number;
  weight: Tensor;
  /** Per-channel (output-channel) axis of the weight. */
  axis: number;
}

/** A node of a quantized op type that kept its float weight, and why (in the pass report's details). */
export interface SkippedNode {
  node: string;
  opType: string;
  reason: string;
}

function channelAxis(n: Node, w: Tensor): number {
  if (n.opType === 'Conv') return 0;
  if (n.opType === 'ConvTranspose') return 1;
  if (n.opType === 'Gemm') return intAttr(n, 'transB', 0) ? 0 : 1;
  return w.dims.length - 1;
}

/**
 * Products summed per output value: K of a MatMul/Gemm, C/group × ∏kernel of a Conv (9 for a depthwise
 * 3×3). Integer (QOperator) arithmetic rounds every activation term, and only a long sum averages that out.
 */
export function reductionLength(t: Target): number {
  const d = t.weight.dims;
  const kernel = d.slice(2).reduce((a, b) => a * b, 1);
  if (t.node.opType === 'Conv') return (d[1] ?? 1) * kernel;
  if (t.node.opType === 'ConvTranspose') return ((d[0] ?? 1) / intAttr(t.node, 'group', 1)) * kernel;
  if (t.node.opType === 'Gemm') return (intAttr(t.node, 'transB', 0) ? d[1] : d[0]) ?? 1;
  return d[d.length - 2] ?? 1;
}

/** The nodes to quantize; every other node of a quantized op type is listed in `report.details.skipped`. */
/** The counters the shared int8 weight helpers add (`skipped.<why>`: nodes of a quantized op type left float). */
export type Int8WeightStat = 'perChannelViaMul' | `skipped.${string}`;

export function findTargets(m: Model, o: Int8TargetOptions, report: PassReport<Int8WeightStat>, passName: string): Target[] {
  const ops = new Set(o.opTypes);
  const exclude = new Set(o.nodesToExclude);
  const only = o.nodesToQuantize ? new Set(o.nodesToQuantize) : undefined;
  const out: Target[] = [];
  const skipped: SkippedNode[] = [];
  const skip = (n: Node, stat: string, reason: string): void => {
    bump(report, `skipped.${stat}`);
    skipped.push({ node: n.name, opType: n.opType, reason });
  };
  const visit = (g: Graph): void => {
    for (const n of g.nodes) {
      for (const sg of listSubgraphs(n)) visit(sg);
      if (!isOnnxDomain(n) || !ops.has(n.opType) || (only && !only.has(n.name))) continue;
      if (exclude.has(n.name)) {
        skip(n, 'excluded', 'in nodesToExclude');
        continue;
      }
      const wIndex = 1;
      const w = constantTensor(n.inputs[wIndex]);
      if (!w || w.dataType !== DataType.FLOAT) {
        skip(n, 'nonConstantWeight', 'weight is not a constant float32 tensor');
        continue;
      }
      let count = 1;
      for (const d of w.dims) count *= d;
      if (count < o.minWeightElements) {
        skip(n, 'small', `weight has ${count} elements, fewer than minWeightElements (${o.minWeightElements})`);
        continue;
      }
      if (n.opType === 'MatMul' && w.dims.length < 2) {
        skip(n, 'vectorWeight', 'MatMul weight is a vector');
        continue;
      }
      out.push({ node: n, graph: g, wIndex, weight: w, axis: channelAxis(n, w) });
    }
  };
  visit(m.graph);
  if (skipped.length) report.details = { ...(report.details ?? {}), skipped };
  if (out.length === 0)
    report.warnings.push({ pass: passName, code: 'nothing-quantized', message: 'no MatMul/Gemm/Conv with a constant float32 weight was found' });
  return out;
}

/**
 * Symmetric int8 weight (codes within ±`qmax`) + its dequantization, inserted before the target node;
 * returns the float weight value to feed it. Per channel (when `perChannel`) at any opset: a per-axis DequantizeLinear from opset
 * 13, DequantizeLinear + Mul below (see the module docs).
 */
export function weightDq(
  t: Target,
  perChannel: boolean,
  namer: (b: string) => string,
  ins: NodeInserter,
  opset: number,
  report: PassReport<Int8WeightStat>,
  qmax: WeightQMax = 127,
): Value {
  const w = readFloats(t.weight);
  const axis = perChannel ? t.axis : undefined;
  const qw = quantizeWeightInt8(w, t.weight.dims, axis, true, qmax);
  const base = t.weight.name || t.node.name;
  const viaMul = axis !== undefined && opset < 13;
  const qv = addInitializer(t.graph, makeTensor(namer(`${base}_quantized`), DataType.INT8, t.weight.dims, qw.q));
  const scaleDims = axis === undefined || viaMul ? [] : [qw.scale.length];
  const dqScale = viaMul ? new Float32Array([1]) : qw.scale;
  const sv = addInitializer(t.graph, makeTensor(namer(`${base}_scale`), DataType.FLOAT, scaleDims, dqScale));
  const zv = addInitializer(t.graph, makeTensor(namer(`${base}_zero_point`), DataType.INT8, scaleDims, new Int8Array(dqScale.length)));
  const attrs: Node['attributes'] = axis === undefined || viaMul ? [] : [{ name: 'axis', attr: { type: 'int', value: BigInt(axis) } }];
  const dq = makeNode('DequantizeLinear', namer(`${base}_DequantizeLinear`), [qv, sv, zv], namer(`${base}_dequantized`), DataType.FLOAT, attrs);
  ins.insertBefore(t.node, dq);
  let result = out0(dq);
  if (viaMul) {
    const dims = t.weight.dims.map((d, i) => (i === axis ? d : 1));
    const cs = addInitializer(t.graph, makeTensor(namer(`${base}_channel_scale`), DataType.FLOAT, dims, qw.scale));
    const mul = makeNode('Mul', namer(`${base}_channel_scale_mul`), [result, cs], namer(`${base}_dequantized_per_channel`), DataType.FLOAT);
    ins.insertBefore(t.node, mul);
    result = out0(mul);
    bump(report, 'perChannelViaMul');
  }
  result.type = { kind: 'tensor', elemType: DataType.FLOAT, shape: [...t.weight.dims] };
  return result;
}
