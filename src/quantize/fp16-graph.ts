/**
 * The graph side of the `fp16` pass (src/quantize/fp16.ts): which inputs and outputs are tied to float32 or
 * free of the node's type, the node sets it keeps in float32 (grid chains, the output tail, shape
 * arithmetic), the conversion of constant and typed attributes, and the Cast clean-up afterwards.
 */
import { DataType, float32ToFloat16 } from '../onnx/dtype.js';
import { listSubgraphs } from '../onnx/graph-utils.js';
import { Graph, Node, Value, type Attribute, type Tensor } from '../onnx/types.js';
import { listUses, replaceUses, type Use } from './common.js';
import { propagateElemTypes } from './elem-types.js';

/** Inputs whose type is not tied to the node's float type (never need a Cast). */
export const ANY_TYPE_INPUTS: Record<string, number[]> = {
  Shape: [0],
  Size: [0],
  Cast: [0],
  CastLike: [0],
  EyeLike: [0],
  RandomNormalLike: [0],
  RandomUniformLike: [0],
  Dropout: [1],
  Pow: [1],
  ConstantOfShape: [0],
};
// Not GridSample's grid: ONNX lets T2 differ from T1, but ORT's kernels bind both to one type (see above).

/** Ops that only move data (no arithmetic): free to keep in float32 anywhere a Cast would otherwise go. */
const DATA_MOVEMENT_OPS = ['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Concat', 'Slice', 'Split', 'Expand'];

/** Ops a grid chain may pass through: elementwise, data movement, reductions, Softmax (cheap next to a Conv). */
export const GRID_CHAIN_OPS = new Set([
  ...DATA_MOVEMENT_OPS,
  'Tile',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Neg',
  'Abs',
  'Clip',
  'Tanh',
  'Sigmoid',
  'Softmax',
  'ReduceSum',
  'ReduceMean',
]);
/** Inputs that must stay float32 whatever the node's type (ORT's ALWAYS_FLOAT_INPUTS and the like). */
export const FLOAT32_INPUTS: Record<string, number[]> = {
  Resize: [1, 2],
  Upsample: [1],
  'com.microsoft:GroupNorm': [1, 2],
};
/** Outputs that stay float32 on a converted node. */
export const FLOAT32_OUTPUTS: Record<string, number[]> = { LayerNormalization: [1, 2] };

export function opKey(n: Node): string {
  return n.domain && n.domain !== 'ai.onnx' ? `${n.domain}:${n.opType}` : n.opType;
}

export function isFlexibleProducer(n: Node | undefined): boolean {
  if (!n) return true; // initializers (graph inputs are handled before)
  if (n.opType === 'Constant' && (n.domain === '' || n.domain === 'ai.onnx')) return true;
  if (n.opType === 'Cast' && (n.domain === '' || n.domain === 'ai.onnx')) {
    const to = n.attr('to');
    return to?.type === 'int' && Number(to.value) === DataType.FLOAT;
  }
  return false;
}

export function convertConstantNode(n: Node, toHalf: (t: Tensor, where: string, inPlace: boolean) => Tensor): void {
  n.attributes = n.attributes.map((a) => {
    if (a.name === 'value' && a.attr.type === 'tensor' && a.attr.value.dataType === DataType.FLOAT)
      return { ...a, attr: { type: 'tensor', value: toHalf(a.attr.value, n.name, false) } satisfies Attribute };
    if (a.name === 'value_float' && a.attr.type === 'float')
      return { name: 'value', attr: { type: 'tensor', value: halfTensor(a.attr.value === undefined ? [] : [a.attr.value], []) } satisfies Attribute };
    if (a.name === 'value_floats' && a.attr.type === 'floats')
      return { name: 'value', attr: { type: 'tensor', value: halfTensor(a.attr.value, [a.attr.value.length]) } satisfies Attribute };
    return a;
  });
}

function halfTensor(values: number[], dims: number[]): Tensor {
  const h = float32ToFloat16(Float32Array.from(values, (x) => Math.max(-65504, Math.min(65504, x))));
  return { name: '', dataType: DataType.FLOAT16, dims, data: new Uint8Array(h.buffer), storage: 'raw' };
}

