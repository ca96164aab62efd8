/**
 * Analytic FLOPs and bytes of the nodes in a trace. Shapes come from the trace (what actually ran); attributes
 * and which inputs are parameters come from the model graph, matched by node name. ORT renames and fuses nodes
 * at higher optimization levels: an unmatched node is costed from the trace alone (no attributes; parameters
 * inferred from `parameter_size`) and marked as such, and a node whose op type is not in the graph is marked fused.
 */
import type { CostNode, NodeCost, TensorShape } from '../analysis/node-cost.js';
import { DataType, byteSize, elementCount } from '../onnx/dtype.js';
import { listSubgraphs } from '../onnx/graph-utils.js';
import type { Graph, Node } from '../onnx/types.js';
import type { TraceShape } from './trace.js';

export type { CostNode, NodeCost, TensorShape };

/** Signature of `costOf` in src/analysis/node-cost.ts (injectable for tests). */
export type CostFn = (node: CostNode, inputs: (TensorShape | undefined)[], outputs: (TensorShape | undefined)[], isParam: boolean[]) => NodeCost;

const TRACE_TYPES: Record<string, number> = {
  float: DataType.FLOAT,
  float32: DataType.FLOAT,
  double: DataType.DOUBLE,
  float64: DataType.DOUBLE,
  mlfloat16: DataType.FLOAT16,
  float16: DataType.FLOAT16,
  half: DataType.FLOAT16,
  bfloat16: DataType.BFLOAT16,
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  int16: DataType.INT16,
  uint16: DataType.UINT16,
  int32: DataType.INT32,
  uint32: DataType.UINT32,
  int64: DataType.INT64,
  uint64: DataType.UINT64,
  bool: DataType.BOOL,
  string: DataType.STRING,
  float8e4m3fn: DataType.FLOAT8E4M3FN,
  float8e4m3fnuz: DataType.FLOAT8E4M3FNUZ,
  float8e5m2: DataType.FLOAT8E5M2,
  float8e5m2fnuz: DataType.FLOAT8E5M2FNUZ,
  int4: DataType.INT4,
  uint4: DataType.UINT4,
  int4x2: DataType.INT4,
  uint4x2: DataType.UINT4,
};

/** ONNX DataType of an element type name as ORT writes it in traces ('float', 'MLFloat16', 'int64', …). */
export function traceElemType(name: string): number | undefined {
  return TRACE_TYPES[name.toLowerCase().replace(/[^a-z0-9]/g, '')];
}

export function toTensorShape(s: TraceShape | undefined): TensorShape | undefined {
  if (!s) return undefined;
  const t = traceElemType(s.type);
  if (t === undefined || s.dims.some((d) => !Number.isFinite(d) || d < 0)) return undefined;
  return { elemType: t, dims: s.dims };
}

function shapeBytes(s: TensorShape | undefined): number {
  return s ? byteSize(s.elemType, elementCount(s.dims)) : 0;
}

/** Op types ORT's optimizers create that the cost model knows under their base op. */
const FUSED_BASE: Record<string, string> = {
  FusedConv: 'Conv',
  NhwcConv: 'Conv',
  NhwcFusedConv: 'Conv',
  FusedGemm: 'Gemm',
  TransposeMatMul: 'MatMul',
};

/** Op types that exist only after ORT's fusions. */
const FUSED_OPS = new Set([
  ...Object.keys(FUSED_BASE),
  'FusedMatMul',
  'BiasGelu',
  'FastGelu',
  'QuickGelu',
  'SkipLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'BiasAdd',
  'BiasSoftmax',
  'BiasSplitGelu',
  'EmbedLayerNormalization',
]);

/** Contrib ops (com.microsoft) that can appear in a trace after fusion. */
const CONTRIB = new Set([
  ...FUSED_OPS,
  'Attention',
  'MultiHeadAttention',
  'GroupQueryAttention',
  'MatMulNBits',
  'Gelu',
  'BiasSplitGelu',
  'SimplifiedLayerNormalization',
  'RotaryEmbedding',
  'EmbedLayerNormalization',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'QOrderedMatMul',
  'GridSample',
  'GatherBlockQuantized',
  'QuickGelu',
]);

/** Every node of a graph and its subgraphs, by name. */
export function indexGraphNodes(g: Graph, into = new Map<string, Node>()): Map<string, Node> {
  for (const n of g.nodes) {
    if (n.name && !into.has(n.name)) into.set(n.name, n);
    for (const sg of listSubgraphs(n)) indexGraphNodes(sg, into);
  }
  return into;
}

