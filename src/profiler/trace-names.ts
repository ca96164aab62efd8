/**
 * Maps the names ORT gives optimized nodes back to the model's nodes, so their costs come from the graph
 * instead of the trace alone. ORT's CPU optimizers rename what they rewrite:
 * - the NCHWc transformer names a Conv (often fused with the activation after it) after its output
 *   tensor plus `_nchwc` (`Relu_85_output_0_nchwc`): the node is the producer of that tensor, or the
 *   nearest same-op node up its first-input chain (Conv → Relu fused into the Conv);
 * - MatMulScaleFusion names a FusedMatMul `<MatMul node>/MatMulScaleFusion/`.
 * Nodes ORT builds from several (Gelu/BiasGelu from Erf, Div, Mul, Add; ReorderInput/Output) have no model
 * node and stay trace-only.
 */
import type { Graph, Node } from '../onnx/types.js';
import { listSubgraphs } from '../onnx/graph-utils.js';

/** Fused op types and the model op they start from. */
const BASE_OP: Record<string, string> = { FusedConv: 'Conv', FusedMatMul: 'MatMul', FusedGemm: 'Gemm', NhwcConv: 'Conv' };

function producers(g: Graph, into = new Map<string, Node>()): Map<string, Node> {
  for (const n of g.nodes) {
    for (const o of n.outputs) if (o && !into.has(o.name)) into.set(o.name, n);
    for (const sg of listSubgraphs(n)) producers(sg, into);
  }
  return into;
}

/** The model node a renamed traced node came from, or undefined. */
function resolve(name: string, opType: string, byName: Map<string, Node>, byOutput: Map<string, Node>): Node | undefined {
  const want = BASE_OP[opType] ?? opType;
  const suffix = /\/(MatMulScaleFusion|MatMulAddFusion|GemmActivationFusion|ConvActivationFusion)\/?$/.exec(name);
  if (suffix) {
    const n = byName.get(name.slice(0, suffix.index));
    if (n) return n;
  }
  if (name.endsWith('_nchwc')) {
    let n = byOutput.get(name.slice(0, -'_nchwc'.length));
    // Walk up the first-input chain through the activations ORT fused into the node.
    for (let hop = 0; n && hop < 3; hop++) {
      if (n.opType === want) return n;
      const input = n.inputs[0];
      n = input ? byOutput.get(input.name) : undefined;
    }
  }
  return undefined;
}

/**
 * Adds to `graphNodes` (name → model node) an entry under each traced name ORT renamed; returns how many
 * traced names it could map back.
 */
export function aliasRenamedNodes(graph: Graph, traced: readonly { name: string; opType: string }[], graphNodes: Map<string, Node>): number {
  const byOutput = producers(graph);
  let mapped = 0;
  for (const t of traced) {
    if (graphNodes.has(t.name)) continue;
    const n = resolve(t.name, t.opType, graphNodes, byOutput);
    if (n) {
      graphNodes.set(t.name, n);
      mapped++;
    }
  }
  return mapped;
}
