/**
 * The `int8` passes.
 *
 * Dynamic (`int8Dynamic`): int8 weights for MatMul / Gemm / Conv with a constant weight, per output channel
 * by default (axes per op: see `int8-weights.ts`). The *format* follows the target execution provider:
 * - `cuda` (default) → weight-only QDQ: int8 initializer → DequantizeLinear(axis) → the unchanged float op.
 *   ORT's CUDA EP has DequantizeLinear kernels; nothing falls back to the CPU. Below opset 13 (no `axis`
 *   on DequantizeLinear) per-channel scales are applied by a Mul after it, not dropped to one per tensor.
 * - `cpu` → ORT's QOperator form: DynamicQuantizeLinear(x) + MatMulInteger / ConvInteger + rescale, per
 *   channel at any opset (the rescale is a Mul). Weights are uint8 (zero point 128) for both ops: ORT's
 *   u8×u8 GEMM cannot saturate, its u8×s8 one does on AVX2 without VNNI (see `reduceRange`). These only have CPU kernels; asking for this format with
 *   `targetEp: 'cuda'` returns a `no-kernel-on-target` warning (on an H100, ConvInteger on the CPU made a
 *   conv decoder 480× slower: peer-measurements.md).
 *
 * Opset: DequantizeLinear, MatMulInteger and ConvInteger need opset 10, DynamicQuantizeLinear 11. A model
 * below that (PP-OCR's classifier is opset 9) has its default-domain opset raised, with the few ops whose
 * form changed rewritten (`opset-upgrade.ts`; `upgradeOpset: false` makes it an error instead).
 *
 * The report lists every node of a quantized op type that kept its float weight and why
 * (`details.skipped`).
 *
 * Static (`int8Static`): the same weights plus QuantizeLinear → DequantizeLinear on the activation input
 * of each quantized node, from calibrated ranges (see `calibrate.ts`); uint8 asymmetric for `cpu`, int8
 * symmetric for `cuda`; for `cpu` the weights of those nodes get the 7-bit range by default (`reduceRange`).
 */
import { PassError } from '../errors.js';
import { DataType } from '../onnx/dtype.js';
import { cloneModel, createNamer } from '../onnx/graph-utils.js';
import { makeTensor, readFloats } from '../onnx/tensor.js';
import { Node, Value, type Graph, type Model } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import {
  NodeInserter,
  addInitializer,
  bump,
  constantTensor,
  intAttr,
  listSubgraphs,
  makeNode,
  newReport,
  out0,
  recordPass,
  type PassResult,
} from './common.js';
import { propagateElemTypes } from './elem-types.js';
import { findTargets, reductionLength, weightDq, type Int8WeightStat, type SkippedNode, type Target } from './int8-weights.js';
import { ensureOpset, type OpsetUpgradeStat } from './opset-upgrade.js';
import { activationParams, quantizeWeightInt8, weightQMax, type WeightQMax } from './qmath.js';

export const INT8_DYNAMIC_NAME = 'int8-dynamic';
export const INT8_STATIC_NAME = 'int8-static';

/** The int8 passes' counters (`quantized.<opType>` per op type), with those of their shared helpers. */
export type Int8Stat =
  | 'nodesQuantized'
  | `quantized.${string}`
  | 'weightOnlyShortReduction'
  | 'fellBackToQdq'
  | 'initializersRemoved'
  | 'weightsQuantized'
  | 'activationsQuantized'
  | Int8WeightStat
  | OpsetUpgradeStat;

export type TargetEp = 'cuda' | 'cpu';
export type Int8Format = 'auto' | 'qdq' | 'qoperator';