/** ConstantOfShape value, Random… / EyeLike dtype and Cast to=FLOAT → float16 on converted nodes. */
export function convertTypedAttrs(n: Node, toHalf: (t: Tensor, where: string, inPlace: boolean) => Tensor): void {
  n.attributes = n.attributes.map((a) => {
    if (n.opType === 'ConstantOfShape' && a.name === 'value' && a.attr.type === 'tensor' && a.attr.value.dataType === DataType.FLOAT)
      return { ...a, attr: { type: 'tensor', value: toHalf(a.attr.value, n.name, false) } };
    if ((a.name === 'dtype' || (n.opType === 'Cast' && a.name === 'to')) && a.attr.type === 'int' && Number(a.attr.value) === DataType.FLOAT)
      return { ...a, attr: { type: 'int', value: BigInt(DataType.FLOAT16) } };
    return a;
  });
  if (n.opType === 'ConstantOfShape' && !n.attr('value')) {
    // The default value is float32 zero; spell out a float16 zero.
    n.attributes.push({ name: 'value', attr: { type: 'tensor', value: halfTensor([0], [1]) } });
  }
  if ((n.opType === 'RandomNormal' || n.opType === 'RandomUniform') && !n.attr('dtype'))
    n.attributes.push({ name: 'dtype', attr: { type: 'int', value: BigInt(DataType.FLOAT16) } });
}

/**
 * The nodes of `g` that compute the grids of its kept GridSamples: walked back from each grid input
 * through GRID_CHAIN_OPS nodes (default domain, no subgraphs, float32 outputs), stopping at anything else,
 * at graph inputs and at constants (which the pass duplicates in float32 where needed). Nodes already kept
 * are not returned.
 */
export function findGridChains(g: Graph, kept: ReadonlySet<Node>, types: Map<Value, number>): Set<Node> {
  const own = new Set(g.nodes);
  const chain = new Set<Node>();
  const stack: Value[] = [];
  for (const n of g.nodes) {
    if (n.opType !== 'GridSample' || (n.domain !== '' && n.domain !== 'ai.onnx') || !kept.has(n)) continue;
    if (n.inputs[1]) stack.push(n.inputs[1]);
  }
  while (stack.length) {
    const v = stack.pop() as Value;
    const p = v.producer;
    if (!p || !own.has(p) || chain.has(p) || kept.has(p)) continue;
    if (!GRID_CHAIN_OPS.has(p.opType) || (p.domain !== '' && p.domain !== 'ai.onnx') || listSubgraphs(p).length) continue;
    if (!p.outputs.some((x) => x && types.get(x) === DataType.FLOAT)) continue;
    chain.add(p);
    for (const x of p.inputs) if (x && types.get(x) === DataType.FLOAT) stack.push(x);
  }
  return chain;
}

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE]);
/** Ops whose inputs legitimately mix float types beyond ANY_TYPE_INPUTS / FLOAT32_INPUTS (scales, zero points). */
const MIXED_OK_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear']);

/**
 * Nodes (all graphs) whose float inputs have more than one element type, outside the inputs that may
 * differ (ANY_TYPE_INPUTS, FLOAT32_INPUTS, quantization scales, nodes with subgraphs). ONNX allows some of
 * these (GridSample's T1 ≠ T2, BatchNormalization's T ≠ T1), but ORT's kernels register one type for both,
 * so such a node has no kernel on any EP and ORT's InsertCastTransformer runs it on the CPU.
 */
export function mixedFloatInputNodes(root: Graph): Node[] {
  const types = propagateElemTypes(root);
  const out: Node[] = [];
  const walk = (g: Graph): void => {
    for (const n of g.nodes) {
      const subs = listSubgraphs(n);
      for (const sg of subs) walk(sg);
      const std = n.domain === '' || n.domain === 'ai.onnx';
      if (subs.length || (std && MIXED_OK_OPS.has(n.opType))) continue;
      const free = new Set([...(std ? (ANY_TYPE_INPUTS[n.opType] ?? []) : []), ...(FLOAT32_INPUTS[opKey(n)] ?? [])]);
      const seen = new Set<number>();
      n.inputs.forEach((v, i) => {
        const t = v && !free.has(i) ? types.get(v) : undefined;
        if (t !== undefined && FLOAT_TYPES.has(t)) seen.add(t);
      });
      if (seen.size > 1) out.push(n);
    }
  };
  walk(root);
  return out;
}

/** Ops that only move data or are cheap elementwise math: free to leave in float32 at the output. */
const TAIL_OPS = new Set([
  ...DATA_MOVEMENT_OPS,
  'DepthToSpace',
  'SpaceToDepth',
  'Sigmoid',
  'Tanh',
  'Relu',
  'LeakyRelu',
  'Clip',
  'HardSigmoid',
  'Softplus',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Neg',
  'Abs',
]);

/**
 * The output tail of the root graph: TAIL_OPS nodes (default domain, no subgraphs) all of whose outputs
 * are used only by root outputs or by other tail nodes. Walked from the last node back, so a chain
 * (DepthToSpace → Sigmoid → output) is found whole.
 */
