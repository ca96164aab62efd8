/**
 * The `fp16` pass: float32 weights and activations → float16, in one pass over the graph.
 *
 * How it decides (compare ORT's `convert_float_to_float16`, anchors §2.3):
 * - Every node is *converted* (its float32 inputs/outputs become float16) or *kept* in float32: kept when
 *   its op is in `opBlockList`, its name in `nodeBlockList`, or it is shape arithmetic (a float node whose
 *   inputs depend only on Shape/Size outputs and constants: frame counts, Resize sizes; float16 is exact
 *   only up to 2048). The chain that computes a kept GridSample's grid is kept too (`keepGridChain`), so
 *   both GridSample inputs have one type, as ORT's kernels require.
 * - Each float32 value gets one *native* type from its producer (converted → float16, kept → float32).
 *   Graph inputs are float16 unless `keepIoTypes`. Initializers, Constants and `Cast(to=FLOAT)` are
 *   *flexible*: they take the type their consumers want, and are duplicated (never cast) when consumers
 *   disagree, so no Cast is ever fed by a Cast the pass made.
 * - A Cast is inserted only where a value's native type differs from what a use needs (a float32 region
 *   meets a float16 one, a kept graph input/output); one Cast per value and type, shared by all its
 *   consumers, placed in the graph that defines the value.
 * - Afterwards, Cast chains that became lossless round trips (fp16→fp32→fp16) or identities are removed.
 * - With `keepIoTypes`, the *output tail* stays float32 (`keepOutputTail`): nodes that only move data or are
 *   elementwise (Sigmoid, Add, Concat, DepthToSpace, …) and feed nothing but graph outputs. Converting them
 *   would only round the result to float16 before the Cast back (about 2e-4 rel. L2 on a [0, 1] image on
 *   its own), and a Concat of a float32 input (a KV cache) would cast that input down and up again.
 * - Subgraphs of If/Loop/Scan are converted too; their float inputs/outputs are float16 like the node's.
 * - Initializer values above 65504 are clamped to ±65504 (counted in `stats.clampedValues` and warned
 *   about), so no Inf appears; NaN/Inf already present are kept.
 * - Tensor storage is never changed (raw stays raw, external stays external: `writeModel` decides).
 */
import { PassError } from '../errors.js';
import { DataType } from '../onnx/dtype.js';
import { cloneModel, createNamer, listSubgraphs } from '../onnx/graph-utils.js';
import { placeholderTensor } from '../onnx/tensor.js';
import { Graph, Node, Value, type Model, type Tensor } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import { NodeInserter, bump, listUses, mapDefiningGraphs, newReport, recordPass, type PassReport, type PassResult, type Use } from './common.js';
import { propagateElemTypes } from './elem-types.js';
import {
  ANY_TYPE_INPUTS,
  FLOAT32_INPUTS,
  FLOAT32_OUTPUTS,
  opKey,
  isFlexibleProducer,
  convertConstantNode,
  convertTypedAttrs,
  findGridChains,
  findOutputTail,
  findShapeArithmetic,
  mixedFloatInputNodes,
  removeRedundantCasts,
} from './fp16-graph.js';
import { float32BytesToFloat16, hasFiniteBeyondHalf } from './half.js';

export const FP16_NAME = 'fp16';

/** Why a node stayed float32 (`kept.<reason>` in the stats). */
export type Fp16KeptReason = 'op' | 'node' | 'shape' | 'range' | 'tail' | 'grid';

/** The fp16 pass's counters. */
export type Fp16Stat =
  | 'nodesConverted'
  | 'nodesKept'
  | `kept.${Fp16KeptReason}`
  | 'castsInserted'
  | 'castsRemoved'
  | 'convertedTensors'
  | 'convertedBytes'
  | 'clampedValues'
  | 'clampedTensors'
  | 'underflowedValues'
  | 'duplicatedInitializers'
  | 'duplicatedNodes';