export interface Int8DynamicOptions {
  /** Execution provider the model is meant for; picks the format (default 'cuda'). */
  targetEp?: TargetEp;
  /** 'auto' = QDQ for cuda, QOperator for cpu (default 'auto'). */
  format?: Int8Format;
  /** Op types to quantize (default MatMul, Gemm, Conv). */
  opTypes?: readonly string[];
  /** Per-channel weight scales (default true). */
  perChannel?: boolean;
  /** Node names never quantized (default none). */
  nodesToExclude?: readonly string[];
  /** Only these node names when given (default: all). */
  nodesToQuantize?: readonly string[];
  /** Weights with fewer elements stay float (default 0: quantize all). */
  minWeightElements?: number;
  /**
   * When the model's default-domain opset is below what the format's ops need (QDQ 10, QOperator 11),
   * raise it, rewriting the ops whose form changed (default true; false = error).
   */
  upgradeOpset?: boolean;
  /**
   * QOperator format only: a node summing fewer products per output value than this (`reductionLength`:
   * a depthwise 3×3 conv sums 9, a 1×1 conv over 16 channels 16) takes the weight-only QDQ form instead of
   * ConvInteger/MatMulInteger (default 32; 0 = integer ops wherever possible). DynamicQuantizeLinear rounds
   * the whole activation tensor to 256 levels and a short sum passes that rounding straight through: on
   * the PP-OCR detector the integer form of its early depthwise and 16-channel 1×1 convs took the output
   * cosine from 0.998 (weight-only) to 0.82.
   */
  qoperatorMinReduction?: number;
  /**
   * 7-bit weights (codes in ±63, scale = max|w| / 63) wherever the weight meets a uint8 activation in
   * ORT's u8×s8 integer GEMM, as ORT's `reduce_range=True`. Why: on x86 AVX2 without VNNI that GEMM
   * multiplies with VPMADDUBSW, which adds two adjacent u8·s8 products into a saturating int16;
   * 255·127·2 = 64770 overflows it, 255·63·2 = 32130 cannot. 'auto' (default) = on where that GEMM is used:
   * the static pass for `targetEp: 'cpu'` (ORT fuses its uint8-activation QDQ into QLinearMatMul /
   * QLinearConv; hubert went from cos 0.982 to 0.9997 on the AVX2 CI machine). Off for the dynamic pass:
   * its QOperator form uses uint8 weights (u8×u8 GEMM, no saturation, full 8 bits). true applies it to every
   * weight that meets integer arithmetic (QOperator nodes; static nodes with a quantized activation);
   * weight-only nodes always keep 8 bits. docs/ARCHITECTURE.md (int8 on AVX2) has the figures.
   */
  reduceRange?: boolean | 'auto';
}

export const INT8_DYNAMIC_DEFAULTS: Required<Omit<Int8DynamicOptions, 'nodesToQuantize'>> & { nodesToQuantize: readonly string[] | undefined } = {
  targetEp: 'cuda',
  format: 'auto',
  opTypes: ['MatMul', 'Gemm', 'Conv'],
  perChannel: true,
  nodesToExclude: [],
  nodesToQuantize: undefined,
  minWeightElements: 0,
  upgradeOpset: true,
  qoperatorMinReduction: 32,
  reduceRange: 'auto',
};

/**
 * Whether weights feeding integer arithmetic get the 7-bit range (see `Int8DynamicOptions.reduceRange`):
 * 'auto' is on only for the static pass on the CPU target (the dynamic QOperator form is u8×u8).
 */
export function resolveReduceRange(o: { reduceRange: boolean | 'auto'; targetEp: TargetEp }, pass: 'dynamic' | 'static'): boolean {
  return o.reduceRange === 'auto' ? pass === 'static' && o.targetEp === 'cpu' : o.reduceRange;
}

/** What ORT 1.29 has kernels for, per EP (used for the fallback warnings). */
const KERNELS: Record<TargetEp, Set<string>> = {
  cpu: new Set(['DequantizeLinear', 'QuantizeLinear', 'DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger']),
  cuda: new Set(['DequantizeLinear', 'QuantizeLinear']),
};

/** Removes initializers nothing uses any more (the replaced float weights). */
function dropUnusedInitializers(g: Graph): number {
  const used = new Set<Value>();
  const mark = (x: Graph): void => {
    for (const n of x.nodes) {
      for (const v of n.inputs) if (v) used.add(v);
      for (const sg of listSubgraphs(n)) mark(sg);
    }
    for (const v of x.outputs) used.add(v);
  };
  mark(g);
  let removed = 0;
  const sweep = (x: Graph): void => {
    const inputs = new Set(x.inputs);
    const before = x.initializers.length;
    x.initializers = x.initializers.filter((v) => used.has(v) || inputs.has(v));
    removed += before - x.initializers.length;
    x.valueInfo = x.valueInfo.filter((v) => !v.initializer || used.has(v));
    for (const n of x.nodes) for (const sg of listSubgraphs(n)) sweep(sg);
  };
  sweep(g);
  return removed;
}

function resolveFormat(o: typeof INT8_DYNAMIC_DEFAULTS): 'qdq' | 'qoperator' {
  return o.format === 'auto' ? (o.targetEp === 'cpu' ? 'qoperator' : 'qdq') : o.format;
}

