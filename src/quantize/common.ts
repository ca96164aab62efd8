/**
 * What every rewrite pass of `src/quantize` shares: the report a pass returns next to its model
 * (statistics and structured warnings), the `workbench.passes` metadata record, and small graph helpers
 * (value → defining graph, use lists across subgraphs, node insertion, Constant/initializer access).
 */
import type { PlacementCheck } from '../analysis/placement.js';
import { PassError } from '../errors.js';
import { DataType } from '../onnx/dtype.js';
import { listSubgraphs, walkGraphs } from '../onnx/graph-utils.js';
import { jsonSafe } from '../onnx/pass-record.js';
import { readFloats, readNumbers } from '../onnx/tensor.js';
import { Graph, Node, Value, type Model, type Tensor } from '../onnx/types.js';

/** A problem a pass did not fail on but that the user must know about (printed by the CLI). */
export interface PassWarning {
  pass: string;
  /** Stable machine-readable code, e.g. `no-kernel-on-target`, `clamped-initializers`. */
  code: string;
  node?: string;
  message: string;
}

/**
 * A pass's counters, keyed by the names its stat type lists (`Fp16Stat`, `Int8Stat`, …): `bump` and the
 * readers only take those names, so a typo is a compile error rather than a silent 0.
 */
export type PassStats<S extends string = string> = { [K in S]?: number };

/** What a pass did: counters (nodes converted, Casts inserted/removed, …), warnings and free-form details. */
export interface PassReport<S extends string = string> {
  pass: string;
  options: Record<string, unknown>;
  stats: PassStats<S>;
  warnings: PassWarning[];
  details?: Record<string, unknown>;
  /** Where the rewritten model's nodes ran on the target EP (optimize's placement check), when checked. */
  placement?: PlacementCheck;
}

export interface PassResult<S extends string = string> {
  model: Model;
  report: PassReport<S>;
}

/** Metadata key under which passes record themselves (a JSON array of `{ pass, options }`). */
export { PASSES_METADATA_KEY, readPassRecords, recordPass, type PassRecord } from '../onnx/pass-record.js';

/** An empty report of a pass whose counters are named by `S`. */
export function newReport<S extends string>(pass: string, options: object): PassReport<S> {
  return { pass, options: jsonSafe(options) as Record<string, unknown>, stats: {}, warnings: [] };
}

/** Adds `by` to one of the report's counters. */
export function bump<S extends string>(report: PassReport<S>, key: NoInfer<S>, by = 1): void {
  const stats: PassStats<S> = report.stats;
  stats[key] = (stats[key] ?? 0) + by;
}

/** Where each value is defined (graph input, initializer or node output) across a graph and its subgraphs. */
export function mapDefiningGraphs(root: Graph): Map<Value, Graph> {
  const m = new Map<Value, Graph>();
  walkGraphs(root, (g) => {
    for (const v of g.inputs) m.set(v, g);
    for (const v of g.initializers) m.set(v, g);
    for (const n of g.nodes) for (const o of n.outputs) if (o) m.set(o, g);
  });
  return m;
}

/** One use of a value: a node input slot (in any graph, subgraphs included) or a graph output. */
export type Use = { kind: 'node'; node: Node; index: number; graph: Graph } | { kind: 'output'; graph: Graph; index: number };

/** Every use of every value in a graph and its subgraphs (outer-scope references included). */
export function listUses(root: Graph): Map<Value, Use[]> {
  const m = new Map<Value, Use[]>();
  const add = (v: Value, u: Use): void => {
    const l = m.get(v);
    if (l) l.push(u);
    else m.set(v, [u]);
  };
  walkGraphs(root, (g) => {
    for (const n of g.nodes) n.inputs.forEach((v, index) => v && add(v, { kind: 'node', node: n, index, graph: g }));
    g.outputs.forEach((v, index) => add(v, { kind: 'output', graph: g, index }));
  });
  return m;
}

/** Node → the graph that lists it. */
export function mapNodeGraphs(root: Graph): Map<Node, Graph> {
  const m = new Map<Node, Graph>();
  walkGraphs(root, (g) => {
    for (const n of g.nodes) m.set(n, g);
  });
  return m;
}

/** Replaces every use of `from` by `to` (node inputs in all graphs, graph outputs), except in `except`. */
export function replaceUses(root: Graph, from: Value, to: Value, except?: Node): number {
  let count = 0;
  walkGraphs(root, (g) => {
    for (const n of g.nodes) {
      if (n === except) continue;
      for (let i = 0; i < n.inputs.length; i++)
        if (n.inputs[i] === from) {
          n.inputs[i] = to;
          count++;
        }
    }
    for (let i = 0; i < g.outputs.length; i++)
      if (g.outputs[i] === from) {
        g.outputs[i] = to;
        count++;
      }
  });
  return count;
}

/**
 * Collects nodes to insert and splices them in one pass at the end (keeps `graph.nodes` topological and
 * avoids quadratic array splicing on large graphs).
 */
export class NodeInserter {
  private readonly before = new Map<Node | 'start', Node[]>();
  private readonly after = new Map<Node | 'end', Node[]>();

  constructor(readonly graph: Graph) {}