/**
 * Ops kept in float32 by default:
 * - Range, CumSum, TopK, NonMaxSuppression, RoiAlign: index/coordinate arithmetic where float16 rounding
 *   changes results (ORT's list);
 * - RandomNormal/RandomUniform/…Like, Multinomial, Bernoulli: no float16 CPU kernel (a TTS model broke on
 *   this, anchors §2.4) and the sampled noise should not be rounded;
 * - GridSample: ORT's CUDA kernel is registered for float only, with T1 (X) and T2 (grid) bound to the
 *   same type (core/providers/cuda/tensor/grid_sample.cc; the CPU kernel binds them the same way, for float
 *   and double). So a kept GridSample needs a float32 grid too (see `keepGridChain`): with X float32 and
 *   the grid float16 no EP's kernel matches, ORT's InsertCastTransformer then casts the grid
 *   (`InsertedPrecisionFreeCast_*`) and assigns the GridSample to the CPU EP (the FP16 warp on the H200:
 *   both GridSamples on the CPU, 111 ms against 11 ms in FP32);
 * - QuantizeLinear/DequantizeLinear/DynamicQuantizeLinear: their scale types are fixed by the quantizer;
 * - the ai.onnx.ml classical-ML ops (never float16).
 * Softmax and the normalizations are *not* blocked: ORT's float16 kernels accumulate in float32, and the
 * mixed pass keeps them when measurements say so.
 */
export const FP16_DEFAULT_OP_BLOCK_LIST: readonly string[] = [
  'Range',
  'CumSum',
  'TopK',
  'NonMaxSuppression',
  'RoiAlign',
  'RandomNormal',
  'RandomNormalLike',
  'RandomUniform',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
  'GridSample',
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'ArrayFeatureExtractor',
  'Binarizer',
  'CastMap',
  'CategoryMapper',
  'DictVectorizer',
  'FeatureVectorizer',
  'Imputer',
  'LabelEncoder',
  'LinearClassifier',
  'LinearRegressor',
  'Normalizer',
  'OneHotEncoder',
  'SVMClassifier',
  'SVMRegressor',
  'Scaler',
  'TreeEnsembleClassifier',
  'TreeEnsembleRegressor',
  'ZipMap',
];

export interface Fp16Options {
  /** Keep float32 graph inputs and outputs, with a Cast at the boundary (default false). */
  keepIoTypes?: boolean;
  /** Op types kept in float32 (default `FP16_DEFAULT_OP_BLOCK_LIST`). */
  opBlockList?: readonly string[];
  /** Extra op types kept in float32 on top of `opBlockList` (default none). */
  extraOpBlockList?: readonly string[];
  /** Node names kept in float32 (default none). */
  nodeBlockList?: readonly string[];
  /** Keep shape arithmetic (float math on Shape/Size results) in float32 (default true). */
  keepShapeArithmetic?: boolean;
  /**
   * With `keepIoTypes`: keep the elementwise / data-movement nodes that only feed graph outputs in float32
   * (default true; see the module docs).
   */
  keepOutputTail?: boolean;
  /**
   * Keep the chain that computes a kept GridSample's grid in float32 (default true): walking back from the
   * grid through cheap elementwise, data-movement, reduction and Softmax nodes, up to a heavy op (Conv,
   * MatMul, …), a graph input or a constant. The grid then reaches the GridSample in float32 without a
   * float16 rounding (sub-pixel positions keep float32's precision). Off: the grid is computed in float16
   * and cast to float32 right before the GridSample (still one type, still on the CUDA EP).
   */
  keepGridChain?: boolean;
  /** Remove Cast chains that became no-ops or lossless round trips (default true). */
  removeRedundantCasts?: boolean;
  /**
   * Convert initializer bytes in place, into the source buffer (default false). Only for callers that drop
   * the source model afterwards (the CLI): it halves peak memory on large models but mutates the input's
   * tensors. Shared initializers that still need a float32 copy are never converted in place.
   */
  inPlace?: boolean;
}

export const FP16_DEFAULTS: Required<Fp16Options> = {
  keepIoTypes: false,
  opBlockList: FP16_DEFAULT_OP_BLOCK_LIST,
  extraOpBlockList: [],
  nodeBlockList: [],
  keepShapeArithmetic: true,
  keepOutputTail: true,
  keepGridChain: true,
  removeRedundantCasts: true,
  inPlace: false,
};

type Prec = 'fp16' | 'fp32';
type Need = Prec | 'any';

/**
 * What the fp16 phases share: the clone being rewritten, the indexes built once over it, and what each phase
 * learns (phase 1 the kept nodes, phase 2 each value's native precision, phase 3 the tensors converted and
 * the alternate-precision values made). Each phase reads the earlier phases' fields and fills its own.
 */