/** Runs dynamic int8 quantization and returns the model with a report. */
export function int8DynamicWithReport(model: Model, options: Int8DynamicOptions = {}): PassResult<Int8Stat> {
  const o = { ...INT8_DYNAMIC_DEFAULTS, ...options };
  const format = resolveFormat(o);
  const reduceRange = resolveReduceRange(o, 'dynamic');
  const report = newReport<Int8Stat>(INT8_DYNAMIC_NAME, { ...o, resolvedFormat: format, resolvedReduceRange: reduceRange });
  const m = cloneModel(model);
  const opset =
    format === 'qoperator'
      ? ensureOpset(m, 11, 'DynamicQuantizeLinear needs opset 11', o.upgradeOpset, report)
      : ensureOpset(m, 10, 'DequantizeLinear needs opset 10', o.upgradeOpset, report);
  const namer = createNamer(m.graph);
  const targets = findTargets(m, o, report, INT8_DYNAMIC_NAME);
  const inserters = new Map<Graph, NodeInserter>();
  const ins = (g: Graph): NodeInserter => inserters.get(g) ?? (inserters.set(g, new NodeInserter(g)).get(g) as NodeInserter);
  const removeNodes = new Set<Node>();
  const types = propagateElemTypes(m.graph);
  const usedOps = new Set<string>();
  const weightOnly: SkippedNode[] = [];
  for (const t of targets) {
    const x = t.node.inputs[0];
    const xFloat = x && types.get(x) === DataType.FLOAT;
    const shortSum = format === 'qoperator' && reductionLength(t) < o.qoperatorMinReduction;
    if (format === 'qoperator' && xFloat && qoperatorSupported(t) && !shortSum) {
      rewriteQOperator(t, o.perChannel, weightQMax(reduceRange), namer, ins(t.graph), removeNodes);
      usedOps.add('DynamicQuantizeLinear');
      usedOps.add(t.node.opType === 'Conv' ? 'ConvInteger' : 'MatMulInteger');
      bump(report, 'nodesQuantized');
      bump(report, `quantized.${t.node.opType}`);
      continue;
    }
    if (shortSum) {
      bump(report, 'weightOnlyShortReduction');
      weightOnly.push({
        node: t.node.name,
        opType: t.node.opType,
        reason: `sums ${reductionLength(t)} products per output (< qoperatorMinReduction ${o.qoperatorMinReduction}): integer arithmetic would pass activation rounding through`,
      });
    } else if (format === 'qoperator') {
      bump(report, 'fellBackToQdq');
      report.warnings.push({
        pass: INT8_DYNAMIC_NAME,
        code: 'qoperator-unsupported',
        node: t.node.name,
        message: `${t.node.opType} '${t.node.name}' cannot take the QOperator form (attributes or input type); used weight-only QDQ`,
      });
    }
    t.node.inputs[t.wIndex] = weightDq(t, o.perChannel, namer, ins(t.graph), opset, report);
    usedOps.add('DequantizeLinear');
    bump(report, 'nodesQuantized');
    bump(report, `quantized.${t.node.opType}`);
  }
  if (weightOnly.length) report.details = { ...(report.details ?? {}), weightOnly };
  for (const i of inserters.values()) i.apply(removeNodes);
  bump(report, 'initializersRemoved', dropUnusedInitializers(m.graph));
  const missing = [...usedOps].filter((op) => !KERNELS[o.targetEp].has(op));
  if (missing.length)
    report.warnings.push({
      pass: INT8_DYNAMIC_NAME,
      code: 'no-kernel-on-target',
      message: `${missing.join(', ')} ha${missing.length > 1 ? 've' : 's'} no ${o.targetEp.toUpperCase()} kernel in ONNX Runtime 1.29: ${report.stats.nodesQuantized ?? 0} quantized node(s) will fall back to the CPU with copies each run (a conv decoder ran 480× slower this way on an H100). Use --target-ep ${o.targetEp} without --int8-format qoperator for weight-only QDQ.`,
    });
  if (format === 'qdq' && o.targetEp === 'cuda' && (report.stats.nodesQuantized ?? 0) > 0)
    report.warnings.push({
      pass: INT8_DYNAMIC_NAME,
      code: 'weight-only-no-speedup',
      message:
        'weight-only int8 QDQ halves weight storage, but on the CUDA EP the MatMul/Conv still compute in float after a DequantizeLinear each run; for memory-bound MatMuls use --wo 8|4 (MatMulNBits), for speed use --fp16',
    });
  const upgraded = report.stats.opsetUpgradedFrom !== undefined ? { opsetUpgradedFrom: report.stats.opsetUpgradedFrom, opset } : {};
  recordPass(m, INT8_DYNAMIC_NAME, {
    targetEp: o.targetEp,
    format,
    reduceRange,
    perChannel: o.perChannel,
    opTypes: [...o.opTypes],
    nodesToExclude: [...o.nodesToExclude],
    ...upgraded,
  });
  verifyModel(m, `pass ${INT8_DYNAMIC_NAME}`);
  return { model: m, report };
}

