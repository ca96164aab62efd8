/**
 * Costs of every node of a model (subgraphs included), from statically inferred shapes.
 */
import { walkGraphs } from '../onnx/graph-utils.js';
import { inferShapes, type InferOptions } from '../onnx/shape-inference.js';
import type { Graph, Model, Value } from '../onnx/types.js';
import { costOf, type NodeCost, type TensorShape } from './node-cost.js';

export interface NodeCostRow extends NodeCost {
  node: string;
  opType: string;
}

function tensorShape(v: Value | undefined): TensorShape | undefined {
  const t = v?.tensorType;
  if (!t?.shape || !t.elemType) return undefined;
  const dims: number[] = [];
  for (const d of t.shape) {
    if (typeof d !== 'number') return undefined;
    dims.push(d);
  }
  return { elemType: t.elemType, dims };
}

/** Values that are parameters: initializers and Constant outputs of this graph and its enclosing graphs. */
function paramsOf(g: Graph, outer: Set<Value>): Set<Value> {
  const s = new Set(outer);
  for (const v of g.initializers) s.add(v);
  for (const n of g.nodes) if (n.opType === 'Constant' && (n.domain === '' || n.domain === 'ai.onnx')) for (const o of n.outputs) if (o) s.add(o);
  return s;
}

/**
 * Infers shapes (with `options`) and costs every node, subgraph nodes included (a Loop / Scan body is counted
 * once, not per iteration). Nodes whose shapes stay unknown get the parts of the cost that are known.
 */
export function listNodeCosts(model: Model, options: InferOptions = {}): NodeCostRow[] {
  const m = inferShapes(model, options);
  const rows: NodeCostRow[] = [];
  const params = new Map<Graph, Set<Value>>();
  walkGraphs(m.graph, (g) => {
    const p = paramsOf(g, (g.outer && params.get(g.outer)) || new Set());
    params.set(g, p);
    for (const n of g.nodes) {
      const cost = costOf(
        n,
        n.inputs.map(tensorShape),
        n.outputs.map(tensorShape),
        n.inputs.map((v) => v !== undefined && p.has(v)),
      );
      rows.push({ node: n.name, opType: n.opType, ...cost });
    }
  });
  return rows;
}

/** Sums a list of rows. */
export function totalCost(rows: NodeCostRow[]): NodeCost & { nodes: number } {
  const t = { macs: 0, flops: 0, bytesRead: 0, bytesWritten: 0, paramBytes: 0, activationBytes: 0, nodes: rows.length };
  for (const r of rows) {
    t.macs += r.macs;
    t.flops += r.flops;
    t.bytesRead += r.bytesRead;
    t.bytesWritten += r.bytesWritten;
    t.paramBytes += r.paramBytes;
    t.activationBytes += r.activationBytes;
  }
  return t;
}