interface Fp16State {
  readonly o: Required<Fp16Options>;
  readonly report: PassReport<Fp16Stat>;
  readonly m: Model;
  readonly root: Graph;
  readonly types: Map<Value, number>;
  readonly namer: (base: string) => string;
  readonly definedIn: Map<Value, Graph>;
  readonly uses: Map<Value, Use[]>;
  /** Whether a float32 constant holds values beyond float16's range (cached per value). */
  readonly exceedsHalfCache: Map<Value, boolean>;
  // 1. classify
  readonly kept: Set<Node>;
  /** Subgraphs of kept nodes: everything in them stays float32. */
  readonly skippedSubgraphs: Set<Graph>;
  // 2. decide
  readonly native: Map<Value, Prec>;
  /** Flexible producers (initializers, Constants, Cast to float) whose consumers want both precisions. */
  readonly flexible: Set<Value>;
  // 3. rewrite
  readonly inserters: Map<Graph, NodeInserter>;
  readonly converted: Map<Tensor, Tensor>;
  /** Alternate-precision versions already made, per value. */
  readonly alt: Map<Value, Value>;
  /** Flexible producers as they were before conversion (the float32 duplicate is made from these). */
  readonly origInit: Map<Value, Tensor>;
  readonly origAttrs: Map<Node, Node['attributes']>;
}

/** Runs the pass and returns the model with a report (stats, warnings). */
export function fp16WithReport(model: Model, options: Fp16Options = {}): PassResult<Fp16Stat> {
  const s = createFp16State(model, options);
  classifyNodes(s);
  decideNativePrecisions(s);
  convertGraph(s, s.root);
  connectUses(s);
  removeCasts(s);
  finishReport(s);
  recordPass(s.m, FP16_NAME, {
    keepIoTypes: s.o.keepIoTypes,
    opBlockList: [...s.o.opBlockList, ...s.o.extraOpBlockList],
    nodeBlockList: [...s.o.nodeBlockList],
    keepShapeArithmetic: s.o.keepShapeArithmetic,
    keepGridChain: s.o.keepGridChain,
  });
  verifyModel(s.m, `pass ${FP16_NAME}`);
  return { model: s.m, report: s.report };
}

function createFp16State(model: Model, options: Fp16Options): Fp16State {
  const o: Required<Fp16Options> = { ...FP16_DEFAULTS, ...options };
  const report = newReport<Fp16Stat>(FP16_NAME, { ...o, opBlockList: [...o.opBlockList] });
  const m = cloneModel(model);
  const root = m.graph;
  return {
    o,
    report,
    m,
    root,
    types: propagateElemTypes(root),
    namer: createNamer(root),
    definedIn: mapDefiningGraphs(root),
    uses: listUses(root),
    exceedsHalfCache: new Map(),
    kept: new Set(),
    skippedSubgraphs: new Set(),
    native: new Map(),
    flexible: new Set(),
    inserters: new Map(),
    converted: new Map(),
    alt: new Map(),
    origInit: new Map(),
    origAttrs: new Map(),
  };
}

/**
 * Whether `v` is a float32 constant with values outside float16's range. A node reading one stays in float32:
 * clamping it to 65504 would silently change the model (e.g. a BatchNormalization running variance of 1e8;
 * PP-OCR's detector: rel. L2 28).
 */
function exceedsHalf(s: Fp16State, v: Value | undefined): boolean {
  if (!v || s.types.get(v) !== DataType.FLOAT) return false;
  const cached = s.exceedsHalfCache.get(v);
  if (cached !== undefined) return cached;
  let t = v.initializer;
  if (!t && v.producer?.opType === 'Constant') {
    const a = v.producer.attr('value');
    if (a?.type === 'tensor') t = a.value;
  }
  let out = false;
  if (t && t.dataType === DataType.FLOAT && t.data.length > 0) {
    out = hasFiniteBeyondHalf(t.data);
  }
  s.exceedsHalfCache.set(v, out);
  return out;
}

// ---- 1. classify nodes (all graphs) ------------------------------------------------------------