/** The dynamic int8 pass (see module docs). Pure. */
export function int8Dynamic(model: Model, options: Int8DynamicOptions = {}): Model {
  return int8DynamicWithReport(model, options).model;
}

function qoperatorSupported(t: Target): boolean {
  const n = t.node;
  if (n.opType === 'MatMul') return t.weight.dims.length === 2;
  if (n.opType === 'Conv') return n.inputs.length <= 3;
  if (n.opType === 'Gemm') {
    const alpha = n.attr('alpha');
    const beta = n.attr('beta');
    return (
      intAttr(n, 'transA', 0) === 0 &&
      (!alpha || (alpha.type === 'float' && alpha.value === 1)) &&
      (!beta || (beta.type === 'float' && beta.value === 1)) &&
      t.weight.dims.length === 2
    );
  }
  return false;
}

/**
 * ORT's QOperator form: DynamicQuantizeLinear(x) → (x_q uint8, x_scale, x_zp); MatMulInteger or ConvInteger
 * (x_q, w_q uint8 = q + 128, x_zp, 128) → int32 → Cast float → × (x_scale · w_scale)
 * (+ bias). The node is replaced; its output value is kept (same name, same consumers).
 */
function rewriteQOperator(t: Target, perChannel: boolean, qmax: WeightQMax, namer: (b: string) => string, ins: NodeInserter, remove: Set<Node>): void {
  const n = t.node;
  const g = t.graph;
  const x = n.inputs[0] as Value;
  const y = out0(n);
  const base = n.name || n.opType;
  const isConv = n.opType === 'Conv';
  let wData = readFloats(t.weight);
  let wDims = [...t.weight.dims];
  let axis = t.axis;
  if (n.opType === 'Gemm' && intAttr(n, 'transB', 0)) {
    const [N, K] = wDims as [number, number];
    const tr = new Float32Array(wData.length);
    for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) tr[k * N + i] = wData[i * K + k] as number;
    wData = tr;
    wDims = [K, N];
    axis = 1;
  }
  const qw = quantizeWeightInt8(wData, wDims, perChannel ? axis : undefined, true, qmax);
  const wName = t.weight.name || base;
  const dq = new Node('DynamicQuantizeLinear', namer(`${base}_DynamicQuantizeLinear`), [x], []);
  const xq = new Value(namer(`${x.name}_quantized`), { kind: 'tensor', elemType: DataType.UINT8 });
  const xs = new Value(namer(`${x.name}_scale`), { kind: 'tensor', elemType: DataType.FLOAT, shape: [] });
  const xz = new Value(namer(`${x.name}_zero_point`), { kind: 'tensor', elemType: DataType.UINT8, shape: [] });
  for (const v of [xq, xs, xz]) v.producer = dq;
  dq.outputs = [xq, xs, xz];
  ins.insertBefore(n, dq);
  let integer: Node;
  const channels = qw.scale.length;
  if (isConv) {
    const u8 = new Uint8Array(qw.q.length);
    for (let i = 0; i < u8.length; i++) u8[i] = (qw.q[i] as number) + 128;
    const wq = addInitializer(g, makeTensor(namer(`${wName}_quantized`), DataType.UINT8, wDims, u8));
    const wz = addInitializer(g, makeTensor(namer(`${wName}_zero_point`), DataType.UINT8, [], new Uint8Array([128])));
    integer = makeNode('ConvInteger', namer(`${base}_ConvInteger`), [xq, wq, xz, wz], namer(`${y.name}_int32`), DataType.INT32);
    integer.attributes = n.attributes.map((a) => ({ ...a }));
  } else {
    // uint8 weights (q + 128, zero point 128) as for ConvInteger: ORT then runs its u8×u8 GEMM, which
    // never saturates. Its u8×s8 GEMM on AVX2 without VNNI does (VPMADDUBSW's int16 pair sums): int8
    // weights here took the attention block to cos 0.95 and gpt_prefill to 0.978 on the AVX2 CI machine.
    const u8 = new Uint8Array(qw.q.length);
    for (let i = 0; i < u8.length; i++) u8[i] = (qw.q[i] as number) + 128;
    const wq = addInitializer(g, makeTensor(namer(`${wName}_quantized`), DataType.UINT8, wDims, u8));
    const wz = addInitializer(g, makeTensor(namer(`${wName}_zero_point`), DataType.UINT8, [], new Uint8Array([128])));
    integer = makeNode('MatMulInteger', namer(`${base}_MatMulInteger`), [xq, wq, xz, wz], namer(`${y.name}_int32`), DataType.INT32);
  }
  ins.insertBefore(n, integer);
  const cast = makeNode('Cast', namer(`${base}_cast`), [out0(integer)], namer(`${y.name}_float`), DataType.FLOAT, [
    { name: 'to', attr: { type: 'int', value: BigInt(DataType.FLOAT) } },
  ]);
  ins.insertBefore(n, cast);
  // Per-channel scale broadcast: [N] for MatMul/Gemm outputs, [M, 1, …] for Conv (channel axis 1).
  const spatial = Math.max(0, t.weight.dims.length - 2);
  const scaleDims = channels === 1 ? [] : isConv ? [channels, ...new Array<number>(spatial).fill(1)] : [channels];
  const ws = addInitializer(g, makeTensor(namer(`${wName}_scale`), DataType.FLOAT, scaleDims, qw.scale));
  const combined = makeNode('Mul', namer(`${base}_scale_mul`), [xs, ws], namer(`${y.name}_scale`), DataType.FLOAT);
  ins.insertBefore(n, combined);
  const bias = isConv ? n.inputs[2] : n.opType === 'Gemm' ? n.inputs[2] : undefined;
  const scaledName = bias ? namer(`${y.name}_scaled`) : y.name;
  const mul = new Node('Mul', namer(`${base}_rescale`), [out0(cast), out0(combined)], []);
  let last = mul;
  if (bias) {
    const scaled = new Value(scaledName, { kind: 'tensor', elemType: DataType.FLOAT });
    scaled.producer = mul;
    mul.outputs = [scaled];
    let b = bias;
    const bt = constantTensor(bias);
    if (isConv && bt && spatial > 0)
      b = addInitializer(g, {
        ...bt,
        name: namer(`${bt.name || base}_bias_reshaped`),
        dims: [bt.dims[0] ?? 1, ...new Array<number>(spatial).fill(1)],
        storage: bt.storage === 'field' ? 'field' : 'raw',
      });
    else if (isConv && !bt) throw new PassError(INT8_DYNAMIC_NAME, n.name, 'Conv bias is not a constant');
    const add = new Node('Add', namer(`${base}_bias_add`), [scaled, b], [y]);
    last = add;
  } else mul.outputs = [y];
  y.producer = last;
  ins.insertBefore(n, mul);
  if (last !== mul) ins.insertBefore(n, last);
  remove.add(n);
}

