/**
 * Static shape and element-type inference over the graph model, including If / Loop / Scan subgraphs.
 *
 * Facts (element type, shape, and the values of small tensors) flow from graph inputs and initializers
 * through per-op functions (`src/onnx/infer/*`). Small integer tensors are folded (Shape, Gather, Concat,
 * arithmetic, …) so shape subgraphs such as `Reshape(x, Concat(Gather(Shape(x), 0), [-1]))` give concrete
 * shapes. Symbolic dims propagate as strings, products of symbols as `2*N`. Declared value types are kept
 * where inference knows less, and a declared concrete dim that contradicts the inferred one is reported.
 */
import { ShapeInferenceError } from '../errors.js';
import { cloneModel, getOpset } from './graph-utils.js';
import { OpContext, Unknown, facts, type ValueFacts } from './infer/context.js';
import { isNum } from './infer/dims.js';
import { findInferFn, normDomain } from './infer/registry.js';
import { tensorValues } from './infer/shape-ops.js';
import type { Dim, Graph, Model, Node, Value } from './types.js';

export interface InferOptions {
  /**
   * Values for symbolic dims (dim_param name → size). The returned model describes the model at these sizes:
   * declared shapes, graph inputs included, get the numbers.
   */
  dims?: Record<string, number>;
  /** Throw ShapeInferenceError on an op it cannot infer; default false = leave its outputs unknown. */
  strict?: boolean;
  /** Told about problems that strict mode would throw for (unsupported ops, declared-shape conflicts). */
  onWarning?: (message: string) => void;
}

/** The shape a value's type declares (undefined when not a tensor or the rank is unknown). */
export function getShape(v: Value): Dim[] | undefined {
  return v.tensorType?.shape;
}

/** The element type a value's type declares (undefined when not a tensor or undefined). */
export function getElemType(v: Value): number | undefined {
  const t = v.tensorType?.elemType;
  return t ? t : undefined;
}

/** Facts known per value in one graph scope; lookups fall back to the enclosing scope. */
class Scope {
  private readonly map = new Map<Value, ValueFacts>();
  constructor(readonly parent?: Scope) {}
  get(v: Value): ValueFacts | undefined {
    return this.map.get(v) ?? this.parent?.get(v);
  }
  set(v: Value, f: ValueFacts): void {
    this.map.set(v, f);
  }
}

class Engine {
  constructor(
    readonly model: Model,
    readonly options: InferOptions,
  ) {}

  private subst(shape: Dim[] | undefined): Dim[] | undefined {
    const dims = this.options.dims;
    if (!shape || !dims) return shape;
    return shape.map((d) => (typeof d === 'string' && dims[d] !== undefined ? dims[d] : d));
  }

  private declared(v: Value): ValueFacts {
    const t = v.tensorType;
    if (!t) return {};
    return facts(t.elemType || undefined, this.subst(t.shape));
  }

  private warn(e: ShapeInferenceError): void {
    if (this.options.strict) throw e;
    this.options.onWarning?.(e.message);
  }

  /** Infers one graph; returns facts for its outputs. `formal` overrides what its inputs declare. */
  runGraph(g: Graph, parent: Scope | undefined, formal?: ValueFacts[]): ValueFacts[] {
    const scope = new Scope(parent);
    for (const v of g.initializers) {
      const t = v.initializer;
      if (!t) continue;
      scope.set(v, facts(t.dataType, [...t.dims], tensorValues(t)));
      if (!v.type || v.type.kind === 'tensor') v.type = { kind: 'tensor', elemType: t.dataType, shape: [...t.dims] };
    }
    g.inputs.forEach((v, i) => {
      const given = formal?.[i];
      if (!given) {
        if (!v.initializer) scope.set(v, this.write(v, this.declared(v), undefined));
        else scope.set(v, facts(v.initializer.dataType, [...v.initializer.dims])); // a default that callers may override
        return;
      }
      scope.set(v, this.write(v, given, undefined));
    });
    for (const n of g.nodes) this.runNode(n, scope);
    return g.outputs.map((v) => scope.get(v) ?? this.declared(v));
  }

  private runNode(n: Node, scope: Scope): void {
    const inputs = n.inputs.map((v) => (v ? (scope.get(v) ?? this.declared(v)) : {}));
    const fn = findInferFn(n.domain, n.opType);
    let out: (ValueFacts | undefined)[] = [];
    if (!fn) {
      this.warn(new ShapeInferenceError(n.name, n.opType, `no shape inference for op '${normDomain(n.domain) ? `${n.domain}:` : ''}${n.opType}'`));
    } else {
      const opset = getOpset(this.model, n.domain) ?? 1;
      const ctx = new OpContext(n, opset, inputs, (g, formal) => this.runGraph(g, scope, formal));
      try {
        out = fn(ctx);
      } catch (e) {
        if (e instanceof Unknown) {
          if (this.options.strict) throw new ShapeInferenceError(n.name, n.opType, 'output shape depends on values not known statically');
        } else if (e instanceof ShapeInferenceError) this.warn(e);
        else this.warn(new ShapeInferenceError(n.name, n.opType, (e as Error).message));
      }
    }
    n.outputs.forEach((v, i) => {
      if (v) scope.set(v, this.write(v, out[i], n));
    });
  }

  /** Merges inferred facts with the value's declared type, reports conflicts and sets `v.type`. */
  private write(v: Value, inferred: ValueFacts | undefined, n: Node | undefined): ValueFacts {
    const decl = this.declared(v);
    if (!inferred) return decl;
    const where = n ?? { name: v.name, opType: 'input' };
    const conflict = (detail: string): void => this.warn(new ShapeInferenceError(where.name, where.opType, `value '${v.name}': ${detail}`));
    const elemType = inferred.elemType ?? decl.elemType;
    if (inferred.elemType !== undefined && decl.elemType !== undefined && inferred.elemType !== decl.elemType)
      conflict(`inferred element type ${inferred.elemType} but the model declares ${decl.elemType}`);
    let shape = inferred.shape ?? decl.shape;
    if (inferred.shape && decl.shape) {
      if (inferred.shape.length !== decl.shape.length) conflict(`inferred rank ${inferred.shape.length} but the model declares [${decl.shape.join(',')}]`);
      else
        shape = inferred.shape.map((d, i) => {
          const e = decl.shape?.[i];
          if (isNum(d) && isNum(e) && d !== e) conflict(`inferred shape [${inferred.shape?.join(',')}] but the model declares [${decl.shape?.join(',')}]`);
          if (isNum(d) || e === undefined) return d;
          return isNum(e) || d === undefined ? e : d;
        });
    }
    const merged = facts(elemType, shape, inferred.value);
    if (elemType !== undefined && v.type?.kind !== 'opaque') {
      const prior = v.tensorType;
      v.type = { kind: 'tensor', elemType, ...(shape ? { shape: [...shape] } : {}) };
      if (prior?.denotations && shape && prior.denotations.length === shape.length) v.type.denotations = prior.denotations;
    }
    return merged;
  }
}

/**
 * Returns a copy of the model (cloneModel: tensors shared) with `Value.type` (element type and shape) set
 * on every value it can infer, inside If / Loop / Scan bodies too. With `options.dims` the shapes are
 * those for the given symbol sizes. Unsupported ops leave their outputs as declared (or unknown); in
 * strict mode they, malformed nodes and declared-shape conflicts throw ShapeInferenceError.
 */
export function inferShapes(model: Model, options: InferOptions = {}): Model {
  const m = cloneModel(model);
  new Engine(m, options).runGraph(m.graph, undefined);
  return m;
}