  /** Inserts `n` right after `anchor` (or at the start of the graph when anchor is undefined). */
  insertAfter(anchor: Node | undefined, n: Node): void {
    const key = anchor ?? 'start';
    const map = anchor ? this.after : this.before;
    const l = (map as Map<Node | 'start' | 'end', Node[]>).get(key);
    if (l) l.push(n);
    else (map as Map<Node | 'start' | 'end', Node[]>).set(key, [n]);
  }

  /** Inserts `n` right before `anchor`. */
  insertBefore(anchor: Node, n: Node): void {
    const l = this.before.get(anchor);
    if (l) l.push(n);
    else this.before.set(anchor, [n]);
  }

  append(n: Node): void {
    const l = this.after.get('end');
    if (l) l.push(n);
    else this.after.set('end', [n]);
  }

  get size(): number {
    let s = 0;
    for (const l of this.before.values()) s += l.length;
    for (const l of this.after.values()) s += l.length;
    return s;
  }

  /** Rebuilds `graph.nodes` with the insertions, dropping nodes in `remove`. */
  apply(remove?: Set<Node>): void {
    const out: Node[] = [...(this.before.get('start') ?? [])];
    for (const n of this.graph.nodes) {
      out.push(...(this.before.get(n) ?? []));
      if (!remove?.has(n)) out.push(n);
      out.push(...(this.after.get(n) ?? []));
    }
    out.push(...(this.after.get('end') ?? []));
    this.graph.nodes = out;
  }
}

/** The constant tensor behind a value: an initializer (this graph or an outer one) or a Constant node's output. */
export function constantTensor(v: Value | undefined): Tensor | undefined {
  if (!v) return undefined;
  if (v.initializer && !v.initializer.placeholder) return v.initializer;
  const p = v.producer;
  if (p && p.opType === 'Constant' && (p.domain === '' || p.domain === 'ai.onnx')) {
    const a = p.attr('value');
    if (a?.type === 'tensor') return a.value;
  }
  return undefined;
}

/** Integer values of a constant (shapes, axes), or undefined when not constant. */
export function constantInts(v: Value | undefined): number[] | undefined {
  const t = constantTensor(v);
  if (!t || !(t.dataType === DataType.INT64 || t.dataType === DataType.INT32)) return undefined;
  return readNumbers(t);
}

/** Float values of a constant, or undefined when not a float constant. */
export function constantFloats(v: Value | undefined): Float32Array | undefined {
  const t = constantTensor(v);
  if (!t || !(t.dataType === DataType.FLOAT || t.dataType === DataType.FLOAT16 || t.dataType === DataType.DOUBLE)) return undefined;
  return readFloats(t);
}

export function intAttr(n: Node, name: string, dflt: number): number {
  const a = n.attr(name);
  return a?.type === 'int' ? Number(a.value) : dflt;
}

export function floatAttr(n: Node, name: string, dflt: number): number {
  const a = n.attr(name);
  return a?.type === 'float' ? a.value : dflt;
}

export function intsAttr(n: Node, name: string): number[] | undefined {
  const a = n.attr(name);
  return a?.type === 'ints' ? a.value.map(Number) : undefined;
}

export function setAttr(n: Node, name: string, attr: Node['attributes'][number]['attr']): void {
  const e = n.attributes.find((a) => a.name === name);
  if (e) e.attr = attr;
  else n.attributes.push({ name, attr });
}

/** A new initializer Value in `g` (added to `g.initializers`). */
export function addInitializer(g: Graph, t: Tensor): Value {
  const v = new Value(t.name, { kind: 'tensor', elemType: t.dataType, shape: [...t.dims] });
  v.initializer = t;
  g.initializers.push(v);
  return v;
}

/** A new single-output node; its output Value gets `outName` and the given element type. */
export function makeNode(
  opType: string,
  name: string,
  inputs: (Value | undefined)[],
  outName: string,
  elemType: number | undefined,
  attrs: Node['attributes'] = [],
  domain = '',
): Node {
  const n = new Node(opType, name, inputs, [], domain);
  const o = new Value(outName, elemType !== undefined ? { kind: 'tensor', elemType } : undefined);
  o.producer = n;
  n.outputs = [o];
  n.attributes = attrs;
  return n;
}

export function out0(n: Node): Value {
  const o = n.outputs[0];
  if (!o) throw new PassError('internal', n.name, 'node has no output');
  return o;
}

/** Whether a node is in the default ONNX domain. */
export function isOnnxDomain(n: Node): boolean {
  return n.domain === '' || n.domain === 'ai.onnx';
}

/** Subgraphs of control-flow nodes, re-exported for passes. */
export { listSubgraphs };

/** Raises the default-domain opset import to at least `version` (for ops that need a newer opset). */
export function requireOpset(model: Model, domain: string, version: number): void {
  const d = domain === 'ai.onnx' ? '' : domain;
  const o = model.opsetImports.find((x) => (x.domain === 'ai.onnx' ? '' : x.domain) === d);
  if (!o) model.opsetImports.push({ domain: d, version });
  else if (o.version < version && d !== '') o.version = version;
}

/** Shape of a value from its declared type (undefined when unknown rank). */
export function declaredShape(v: Value | undefined): (number | string | undefined)[] | undefined {
  return v?.tensorType?.shape;
}

/** The number of elements of a shape when fully known. */
export function knownCount(shape: readonly (number | string | undefined)[] | undefined): number | undefined {
  if (!shape) return undefined;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

export type { Graph, Node, Value };