// ---- static QDQ -------------------------------------------------------------------------------------

/** A calibrated range for one activation tensor. */
export interface TensorRange {
  min: number;
  max: number;
}

export interface Int8StaticOptions extends Omit<Int8DynamicOptions, 'format'> {
  /** Calibrated ranges by value name (from `calibrate`); required. */
  ranges: Record<string, TensorRange>;
  /** Activation type: 'auto' = int8 symmetric for cuda, uint8 asymmetric for cpu (default 'auto'). */
  activationType?: 'auto' | 'int8' | 'uint8';
}

export const INT8_STATIC_DEFAULTS = { ...INT8_DYNAMIC_DEFAULTS, activationType: 'auto' as const };

/** Names of the activation values static quantization needs ranges for (input 0 of each target node). */
export function staticCalibrationTensors(model: Model, options: Omit<Int8DynamicOptions, 'format'> = {}): string[] {
  const o = { ...INT8_DYNAMIC_DEFAULTS, ...options };
  const r = newReport<Int8Stat>(INT8_STATIC_NAME, {});
  const types = propagateElemTypes(model.graph);
  const names = new Set<string>();
  for (const t of findTargets(model, o, r, INT8_STATIC_NAME)) {
    const x = t.node.inputs[0];
    if (x && types.get(x) === DataType.FLOAT && t.graph === model.graph) names.add(x.name);
  }
  return [...names];
}

