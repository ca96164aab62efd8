/**
 * What a per-op inference function sees: the node, its opset, what is known about each input (element
 * type, shape and, for small tensors, their values) and typed attribute accessors. Op functions return
 * one ValueFacts per output; they throw ShapeInferenceError (via `fail`) when the node is malformed.
 */
import { ShapeInferenceError } from '../../errors.js';
import type { Dim, Graph, Node, Tensor } from '../types.js';

/** What is known about one value. */
export interface ValueFacts {
  elemType?: number;
  /** Undefined = rank unknown. */
  shape?: Dim[];
  /**
   * Element values (row-major) of a small tensor: shape arithmetic, axes, scales. Entries can be symbolic
   * (a Shape of a tensor with symbolic dims) or unknown.
   */
  value?: Dim[];
}

/** Infers a subgraph given facts for its formal inputs; returns facts for its outputs. */
export type SubgraphInferrer = (g: Graph, inputs: ValueFacts[]) => ValueFacts[];

/** Per-op shape/type inference: facts for each output (undefined = unknown). */
export type OpInferFn = (ctx: OpContext) => (ValueFacts | undefined)[];

const dec = new TextDecoder();

export class OpContext {
  constructor(
    readonly node: Node,
    /** Opset version of the node's domain. */
    readonly opset: number,
    readonly inputs: readonly ValueFacts[],
    readonly inferSubgraph: SubgraphInferrer,
  ) {}

  /** Throws the typed error naming this node. */
  fail(detail: string): never {
    throw new ShapeInferenceError(this.node.name, this.node.opType, detail);
  }

  /** Whether optional input i is given. */
  has(i: number): boolean {
    return this.node.inputs[i] !== undefined && this.node.inputs[i]?.name !== '';
  }

  input(i: number): ValueFacts {
    return this.has(i) ? (this.inputs[i] ?? {}) : {};
  }

  shape(i: number): Dim[] | undefined {
    return this.input(i).shape;
  }

  /** Shape of input i, failing when the rank is unknown. */
  needShape(i: number): Dim[] {
    const s = this.shape(i);
    if (!s) throw new Unknown();
    return s;
  }

  type(i: number): number | undefined {
    return this.input(i).elemType;
  }

  /** Known numeric values of input i (all entries numbers), else undefined. */
  numbers(i: number): number[] | undefined {
    const v = this.input(i).value;
    if (!v || v.some((x) => typeof x !== 'number')) return undefined;
    return v as number[];
  }

  /** Numeric values of input i, or a signal that the output is unknown. */
  needNumbers(i: number): number[] {
    const n = this.numbers(i);
    if (!n) throw new Unknown();
    return n;
  }

  /** True when the input is given but is an empty tensor (a placeholder for "not used"). */
  isEmpty(i: number): boolean {
    const s = this.shape(i);
    return !this.has(i) || (s !== undefined && s.length === 1 && s[0] === 0);
  }

  int(name: string, def: number): number;
  int(name: string): number | undefined;
  int(name: string, def?: number): number | undefined {
    const a = this.node.attr(name);
    if (!a) return def;
    if (a.type !== 'int') this.fail(`attribute '${name}' should be an int, got ${a.type}`);
    return Number(a.value);
  }

  ints(name: string): number[] | undefined {
    const a = this.node.attr(name);
    if (!a) return undefined;
    if (a.type !== 'ints') this.fail(`attribute '${name}' should be ints, got ${a.type}`);
    return a.value.map(Number);
  }

  float(name: string, def: number): number {
    const a = this.node.attr(name);
    if (!a) return def;
    if (a.type === 'float') return a.value;
    if (a.type === 'int') return Number(a.value);
    return this.fail(`attribute '${name}' should be a float, got ${a.type}`);
  }

  floats(name: string): number[] | undefined {
    const a = this.node.attr(name);
    if (!a) return undefined;
    if (a.type !== 'floats') this.fail(`attribute '${name}' should be floats, got ${a.type}`);
    return a.value;
  }

  str(name: string, def: string): string {
    const a = this.node.attr(name);
    if (!a) return def;
    if (a.type !== 'string') this.fail(`attribute '${name}' should be a string, got ${a.type}`);
    return dec.decode(a.value);
  }

  tensor(name: string): Tensor | undefined {
    const a = this.node.attr(name);
    return a?.type === 'tensor' ? a.value : undefined;
  }

  graph(name: string): Graph | undefined {
    const a = this.node.attr(name);
    return a?.type === 'graph' ? a.value : undefined;
  }
}

/** Thrown by op functions when an output cannot be inferred from what is known (not an error). */
export class Unknown extends Error {
  constructor() {
    super('unknown');
  }
}

/** Facts for a tensor of this type and shape. */
export function facts(elemType: number | undefined, shape: Dim[] | undefined, value?: Dim[]): ValueFacts {
  const f: ValueFacts = {};
  if (elemType !== undefined) f.elemType = elemType;
  if (shape) f.shape = shape;
  if (value) f.value = value;
  return f;
}

/** Tensors up to this many elements keep their values for folding. */
export const MAX_FOLD_ELEMENTS = 64;
