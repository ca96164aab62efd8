/**
 * A small builder for making graphs in code (reference models, tests).
 *
 * ```ts
 * const b = new GraphBuilder('tiny', { seed: 1 });
 * const x = b.input('x', DataType.FLOAT, [1, 3, 8, 8]);
 * const w = b.weight('conv.w', [4, 3, 3, 3], { fanIn: 27 });
 * const y = b.op('Conv', [x, w], { pads: [1, 1, 1, 1] });
 * b.output(b.op('Relu', [y]), 'y');
 * const model = b.finish();
 * ```
 */
import { DataType } from './dtype.js';
import { renamedTensor } from './lazy-data.js';
import { createRng, type Rng } from './rng.js';
import { floatTensor, int64Tensor, makeTensor, placeholderTensor } from './tensor.js';
import { Graph, Node, Value, type Attribute, type AttributeEntry, type Dim, type Model, type OpsetImport, type Tensor } from './types.js';
import { verifyModel } from './verify.js';

export type AttrInput = number | bigint | string | number[] | bigint[] | string[] | Tensor | Graph | Attribute;

/** Marks a number as a float attribute even when it is integral (1.0, 0.0). */
export function f(value: number): Attribute {
  return { type: 'float', value };
}

export function fs(value: number[]): Attribute {
  return { type: 'floats', value };
}

function isAttribute(a: AttrInput): a is Attribute {
  return (
    typeof a === 'object' && !(a instanceof Graph) && !Array.isArray(a) && 'type' in a && typeof (a as { type: unknown }).type === 'string' && !('dims' in a)
  );
}

const enc = new TextEncoder();

export function toAttribute(a: AttrInput): Attribute {
  if (isAttribute(a)) return a;
  if (a instanceof Graph) return { type: 'graph', value: a };
  if (typeof a === 'number') return Number.isInteger(a) ? { type: 'int', value: BigInt(a) } : { type: 'float', value: a };
  if (typeof a === 'bigint') return { type: 'int', value: a };
  if (typeof a === 'string') return { type: 'string', value: enc.encode(a) };
  if (Array.isArray(a)) {
    if (a.length === 0) return { type: 'ints', value: [] };
    const first = a[0];
    if (typeof first === 'string') return { type: 'strings', value: (a as string[]).map((s) => enc.encode(s)) };
    if (typeof first === 'bigint') return { type: 'ints', value: a as bigint[] };
    const nums = a as number[];
    return nums.every((x) => Number.isInteger(x)) ? { type: 'ints', value: nums.map((x) => BigInt(x)) } : { type: 'floats', value: nums };
  }
  return { type: 'tensor', value: a };
}

export interface BuilderOptions {
  seed?: number;
  /** Default-domain opset (default 17, what the Ditto exports use). */
  opset?: number;
  /** Extra opset imports, e.g. { 'com.microsoft': 1 }. */
  opsets?: Record<string, number>;
  irVersion?: number;
  /** 'random' materializes seeded weights; 'none' makes placeholders (count params/MACs cheaply). */
  weights?: 'random' | 'none';
}

export interface WeightInit {
  /** Fan-in for a variance-preserving uniform init (std = gain / sqrt(fanIn)). */
  fanIn?: number;
  gain?: number;
  /** A constant fill instead of random values (norm scales = 1, biases = 0). */
  constant?: number;
  /** Explicit standard deviation. */
  std?: number;
  /** Mean added to the random values. */
  mean?: number;
}

export class GraphBuilder {
  readonly graph: Graph;
  readonly rng: Rng;
  readonly options: Required<Omit<BuilderOptions, 'opsets'>> & { opsets: Record<string, number> };
  private readonly names = new Set<string>();
  private counter = 0;
  private readonly scopes: string[] = [];

  constructor(name: string, options: BuilderOptions = {}) {
    this.graph = new Graph(name);
    this.options = {
      seed: options.seed ?? 0,
      opset: options.opset ?? 17,
      opsets: options.opsets ?? {},
      irVersion: options.irVersion ?? 8,
      weights: options.weights ?? 'random',
    };
    this.rng = createRng(this.options.seed);
  }

  /** Prefixes node and weight names made inside `fn` (like module paths: `/encoder/layer.0/...`). */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  private prefixed(base: string): string {
    return this.scopes.length ? `${this.scopes.join('.')}.${base}` : base;
  }

  unique(base: string): string {
    let n = base;
    for (let i = 1; this.names.has(n); i++) n = `${base}_${i}`;
    this.names.add(n);
    return n;
  }

