/**
 * Graph invariants, checked after reading and after every pass: unique node and value names, one
 * producer per value, no dangling inputs (every input is a graph input, an initializer, an outer-scope
 * value or produced by a node), graph outputs defined, and no cycles. Violations are GraphInvariantErrors
 * naming the node.
 */
import { GraphInvariantError } from '../errors.js';
import { listOuterReferences, listSubgraphs } from './graph-utils.js';
import type { Graph, Model, Node, Value } from './types.js';

function label(g: Graph): string {
  return g.name ? `graph '${g.name}'` : 'graph';
}

/** Values visible from a graph: its own inputs/initializers/node outputs and those of enclosing graphs. */
function definedIn(g: Graph, seenNames: Map<string, Value>, where: string): Set<Value> {
  const defined = new Set<Value>();
  const define = (v: Value, who: Node | undefined): void => {
    const prior = seenNames.get(v.name);
    if (prior && prior !== v) {
      if (who) throw new GraphInvariantError(who.name || who.opType, v.name, `output '${v.name}' has a second producer (names must be unique)`, where);
      throw new GraphInvariantError(undefined, v.name, 'value name used twice', where);
    }
    seenNames.set(v.name, v);
    defined.add(v);
  };
  for (const v of g.initializers) define(v, undefined);
  for (const v of g.inputs) if (!defined.has(v)) define(v, undefined);
  for (const n of g.nodes)
    for (const o of n.outputs)
      if (o) {
        if (defined.has(o)) throw new GraphInvariantError(n.name || n.opType, o.name, `output '${o.name}' is also a graph input or initializer`, where);
        define(o, n);
      }
  return defined;
}

export function verifyGraph(g: Graph, where = '', outerVisible: Set<Value> = new Set(), outerNames?: Map<string, Value>): void {
  const at = where ? `${where}, ${label(g)}` : label(g);
  // Names in a subgraph may shadow nothing of the outer scope (ONNX requires SSA across scopes).
  const names = new Map<string, Value>(outerNames ?? []);
  const defined = definedIn(g, names, at);
  const nodeNames = new Set<string>();
  for (const n of g.nodes) {
    if (n.name !== '') {
      if (nodeNames.has(n.name)) throw new GraphInvariantError(n.name, undefined, 'node name used twice', at);
      nodeNames.add(n.name);
    }
    if (!n.opType) throw new GraphInvariantError(n.name, undefined, 'node has no op_type', at);
  }
  // Topological order with cycle detection. Nodes may be listed out of order in a file; ONNX requires
  // topological order, so out-of-order is reported as what it is: a cycle or a use before definition.
  const available = new Set<Value>([...g.initializers, ...g.inputs, ...outerVisible]);
  const pending = new Set<Node>(g.nodes);
  let progress = true;
  const ready = (n: Node): boolean => n.inputs.every((v) => !v || available.has(v)) && subgraphInputsReady(n, available, defined);
  while (pending.size && progress) {
    progress = false;
    for (const n of pending) {
      if (ready(n)) {
        for (const o of n.outputs) if (o) available.add(o);
        pending.delete(n);
        progress = true;
      }
    }
  }
  if (pending.size) {
    for (const n of pending) {
      for (const v of n.inputs) {
        if (v && !defined.has(v) && !outerVisible.has(v))
          throw new GraphInvariantError(
            n.name || n.opType,
            v.name,
            `input '${v.name}' is not produced by any node, not a graph input and not an initializer`,
            at,
          );
      }
    }
    const first = [...pending][0] as Node;
    throw new GraphInvariantError(first.name || first.opType, undefined, `is part of a cycle (${pending.size} nodes cannot be ordered)`, at);
  }
  for (const o of g.outputs) {
    if (!defined.has(o) && !outerVisible.has(o))
      throw new GraphInvariantError(undefined, o.name, 'graph output is not produced by any node, not a graph input and not an initializer', at);
  }
  // Subgraphs see everything of this graph and its outer scopes.
  const visible = new Set<Value>([...outerVisible, ...defined]);
  for (const n of g.nodes) {
    for (const a of n.attributes) {
      const subs = a.attr.type === 'graph' ? [a.attr.value] : a.attr.type === 'graphs' ? a.attr.value : [];
      // The attribute name is part of the location in errors, so this walks attributes, not listSubgraphs.
      for (const sg of subs) verifyGraph(sg, `${at}, node '${n.name || n.opType}' attribute '${a.name}'`, visible, names);
    }
  }
}

/** Inputs a node's subgraphs take from the outer scope must be defined before the node runs. */
function subgraphInputsReady(n: Node, available: Set<Value>, definedHere: Set<Value>): boolean {
  for (const sg of listSubgraphs(n)) for (const v of listOuterReferences(sg)) if (definedHere.has(v) && !available.has(v)) return false;
  return true;
}

export function verifyModel(model: Model, where = ''): void {
  verifyGraph(model.graph, where);
}