/** Phase 1: which nodes stay float32 (`kept`), and why (`kept.<reason>` counters). */
function classifyNodes(s: Fp16State): void {
  const tail = s.o.keepIoTypes && s.o.keepOutputTail ? findOutputTail(s.root, s.uses) : new Set<Node>();
  const blockOps = new Set([...s.o.opBlockList, ...s.o.extraOpBlockList]);
  const blockNodes = new Set(s.o.nodeBlockList);
  const keepReason = (n: Node, shapeArith: ReadonlySet<Node>): Fp16KeptReason | undefined =>
    blockOps.has(n.opType) || blockOps.has(opKey(n))
      ? 'op'
      : blockNodes.has(n.name)
        ? 'node'
        : shapeArith.has(n)
          ? 'shape'
          : n.inputs.some((v) => exceedsHalf(s, v))
            ? 'range'
            : tail.has(n)
              ? 'tail'
              : undefined;
  const classify = (g: Graph): void => {
    const shapeArith = s.o.keepShapeArithmetic ? findShapeArithmetic(g, s.types) : new Set<Node>();
    for (const n of g.nodes) {
      const reason = keepReason(n, shapeArith);
      if (reason) {
        s.kept.add(n);
        bump(s.report, `kept.${reason}`);
        for (const sg of listSubgraphs(n)) markSkipped(s, sg);
      } else for (const sg of listSubgraphs(n)) classify(sg);
    }
    if (s.o.keepGridChain) {
      for (const n of findGridChains(g, s.kept, s.types)) {
        s.kept.add(n);
        bump(s.report, 'kept.grid');
      }
    }
  };
  classify(s.root);
}

/** A kept node's subgraph stays float32 whole. */
function markSkipped(s: Fp16State, g: Graph): void {
  s.skippedSubgraphs.add(g);
  for (const n of g.nodes) {
    s.kept.add(n);
    for (const sg of listSubgraphs(n)) markSkipped(s, sg);
  }
}

function isF32(s: Fp16State, v: Value | undefined): v is Value {
  return !!v && s.types.get(v) === DataType.FLOAT;
}

/** What precision a use requires of a float32 value. */
function needOf(s: Fp16State, u: Use): Need {
  if (u.kind === 'output') {
    if (u.graph === s.root) return s.o.keepIoTypes ? 'fp32' : 'any';
    return s.skippedSubgraphs.has(u.graph) ? 'fp32' : 'fp16';
  }
  const n = u.node;
  const key = opKey(n);
  if (ANY_TYPE_INPUTS[n.opType]?.includes(u.index) && (n.domain === '' || n.domain === 'ai.onnx')) {
    // `*Like` ops without dtype follow their input: then the input type matters.
    if (n.opType.endsWith('Like') && !n.attr('dtype')) return s.kept.has(n) ? 'fp32' : 'fp16';
    return 'any';
  }
  if (FLOAT32_INPUTS[key]?.includes(u.index)) return 'fp32';
  return s.kept.has(n) ? 'fp32' : 'fp16';
}

// ---- 2. native precision of each float32 value -------------------------------------------------

/** Phase 2: each float32 value's native precision; flexible producers take what their consumers want. */
function decideNativePrecisions(s: Fp16State, g: Graph = s.root): void {
  const top = g === s.root;
  for (const v of g.inputs) if (isF32(s, v)) s.native.set(v, top ? (s.o.keepIoTypes ? 'fp32' : 'fp16') : s.skippedSubgraphs.has(g) ? 'fp32' : 'fp16');
  const candidates: Value[] = [...g.initializers.filter((v) => isF32(s, v))];
  for (const n of g.nodes) {
    const fixed = FLOAT32_OUTPUTS[opKey(n)] ?? [];
    n.outputs.forEach((v, i) => {
      if (!isF32(s, v)) return;
      if (!s.kept.has(n) && isFlexibleProducer(n)) candidates.push(v);
      else s.native.set(v, s.kept.has(n) || fixed.includes(i) ? 'fp32' : 'fp16');
    });
    for (const sg of listSubgraphs(n)) decideNativePrecisions(s, sg);
  }
  for (const v of candidates) {
    if (s.native.has(v)) continue; // a graph input that is also an initializer (a default value)
    const needs = (s.uses.get(v) ?? []).map((u) => needOf(s, u));
    const w16 = needs.includes('fp16');
    const w32 = needs.includes('fp32');
    s.native.set(v, w16 || (!w32 && needs.length > 0) ? 'fp16' : 'fp32');
    if (w16 && w32) s.flexible.add(v);
  }
}

// ---- 3. rewrite: convert tensors and attributes, retype values ---------------------------------

function inserter(s: Fp16State, g: Graph): NodeInserter {
  let i = s.inserters.get(g);
  if (!i) s.inserters.set(g, (i = new NodeInserter(g)));
  return i;
}