/** Static QDQ quantization from calibrated ranges; returns the model with a report. */
export function int8StaticWithReport(model: Model, options: Int8StaticOptions): PassResult<Int8Stat> {
  const o = { ...INT8_STATIC_DEFAULTS, ...options };
  const actType = o.activationType === 'auto' ? (o.targetEp === 'cpu' ? 'uint8' : 'int8') : o.activationType;
  const reduceRange = resolveReduceRange(o, 'static');
  const report = newReport<Int8Stat>(INT8_STATIC_NAME, {
    ...o,
    ranges: `${Object.keys(o.ranges).length} tensors`,
    resolvedActivationType: actType,
    resolvedReduceRange: reduceRange,
  });
  const m = cloneModel(model);
  const opset = ensureOpset(m, 10, 'QuantizeLinear/DequantizeLinear need opset 10', o.upgradeOpset, report);
  const namer = createNamer(m.graph);
  const types = propagateElemTypes(m.graph);
  const targets = findTargets(m, o, report, INT8_STATIC_NAME);
  const inserters = new Map<Graph, NodeInserter>();
  const ins = (g: Graph): NodeInserter => inserters.get(g) ?? (inserters.set(g, new NodeInserter(g)).get(g) as NodeInserter);
  const qdqOf = new Map<Value, Value>();
  for (const t of targets) {
    const x = t.node.inputs[0];
    const xFloat = x !== undefined && types.get(x) === DataType.FLOAT;
    const range = xFloat ? o.ranges[x.name] : undefined;
    // Only a weight that meets a quantized activation can end up in ORT's integer GEMM (its QDQ fusion).
    t.node.inputs[t.wIndex] = weightDq(t, o.perChannel, namer, ins(t.graph), opset, report, weightQMax(reduceRange && range !== undefined));
    bump(report, 'weightsQuantized');
    if (!x || !xFloat) continue;
    if (!range) {
      report.warnings.push({
        pass: INT8_STATIC_NAME,
        code: 'no-range',
        node: t.node.name,
        message: `no calibrated range for '${x.name}'; its activation stays float`,
      });
      continue;
    }
    let dqv = qdqOf.get(x);
    if (!dqv) {
      const p = activationParams(range.min, range.max, actType);
      const et = actType === 'int8' ? DataType.INT8 : DataType.UINT8;
      const s = addInitializer(t.graph, makeTensor(namer(`${x.name}_scale`), DataType.FLOAT, [], new Float32Array([p.scale])));
      const zdata = actType === 'int8' ? new Int8Array([p.zeroPoint]) : new Uint8Array([p.zeroPoint]);
      const z = addInitializer(t.graph, makeTensor(namer(`${x.name}_zero_point`), et, [], zdata));
      const q = makeNode('QuantizeLinear', namer(`${x.name}_QuantizeLinear`), [x, s, z], namer(`${x.name}_quantized`), et);
      const d = makeNode('DequantizeLinear', namer(`${x.name}_DequantizeLinear`), [out0(q), s, z], namer(`${x.name}_dequantized`), DataType.FLOAT);
      const anchor = x.producer && t.graph.nodes.includes(x.producer) ? x.producer : undefined;
      ins(t.graph).insertAfter(anchor, q);
      ins(t.graph).insertAfter(anchor, d);
      dqv = out0(d);
      qdqOf.set(x, dqv);
      bump(report, 'activationsQuantized');
    }
    t.node.inputs[0] = dqv;
    bump(report, 'nodesQuantized');
  }
  for (const i of inserters.values()) i.apply();
  bump(report, 'initializersRemoved', dropUnusedInitializers(m.graph));
  const upgraded = report.stats.opsetUpgradedFrom !== undefined ? { opsetUpgradedFrom: report.stats.opsetUpgradedFrom, opset } : {};
  recordPass(m, INT8_STATIC_NAME, {
    targetEp: o.targetEp,
    activationType: actType,
    reduceRange,
    perChannel: o.perChannel,
    opTypes: [...o.opTypes],
    nodesToExclude: [...o.nodesToExclude],
    calibratedTensors: Object.keys(o.ranges).length,
    ...upgraded,
  });
  verifyModel(m, `pass ${INT8_STATIC_NAME}`);
  return { model: m, report };
}

/** Static QDQ int8 pass (see module docs). Pure; ranges come from `calibrate`. */
export function int8Static(model: Model, options: Int8StaticOptions): Model {
  return int8StaticWithReport(model, options).model;
}