/** The cost of one traced node and how it was obtained. */
export interface TracedNodeCost extends NodeCost {
  /** 'graph': attributes and parameters from the matched model node; 'trace-only': no graph node of that name. */
  source: 'graph' | 'trace-only';
  /** ORT fused, created or renamed the node (no model node of that name and op, or an op type only fusions make). */
  fused: boolean;
  /** Transpose perm from the graph, for layout detection. */
  perm?: number[];
  /** Why costing fell back to bytes only, when it did. */
  note?: string;
}

export interface TracedNodeInfo {
  name: string;
  opType: string;
  inputShapes: (TraceShape | undefined)[];
  outputShapes: (TraceShape | undefined)[];
  parameterBytes?: number;
  activationBytes?: number;
  outputBytes?: number;
}

/** Marks trace inputs (from the second on) as parameters while their sizes add up to `parameter_size`. */
function inferParams(inputs: (TensorShape | undefined)[], parameterBytes: number | undefined): boolean[] {
  const isParam = inputs.map(() => false);
  if (!parameterBytes) return isParam;
  let left = parameterBytes;
  for (let i = inputs.length - 1; i >= 1 && left > 0; i--) {
    const b = shapeBytes(inputs[i]);
    if (b > 0 && b <= left) {
      isParam[i] = true;
      left -= b;
    }
  }
  return isParam;
}

/** Costs one traced node with `costOf`, matching it to `graphNodes` by name. Never throws. */
export function costTracedNode(n: TracedNodeInfo, graphNodes: Map<string, Node>, graphOpTypes: Set<string>, costOf: CostFn): TracedNodeCost {
  const inputs = n.inputShapes.map(toTensorShape);
  const outputs = n.outputShapes.map(toTensorShape);
  const g = graphNodes.get(n.name);
  const matched = g !== undefined && (g.opType === n.opType || FUSED_BASE[n.opType] === g.opType);
  // Not in the model under its name (ORT created, renamed or fused it), or an op type only fusions make.
  // Matched under another name: ORT rewrote it (trace-names.ts mapped its new name back).
  const renamed = matched && g !== undefined && g.name !== n.name;
  const fused = !/^Memcpy/.test(n.opType) && (!matched || renamed || FUSED_OPS.has(n.opType) || !graphOpTypes.has(n.opType));
  const base = FUSED_BASE[n.opType];
  const view: CostNode =
    matched && g
      ? { opType: base ?? g.opType, domain: base ? '' : g.domain, attr: (name) => g.attr(name) }
      : { opType: base ?? n.opType, domain: base ? '' : CONTRIB.has(n.opType) ? 'com.microsoft' : '', attr: () => undefined };
  const isParam = matched && g ? inputs.map((_, i) => g.inputs[i]?.initializer !== undefined) : inferParams(inputs, n.parameterBytes);
  let perm: number[] | undefined;
  if (matched && g && n.opType === 'Transpose') {
    const a = g.attr('perm');
    if (a?.type === 'ints') perm = a.value.map((x) => Number(x));
  }
  const result = (c: NodeCost, note?: string): TracedNodeCost => {
    const r: TracedNodeCost = { ...c, source: matched ? 'graph' : 'trace-only', fused };
    if (perm) r.perm = perm;
    if (note) r.note = note;
    return r;
  };
  try {
    const c = costOf(view, inputs, outputs, isParam);
    if ([c.flops, c.bytesRead, c.bytesWritten].every((x) => Number.isFinite(x))) return result(c);
    return result(bytesOnly(n, inputs, outputs, isParam), 'cost model returned non-finite values; bytes from the trace');
  } catch (e) {
    return result(bytesOnly(n, inputs, outputs, isParam), `cost model failed (${(e as Error).message}); bytes from the trace`);
  }
}

/** No FLOPs; bytes from the trace's sizes (or the shapes). */
function bytesOnly(n: TracedNodeInfo, inputs: (TensorShape | undefined)[], outputs: (TensorShape | undefined)[], isParam: boolean[]): NodeCost {
  const inBytes = inputs.reduce((s, t) => s + shapeBytes(t), 0);
  const paramBytes = n.parameterBytes ?? inputs.reduce((s, t, i) => s + (isParam[i] ? shapeBytes(t) : 0), 0);
  const activationBytes = n.activationBytes ?? inBytes - paramBytes;
  const bytesWritten = n.outputBytes ?? outputs.reduce((s, t) => s + shapeBytes(t), 0);
  return { macs: 0, flops: 0, bytesRead: activationBytes + paramBytes, bytesWritten, paramBytes, activationBytes };
}