/** A float32 tensor as float16 (converted once per tensor; clamped and underflowed values counted). */
function toHalf(s: Fp16State, t: Tensor, where: string, allowInPlace: boolean): Tensor {
  const prior = s.converted.get(t);
  if (prior) return prior;
  let h: Tensor;
  if (t.placeholder || (t.data.length === 0 && t.dims.some((d) => d !== 0))) {
    h = { ...placeholderTensor(t.name, DataType.FLOAT16, t.dims), ...(t.placeholder ? {} : { placeholder: false }) };
    if (!t.placeholder) throw new PassError(FP16_NAME, where, `tensor '${t.name}' has no data loaded (read the model with external data)`);
  } else {
    const r = float32BytesToFloat16(t.data, s.o.inPlace && allowInPlace ? t.data : undefined);
    bump(s.report, 'clampedValues', r.clamped);
    bump(s.report, 'underflowedValues', r.underflowed);
    if (r.clamped) bump(s.report, 'clampedTensors');
    h = { ...t, dataType: DataType.FLOAT16, data: r.data };
    delete h.external;
    delete h.externalOrder;
  }
  s.converted.set(t, h);
  bump(s.report, 'convertedTensors');
  bump(s.report, 'convertedBytes', t.data.length);
  return h;
}

function retype(v: Value, elemType: number): void {
  if (v.type?.kind === 'tensor') v.type = { ...v.type, elemType };
  else if (!v.type) v.type = { kind: 'tensor', elemType };
}

function convertFlexibleNode(s: Fp16State, n: Node): void {
  if (n.opType === 'Cast') {
    n.attributes = n.attributes.map((a) => (a.name === 'to' ? { ...a, attr: { type: 'int', value: BigInt(DataType.FLOAT16) } } : a));
    return;
  }
  convertConstantNode(n, (t, where, inPlace) => toHalf(s, t, where, inPlace));
}

/** Phase 3: converts initializers, flexible producers and typed attributes; retypes float16 values. */
function convertGraph(s: Fp16State, g: Graph): void {
  for (const v of g.initializers) {
    if (s.native.get(v) === 'fp16' && v.initializer) {
      s.origInit.set(v, v.initializer);
      v.initializer = { ...toHalf(s, v.initializer, v.name, !s.flexible.has(v)), name: v.initializer.name };
      retype(v, DataType.FLOAT16);
    }
  }
  for (const v of g.inputs) if (s.native.get(v) === 'fp16') retype(v, DataType.FLOAT16);
  for (const n of g.nodes) {
    const outsF32 = n.outputs.filter((v) => isF32(s, v));
    if (!s.kept.has(n)) {
      if (isFlexibleProducer(n) && outsF32.length) {
        if (s.native.get(outsF32[0] as Value) === 'fp16') {
          s.origAttrs.set(n, n.attributes);
          convertFlexibleNode(s, n);
        }
      } else if (outsF32.length && (n.opType === 'ConstantOfShape' || n.opType === 'EyeLike' || n.opType.startsWith('Random') || n.opType === 'Bernoulli')) {
        convertTypedAttrs(n, (t, where, inPlace) => toHalf(s, t, where, inPlace));
      }
      if (n.inputs.some((v) => isF32(s, v)) || outsF32.length) bump(s.report, 'nodesConverted');
    }
    for (const v of n.outputs) if (isF32(s, v) && s.native.get(v) === 'fp16') retype(v, DataType.FLOAT16);
    for (const sg of listSubgraphs(n)) convertGraph(s, sg);
  }
}

// ---- 4. connect: every use gets the precision it needs -----------------------------------------

/**
 * `v` in the other precision: a duplicate of a flexible initializer or producer, else one Cast (shared by
 * every consumer, placed in the graph that defines `v`).
 */