export function findOutputTail(root: Graph, uses: Map<Value, Use[]>): Set<Node> {
  const tail = new Set<Node>();
  for (let i = root.nodes.length - 1; i >= 0; i--) {
    const n = root.nodes[i] as Node;
    if (!TAIL_OPS.has(n.opType) || (n.domain !== '' && n.domain !== 'ai.onnx')) continue;
    const onlyTail = n.outputs.every((v) => {
      if (!v) return true;
      const us = uses.get(v) ?? [];
      return us.length > 0 && us.every((u) => (u.kind === 'output' ? u.graph === root : tail.has(u.node)));
    });
    if (onlyTail) tail.add(n);
  }
  return tail;
}

/**
 * Shape arithmetic: float nodes whose inputs all derive from Shape/Size outputs and constants (no data
 * from graph inputs), with at least one Shape/Size-derived input.
 */
export function findShapeArithmetic(g: Graph, types: Map<Value, number>): Set<Node> {
  const dataDep = new Set<Value>(g.inputs);
  const shapeDep = new Set<Value>();
  const out = new Set<Node>();
  const own = new Set<Value>([...g.inputs, ...g.initializers]);
  for (const n of g.nodes) for (const v of n.outputs) if (v) own.add(v);
  for (const n of g.nodes) {
    const ins = n.inputs.filter((v): v is Value => !!v);
    if (n.opType === 'Shape' || n.opType === 'Size') {
      for (const v of n.outputs) if (v) shapeDep.add(v);
      continue;
    }
    // Outer-scope values and subgraph inputs count as data.
    const anyData = ins.some((v) => dataDep.has(v) || (!own.has(v) && !v.initializer)) || listSubgraphs(n).length > 0;
    const anyShape = ins.some((v) => shapeDep.has(v));
    for (const v of n.outputs)
      if (v) {
        if (anyData) dataDep.add(v);
        else if (anyShape) shapeDep.add(v);
      }
    if (!anyData && anyShape && [...ins, ...n.outputs].some((v) => v && types.get(v) === DataType.FLOAT)) out.add(n);
  }
  return out;
}

const LOSSLESS_WIDENING: Record<number, number[]> = {
  [DataType.FLOAT16]: [DataType.FLOAT, DataType.DOUBLE],
  [DataType.FLOAT]: [DataType.DOUBLE],
  [DataType.BFLOAT16]: [DataType.FLOAT, DataType.DOUBLE],
};

function castTo(n: Node): number | undefined {
  const a = n.attr('to');
  return a?.type === 'int' ? Number(a.value) : undefined;
}

/**
 * Removes Casts that do nothing (input type = `to`) and shortcuts Cast chains whose first step is a
 * lossless widening (fp16→fp32→fp16 becomes nothing; fp16→fp32→int64 becomes fp16→int64). Casts left
 * without consumers are dropped. Returns how many Cast nodes were removed.
 */
export function removeRedundantCasts(root: Graph): number {
  let removed = 0;
  let changed = true;
  while (changed) {
    changed = false;
    const types = propagateElemTypes(root);
    const uses = listUses(root);
    const isOutput = (v: Value): boolean => (uses.get(v) ?? []).some((u) => u.kind === 'output');
    const dead = new Set<Node>();
    const walk = (g: Graph): void => {
      for (const n of g.nodes) {
        for (const sg of listSubgraphs(n)) walk(sg);
        if (n.opType !== 'Cast' || !(n.domain === '' || n.domain === 'ai.onnx')) continue;
        const x = n.inputs[0];
        const y = n.outputs[0];
        const to = castTo(n);
        if (!x || !y || to === undefined) continue;
        const tx = types.get(x);
        if (tx === to && !isOutput(y)) {
          replaceUses(root, y, x);
          dead.add(n);
          changed = true;
          continue;
        }
        const p = x.producer;
        if (p && p.opType === 'Cast' && (p.domain === '' || p.domain === 'ai.onnx') && p.inputs[0]) {
          const t0 = types.get(p.inputs[0]);
          const t1 = castTo(p);
          if (t0 !== undefined && t1 !== undefined && (LOSSLESS_WIDENING[t0]?.includes(t1) || t0 === t1)) {
            if (to === t0 && !isOutput(y)) {
              replaceUses(root, y, p.inputs[0]);
              dead.add(n);
            } else n.inputs[0] = p.inputs[0];
            changed = true;
          }
        }
      }
    };
    walk(root);
    // Drop Casts nobody reads any more.
    const uses2 = listUses(root);
    const sweep = (g: Graph): void => {
      for (const n of g.nodes) {
        for (const sg of listSubgraphs(n)) sweep(sg);
        if (n.opType === 'Cast' && n.outputs.every((v) => !v || !uses2.get(v)?.length)) dead.add(n);
      }
      const before = g.nodes.length;
      g.nodes = g.nodes.filter((n) => !dead.has(n));
      removed += before - g.nodes.length;
    };
    sweep(root);
  }
  return removed;
}