  input(name: string, elemType: number, shape: Dim[]): Value {
    const v = new Value(this.unique(name), { kind: 'tensor', elemType, shape: [...shape] });
    this.graph.inputs.push(v);
    return v;
  }

  output(v: Value, name?: string, shape?: Dim[]): Value {
    let out = v;
    if (name && v.name !== name) {
      // Rename through Identity-free renaming when the value is a plain node output.
      if (v.producer && !this.graph.outputs.includes(v) && !this.names.has(name)) {
        this.names.delete(v.name);
        v.name = name;
        this.names.add(name);
      } else out = this.op('Identity', [v], {}, { outputName: name });
    }
    if (shape || !out.type)
      out.type = { kind: 'tensor', elemType: v.type?.kind === 'tensor' ? v.type.elemType : DataType.FLOAT, ...(shape ? { shape: [...shape] } : {}) };
    this.graph.outputs.push(out);
    return out;
  }

  /** Adds an initializer with the given tensor. */
  init(t: Tensor): Value {
    const name = this.unique(t.name || 'const');
    const v = new Value(name, { kind: 'tensor', elemType: t.dataType, shape: [...t.dims] });
    v.initializer = renamedTensor(t, name);
    this.graph.initializers.push(v);
    return v;
  }

  /** A float32 weight: seeded uniform values with the requested std, or a constant. */
  weight(name: string, dims: number[], init: WeightInit = {}): Value {
    const full = this.prefixed(name);
    if (this.options.weights === 'none') return this.init(placeholderTensor(full, DataType.FLOAT, dims));
    let n = 1;
    for (const d of dims) n *= d;
    const data = new Float32Array(n);
    if (init.constant !== undefined) data.fill(init.constant);
    else {
      const std = init.std ?? (init.gain ?? 1) / Math.sqrt(Math.max(1, init.fanIn ?? dims.slice(1).reduce((a, b) => a * b, 1)));
      this.rng.fillUniform(data, std, init.mean ?? 0);
    }
    return this.init(makeTensor(full, DataType.FLOAT, dims, data));
  }

  /** Small constants (shapes, axes, scalars) are always materialized, also when weights are 'none'. */
  constInt64(name: string, values: number[], dims: number[] = [values.length]): Value {
    return this.init(int64Tensor(this.prefixed(name), dims, values));
  }

  constFloat(name: string, values: number[], dims: number[] = [values.length]): Value {
    return this.init(floatTensor(this.prefixed(name), dims, values));
  }

  /** Adds a node; returns its single output, or all outputs when `outputs` > 1. */
  op(opType: string, inputs: (Value | undefined)[], attrs?: Record<string, AttrInput>, opts?: { name?: string; domain?: string; outputName?: string }): Value;
  op(
    opType: string,
    inputs: (Value | undefined)[],
    attrs: Record<string, AttrInput>,
    opts: { name?: string; domain?: string; outputs: number; outputNames?: string[] },
  ): Value[];
  op(
    opType: string,
    inputs: (Value | undefined)[],
    attrs: Record<string, AttrInput> = {},
    opts: { name?: string; domain?: string; outputs?: number; outputName?: string; outputNames?: string[] } = {},
  ): Value | Value[] {
    const base = opts.name ?? `${opType}_${this.counter++}`;
    const name = this.unique(this.prefixed(base));
    const count = opts.outputs ?? 1;
    const node = new Node(opType, name, inputs, [], opts.domain ?? '');
    node.outputs = Array.from({ length: count }, (_, i) => {
      const oname = this.unique(opts.outputNames?.[i] ?? (count === 1 && opts.outputName ? opts.outputName : `${name}_output_${i}`));
      const v = new Value(oname);
      v.producer = node;
      return v;
    });
    node.attributes = Object.entries(attrs).map(([k, a]): AttributeEntry => ({ name: k, attr: toAttribute(a) }));
    this.graph.nodes.push(node);
    return opts.outputs === undefined ? (node.outputs[0] as Value) : (node.outputs as Value[]);
  }

  finish(meta: { producerName?: string; docString?: string; metadata?: Record<string, string> } = {}): Model {
    const opsetImports: OpsetImport[] = [{ domain: '', version: this.options.opset }];
    for (const [domain, version] of Object.entries(this.options.opsets)) opsetImports.push({ domain, version });
    const model: Model = {
      irVersion: this.options.irVersion,
      opsetImports,
      producerName: meta.producerName ?? 'avatar-workbench',
      producerVersion: '0.1.0',
      graph: this.graph,
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
      functions: [],
      trainingInfo: [],
    };
    if (meta.docString) model.docString = meta.docString;
    verifyModel(model, `builder '${this.graph.name}'`);
    return model;
  }
}