function makeAlt(s: Fp16State, v: Value, want: Prec): Value {
  const prior = s.alt.get(v);
  if (prior) return prior;
  const g = s.definedIn.get(v);
  if (!g) throw new PassError(FP16_NAME, undefined, `value '${v.name}' is not defined in any graph`);
  const elem = want === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT;
  let made: Value;
  if (s.flexible.has(v) && v.initializer) {
    // Duplicate the initializer in the other precision instead of casting it at run time.
    made = new Value(s.namer(`${v.name}_${want}`), { kind: 'tensor', elemType: elem, shape: [...(v.initializer.dims ?? [])] });
    const src = s.origInit.get(v) ?? v.initializer;
    made.initializer = want === 'fp16' ? { ...toHalf(s, src, v.name, false), name: made.name } : { ...src, name: made.name };
    g.initializers.push(made);
    bump(s.report, 'duplicatedInitializers');
  } else if (s.flexible.has(v) && v.producer) {
    const p = v.producer;
    const copy = new Node(p.opType, s.namer(`${p.name || p.opType}_${want}`), [...p.inputs], [], p.domain);
    copy.attributes = (s.origAttrs.get(p) ?? p.attributes).map((a) => ({ ...a }));
    made = new Value(s.namer(`${v.name}_${want}`), { kind: 'tensor', elemType: elem });
    made.producer = copy;
    copy.outputs = [made];
    if (want === 'fp16') convertFlexibleNode(s, copy);
    inserter(s, g).insertAfter(p, copy);
    bump(s.report, 'duplicatedNodes');
  } else {
    const cast = new Node('Cast', s.namer(`${v.name}_cast_${want}`), [v], []);
    cast.attributes = [{ name: 'to', attr: { type: 'int', value: BigInt(elem) } }];
    made = new Value(s.namer(`${v.name}_${want}`), { kind: 'tensor', elemType: elem, ...(v.tensorType?.shape ? { shape: [...v.tensorType.shape] } : {}) });
    made.producer = cast;
    cast.outputs = [made];
    if (v.producer && g.nodes.includes(v.producer)) inserter(s, g).insertAfter(v.producer, cast);
    else inserter(s, g).insertAfter(undefined, cast);
    bump(s.report, 'castsInserted');
  }
  s.definedIn.set(made, g);
  s.native.set(made, want);
  s.alt.set(v, made);
  return made;
}

/** Phase 4: every use whose needed precision differs from the value's native one reads an alternate. */
function connectUses(s: Fp16State): void {
  const outputSwaps: { v: Value; index: number }[] = [];
  for (const [v, list] of s.uses) {
    const have = s.native.get(v);
    if (!have) continue;
    for (const u of list) {
      const need = needOf(s, u);
      if (need === 'any' || need === have) continue;
      if (u.kind === 'output' && u.graph === s.root) {
        outputSwaps.push({ v, index: u.index });
        continue;
      }
      const a = makeAlt(s, v, need);
      if (u.kind === 'node') u.node.inputs[u.index] = a;
      else u.graph.outputs[u.index] = a;
    }
  }
  // Kept float32 graph outputs produced in float16: the Cast takes over the output's name.
  for (const { v, index } of outputSwaps) {
    const a = makeAlt(s, v, 'fp32');
    const name = v.name;
    v.name = s.namer(`${name}_fp16`);
    a.name = name;
    if (v.tensorType?.shape && a.type?.kind === 'tensor') a.type.shape = [...v.tensorType.shape];
    s.root.outputs[index] = a;
  }
  for (const ins of s.inserters.values()) ins.apply();
}

// ---- 5. clean up Cast chains, then the report --------------------------------------------------

function removeCasts(s: Fp16State): void {
  if (s.o.removeRedundantCasts) bump(s.report, 'castsRemoved', removeRedundantCasts(s.root));
  bump(s.report, 'castsInserted', 0);
  bump(s.report, 'castsRemoved', 0);
}

/** The warnings (mixed float inputs, clamped initializers) and the kept-node counters and details. */
function finishReport(s: Fp16State): void {
  const { report } = s;
  const mixed = mixedFloatInputNodes(s.root);
  if (mixed.length)
    report.warnings.push({
      pass: FP16_NAME,
      code: 'mixed-float-inputs',
      message: `${mixed.length} node(s) take float inputs of different types, which ONNX Runtime's kernels bind to one type: it will cast them and run the node on the CPU EP: ${mixed
        .slice(0, 6)
        .map((n) => `${n.name || '(unnamed)'} (${n.opType})`)
        .join(', ')}${mixed.length > 6 ? ` +${mixed.length - 6} more` : ''}`,
    });
  const clampedValues = report.stats.clampedValues ?? 0;
  if (clampedValues > 0)
    report.warnings.push({
      pass: FP16_NAME,
      code: 'clamped-initializers',
      message: `${clampedValues} initializer value(s) in ${report.stats.clampedTensors ?? 0} tensor(s) were outside the float16 range and were clamped to ±65504`,
    });
  report.stats.nodesKept = s.kept.size;
  report.details = {
    keptNodes: [...s.kept]
      .filter((n) => n.name)
      .map((n) => n.name)
      .slice(0, 500),
  };
}

/** The `fp16` pass (see module docs). Pure: returns a new model, the input is untouched (unless `inPlace`). */
export function fp16(model: Model, options: Fp16Options = {}): Model {
  return fp16WithReport(model, options).model;
}

export { mixedFloatInputNodes, removeRedundantCasts } from './fp16-graph.js';
export type { PassReport };
