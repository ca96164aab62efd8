/**
 * Read-only queries over the graph model and the one structural copy that passes start from.
 */
import { byteSize } from './dtype.js';
import { Graph, Node, Value, type Attribute, type Model } from './types.js';

/** Consumers of each value within one graph (subgraph uses count as uses by the owning node). */
export function listConsumers(g: Graph): Map<Value, Node[]> {
  const uses = new Map<Value, Node[]>();
  const add = (v: Value, n: Node): void => {
    const l = uses.get(v);
    if (l) {
      if (l[l.length - 1] !== n) l.push(n);
    } else uses.set(v, [n]);
  };
  for (const n of g.nodes) {
    for (const v of n.inputs) if (v) add(v, n);
    for (const sg of listSubgraphs(n)) for (const v of listOuterReferences(sg)) add(v, n);
  }
  return uses;
}

/** Values a (sub)graph uses but does not define itself: its outer-scope references. */
export function listOuterReferences(g: Graph): Value[] {
  const own = new Set<Value>([...g.initializers, ...g.inputs]);
  for (const n of g.nodes) for (const o of n.outputs) if (o) own.add(o);
  const out = new Set<Value>();
  for (const n of g.nodes) {
    for (const v of n.inputs) if (v && !own.has(v)) out.add(v);
    for (const sg of listSubgraphs(n)) for (const v of listOuterReferences(sg)) if (!own.has(v)) out.add(v);
  }
  for (const v of g.outputs) if (!own.has(v)) out.add(v);
  return [...out];
}

export function listSubgraphs(n: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of n.attributes) {
    if (a.attr.type === 'graph') out.push(a.attr.value);
    else if (a.attr.type === 'graphs') out.push(...a.attr.value);
  }
  return out;
}

/** Visits a graph and all its subgraphs, depth first. */
export function walkGraphs(g: Graph, visit: (g: Graph, depth: number) => void, depth = 0): void {
  visit(g, depth);
  for (const n of g.nodes) for (const sg of listSubgraphs(n)) walkGraphs(sg, visit, depth + 1);
}

/** Every node of a graph and its subgraphs. */
export function listAllNodes(g: Graph): Node[] {
  const out: Node[] = [];
  walkGraphs(g, (sg) => out.push(...sg.nodes));
  return out;
}

export function countParameters(g: Graph): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  walkGraphs(g, (sg) => {
    for (const v of sg.initializers) {
      const t = v.initializer;
      if (!t) continue;
      let n = 1;
      for (const d of t.dims) n *= d;
      count += n;
      bytes += t.data.length > 0 ? t.data.length : (t.external?.length ?? byteSize(t.dataType, n));
    }
  });
  return { count, bytes };
}

/** Op type histogram, sorted by count (subgraphs included). */
export function opHistogram(g: Graph): [string, number][] {
  const h = new Map<string, number>();
  for (const n of listAllNodes(g)) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}:${n.opType}` : n.opType;
    h.set(key, (h.get(key) ?? 0) + 1);
  }
  return [...h.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * A structural copy: new Graph, Node and Value objects, the same Tensor objects (tensor bytes are never
 * copied). Passes start from this so they are pure for their caller.
 */
export function cloneGraph(g: Graph, outer?: Graph, map: Map<Value, Value> = new Map()): Graph {
  const c = new Graph(g.name, outer);
  const v = (x: Value): Value => {
    let y = map.get(x);
    if (!y) {
      y = cloneValue(x);
      map.set(x, y);
    }
    return y;
  };
  c.initializers = g.initializers.map(v);
  c.inputs = g.inputs.map(v);
  for (const n of g.nodes) {
    const m = new Node(
      n.opType,
      n.name,
      n.inputs.map((x) => (x ? v(x) : undefined)),
      [],
      n.domain,
    );
    m.outputs = n.outputs.map((x) => {
      if (!x) return undefined;
      const y = v(x);
      y.producer = m;
      return y;
    });
    m.attributes = n.attributes.map((a) => ({ ...a, attr: cloneAttr(a.attr, c, map) }));
    m.docString = n.docString;
    m.overload = n.overload;
    m.metadataProps = n.metadataProps;
    m.unknown = n.unknown;
    m.protoHints = n.protoHints;
    c.nodes.push(m);
  }
  c.outputs = g.outputs.map(v);
  c.valueInfo = g.valueInfo.map(v);
  c.sparseInitializers = g.sparseInitializers;
  c.quantizationAnnotation = g.quantizationAnnotation;
  c.docString = g.docString;
  c.metadataProps = g.metadataProps;
  c.unknown = g.unknown;
  return c;
}

function cloneValue(x: Value): Value {
  const y = new Value(x.name, x.type ? structuredCloneType(x.type) : undefined);
  y.initializer = x.initializer;
  y.docString = x.docString;
  y.metadataProps = x.metadataProps;
  y.unknown = x.unknown;
  return y;
}

function structuredCloneType(t: NonNullable<Value['type']>): NonNullable<Value['type']> {
  if (t.kind === 'opaque') return t;
  const c: NonNullable<Value['type']> = { kind: 'tensor', elemType: t.elemType };
  if (t.shape) c.shape = [...t.shape];
  if (t.denotations) c.denotations = [...t.denotations];
  return c;
}

function cloneAttr(a: Attribute, outer: Graph, map: Map<Value, Value>): Attribute {
  if (a.type === 'graph') return { type: 'graph', value: cloneGraph(a.value, outer, map) };
  if (a.type === 'graphs') return { type: 'graphs', value: a.value.map((g) => cloneGraph(g, outer, map)) };
  return a;
}

export function cloneModel(m: Model): Model {
  return { ...m, graph: cloneGraph(m.graph), opsetImports: m.opsetImports.map((o) => ({ ...o })), metadataProps: m.metadataProps.map((e) => ({ ...e })) };
}

/** Generates names not yet used in a graph (and its subgraphs). */
export function createNamer(g: Graph): (base: string) => string {
  const used = new Set<string>();
  walkGraphs(g, (sg) => {
    for (const v of [...sg.inputs, ...sg.initializers, ...sg.outputs]) used.add(v.name);
    for (const n of sg.nodes) {
      used.add(n.name);
      for (const o of n.outputs) if (o) used.add(o.name);
    }
  });
  return (base: string): string => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
}

/** The opset version a model imports for a domain ('' = ai.onnx). */
export function getOpset(m: Model, domain = ''): number | undefined {
  const d = domain === 'ai.onnx' ? '' : domain;
  return m.opsetImports.find((o) => (o.domain === 'ai.onnx' ? '' : o.domain) === d)?.version;
}
