/**
 * The `resolution` pass: runs a model at another input size by rewriting the input dims and every
 * shape-dependent constant, then re-inferring shapes.
 *
 * How: shapes are inferred for the original model (`inferShapes`). The spatial *levels* of the model are
 * the (H, W) pairs that are the last two dims of its rank ≥ 4 float values; each level scales by the
 * input's ratio (256→192 maps 64×64 to 48×48). Then, repeatedly until nothing changes: declared shapes
 * are cleared, shapes are inferred at the new input size, and each node whose input shapes are now known
 * gets its constant shape inputs rewritten:
 * - Reshape targets: dims grouped against the old input shape by equal products; a changed group keeps
 *   its structure (flatten H·W → H'·W'; unflatten via the level map); 0 / −1 entries are kept;
 * - Resize / Upsample `sizes`: the old output/input ratio per axis is kept (`scales` need no change);
 * - Expand / ConstantOfShape / Tile shapes: entries that were spatial (level sizes at the last two
 *   positions, or equal to the old broadcast dim) are mapped;
 * - Slice starts/ends on changed axes: "to the end" stays, others scale with the axis;
 * - constant coordinate grids and positional maps (float initializers shaped [.., H, W, 2|3] or
 *   [.., C, H, W] at a level, not Conv weights) are regenerated at the new size by linear interpolation
 *   with linear extrapolation at the borders — exact for identity grids (pixel-centre or corner-aligned).
 * Rewritten constants become new initializers (shared ones are never edited in place). Declared output
 * shapes are updated from the final inference.
 */
import { PassError } from '../errors.js';
import { DataType } from '../onnx/dtype.js';
import { cloneModel, createNamer } from '../onnx/graph-utils.js';
import { inferShapes } from '../onnx/shape-inference.js';
import { int64Tensor, makeTensor, readFloats } from '../onnx/tensor.js';
import { Node, Value, type Dim, type Graph, type Model, type Tensor } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import { addInitializer, bump, constantInts, constantTensor, isOnnxDomain, newReport, recordPass, type PassReport, type PassResult } from './common.js';

export const RESOLUTION_NAME = 'resolution';

/** The resolution pass's counters (`rewritten.<opType>`: shape constants of that op type rewritten). */
export type ResolutionStat = 'gridsRegenerated' | 'rounds' | `rewritten.${string}`;

export interface ResolutionOptions {
  /** New spatial size for every rank ≥ 4 float input: one number (square) or [H, W] (default none). */
  size?: number | [number, number];
  /** Explicit new input shapes by input name, e.g. { x: [1, 3, 192, 192] } (default none). */
  inputs?: Record<string, Dim[]>;
  /** Upper bound on infer-and-rewrite rounds (default 32). */
  maxRounds?: number;
  /**
   * Keep the model's input shapes and resize the inputs inside the graph (a linear Resize in front) (default
   * false). For a role whose producer cannot change size — e.g. Ditto's decoder fed by the warp network,
   * whose 5-level hourglass needs a feature grid divisible by 32 — this lowers the role's own compute.
   */
  keepInputs?: boolean;
}

export const RESOLUTION_DEFAULTS = { maxRounds: 32 };

type Shape = Dim[] | undefined;

function numShape(s: Shape): number[] | undefined {
  return s && s.every((d) => typeof d === 'number') ? (s as number[]) : undefined;
}

function prod(a: readonly number[]): number {
  return a.reduce((x, y) => x * y, 1);
}

/** The spatial levels of the original model and where each maps at the new size. */
interface SpatialLevels {
  /** 'HxW' of every level found. */
  levels: Set<string>;
  mapH: Map<number, number>;
  mapW: Map<number, number>;
}

/**
 * What the resolution phases share: the options, the original model's inferred shapes, the new input shapes
 * and spatial levels planned from them, and the clone being rewritten.
 */
interface ResolutionState {
  readonly o: ResolutionOptions & typeof RESOLUTION_DEFAULTS;
  readonly report: PassReport<ResolutionStat>;
  /** The original model with inferred shapes. */
  readonly old: Model;
  /** Value name → its shape in the original model. */
  readonly oldShape: Map<string, Shape>;
  readonly newInputs: Map<string, number[]>;
  readonly spatial: SpatialLevels;
  readonly m: Model;
  readonly namer: (base: string) => string;
}

/** Runs the pass and returns the model with a report. */
export function resolutionWithReport(model: Model, options: ResolutionOptions): PassResult<ResolutionStat> {
  const o = { ...RESOLUTION_DEFAULTS, ...options };
  const report = newReport<ResolutionStat>(RESOLUTION_NAME, o);
  if (o.size === undefined && !o.inputs) throw new PassError(RESOLUTION_NAME, undefined, 'give a size or input shapes');
  const old = inferShapes(model);
  const oldShape = collectShapes(old.graph);
  const { newInputs, ratioH, ratioW } = planInputShapes(old, o);
  const spatial = findSpatialLevels(old, ratioH, ratioW);
  const m = cloneModel(model);
  const s: ResolutionState = { o, report, old, oldShape, newInputs, spatial, m, namer: createNamer(m.graph) };
  for (const v of m.graph.inputs) {
    const shape = newInputs.get(v.name);
    if (shape && v.type?.kind === 'tensor') v.type = { ...v.type, shape: [...shape] };
  }
  regenerateGrids(s);
  report.stats.rounds = rewriteShapeConstants(s) + 1;
  setFinalShapes(s);
  dropUnused(m.graph);
  report.details = {
    ...(report.details ?? {}),
    inputs: Object.fromEntries(newInputs),
    outputs: Object.fromEntries(m.graph.outputs.map((v) => [v.name, v.tensorType?.shape ?? null])),
    levels: [...spatial.levels],
  };
  if (o.keepInputs) keepInputShapes(m, old, newInputs, s.namer);
  recordPass(m, RESOLUTION_NAME, { size: o.size, inputs: Object.fromEntries(newInputs), ...(o.keepInputs ? { keepInputs: true } : {}) });
  verifyModel(m, `pass ${RESOLUTION_NAME}`);
  return { model: m, report };
}

/** Value name → shape, for the graph's inputs, outputs and node outputs. */
function collectShapes(g: Graph): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const v of [...g.inputs, ...g.outputs]) shapes.set(v.name, v.tensorType?.shape);
  for (const n of g.nodes) for (const v of n.outputs) if (v) shapes.set(v.name, v.tensorType?.shape);
  return shapes;
}

/** New input shapes (given ones, then every other float image input scaled by `size`) and the scale per axis. */
function planInputShapes(old: Model, o: ResolutionOptions): { newInputs: Map<string, number[]>; ratioH: number; ratioW: number } {
  const newInputs = new Map<string, number[]>();
  let ratioH: number | undefined;
  let ratioW: number | undefined;
  for (const v of old.graph.inputs) {
    if (v.initializer) continue;
    const s = numShape(v.tensorType?.shape);
    const given = o.inputs?.[v.name];
    if (given) {
      const g = numShape(given);
      if (!g) throw new PassError(RESOLUTION_NAME, undefined, `input '${v.name}': new shape must be all numbers`);
      newInputs.set(v.name, g);
      if (s && s.length >= 4 && g.length === s.length && ratioH === undefined) {
        ratioH = (g[s.length - 2] as number) / (s[s.length - 2] as number);
        ratioW = (g[s.length - 1] as number) / (s[s.length - 1] as number);
      }
    }
  }
  if (o.size !== undefined) {
    const [h, w] = typeof o.size === 'number' ? [o.size, o.size] : o.size;
    const resizable = (v: Value): number[] | undefined => {
      const s = numShape(v.tensorType?.shape);
      return !s || s.length < 4 || v.tensorType?.elemType !== DataType.FLOAT || newInputs.has(v.name) ? undefined : s;
    };
    // The reference level is the largest spatial input.
    let refH = 0;
    let refW = 0;
    for (const v of old.graph.inputs) {
      const s = resizable(v);
      if (s && (s[s.length - 2] as number) > refH) {
        refH = s[s.length - 2] as number;
        refW = s[s.length - 1] as number;
      }
    }
    if (!refH) throw new PassError(RESOLUTION_NAME, undefined, 'no float input of rank ≥ 4 with a known shape to resize');
    const rH = h / refH;
    const rW = w / refW;
    ratioH = rH;
    ratioW = rW;
    for (const v of old.graph.inputs) {
      const s = resizable(v);
      if (!s) continue;
      const n = [...s];
      n[n.length - 2] = Math.round((s[s.length - 2] as number) * rH);
      n[n.length - 1] = Math.round((s[s.length - 1] as number) * rW);
      newInputs.set(v.name, n);
    }
  }
  if (ratioH === undefined || ratioW === undefined)
    throw new PassError(RESOLUTION_NAME, undefined, 'cannot tell the spatial scale: give --resolution or a rank ≥ 4 input shape');
  return { newInputs, ratioH, ratioW };
}

/**
 * Spatial levels of the original model: (H, W) → (H', W'). A spatial level is (H, W) = the largest image
 * input's (H0, W0) scaled by the same power of two on both axes. That excludes NHWC tensors ([.., H, W, C]
 * ends in (W, C)) and per-channel constants ([1,1,1,C]), whose trailing dims only look spatial.
 */
function findSpatialLevels(old: Model, rH: number, rW: number): SpatialLevels {
  const out: SpatialLevels = { levels: new Set(), mapH: new Map(), mapW: new Map() };
  let h0 = 0;
  let w0 = 0;
  for (const v of old.graph.inputs) {
    const s = numShape(v.tensorType?.shape);
    if (s && s.length >= 4 && (s[s.length - 2] as number) > h0) {
      h0 = s[s.length - 2] as number;
      w0 = s[s.length - 1] as number;
    }
  }
  const isLevel = (H: number, W: number): boolean => {
    if (H <= 1 || W <= 1 || !h0 || !w0 || H * w0 !== W * h0) return false;
    const k = Math.log2(H / h0);
    return Number.isInteger(k) && k >= -8 && k <= 3;
  };
  const addLevel = (s: Shape, t?: number): void => {
    const ns = numShape(s);
    if (!ns || ns.length < 4 || (t !== undefined && t !== DataType.FLOAT && t !== DataType.FLOAT16)) return;
    const H = ns[ns.length - 2] as number;
    const W = ns[ns.length - 1] as number;
    if (!isLevel(H, W)) return;
    out.levels.add(`${H}x${W}`);
    out.mapH.set(H, Math.round(H * rH));
    out.mapW.set(W, Math.round(W * rW));
  };
  const g = old.graph;
  for (const v of g.inputs) addLevel(v.tensorType?.shape, v.tensorType?.elemType);
  for (const n of g.nodes) for (const v of n.outputs) if (v) addLevel(v.tensorType?.shape, v.tensorType?.elemType);
  return out;
}

/** A dim's new size: by its axis (W last, H second to last), else whichever level map knows it. */
function mapDimOf(sp: SpatialLevels): (d: number, axisFromEnd: number) => number {
  return (d, axisFromEnd) => (axisFromEnd === 1 ? sp.mapW.get(d) : axisFromEnd === 2 ? sp.mapH.get(d) : undefined) ?? sp.mapH.get(d) ?? sp.mapW.get(d) ?? d;
}

/** Constant grids / positional maps at a spatial level are resampled to the new size (conv weights are not). */
function regenerateGrids(s: ResolutionState): void {
  const { m, spatial } = s;
  const convWeights = new Set<Value>();
  for (const n of m.graph.nodes) if ((n.opType === 'Conv' || n.opType === 'ConvTranspose') && n.inputs[1]) convWeights.add(n.inputs[1]);
  for (const n of m.graph.nodes) {
    n.inputs.forEach((v, i) => {
      if (!v?.initializer || convWeights.has(v)) return;
      const t = v.initializer;
      if (t.dataType !== DataType.FLOAT || t.dims.length < 3) return;
      const r = t.dims.length;
      const last = t.dims[r - 1] as number;
      let hAxis = -1;
      if ((last === 2 || last === 3) && spatial.levels.has(`${t.dims[r - 3]}x${t.dims[r - 2]}`)) hAxis = r - 3;
      else if (r >= 4 && spatial.levels.has(`${t.dims[r - 2]}x${t.dims[r - 1]}`)) hAxis = r - 2;
      if (hAxis < 0) return;
      const H = t.dims[hAxis] as number;
      const W = t.dims[hAxis + 1] as number;
      const H2 = spatial.mapH.get(H) ?? H;
      const W2 = spatial.mapW.get(W) ?? W;
      if (H2 === H && W2 === W) return;
      const nt = resampleGrid(t, hAxis, H2, W2, s.namer(`${t.name}_${H2}x${W2}`));
      n.inputs[i] = addInitializer(m.graph, nt);
      bump(s.report, 'gridsRegenerated');
    });
  }
}

/**
 * Infer-and-rewrite rounds: each round infers shapes at the new size and rewrites the constant shape inputs
 * of nodes whose input shape changed, until a round changes nothing. Returns the rounds run before that one.
 */
function rewriteShapeConstants(s: ResolutionState): number {
  const { m, report } = s;
  const mapDim = mapDimOf(s.spatial);
  const fixed = new Set<Node>();
  let rounds = 0;
  for (; rounds < s.o.maxRounds; rounds++) {
    clearShapes(m.graph);
    const warnings: string[] = [];
    const cur = inferShapes(m, { onWarning: (w) => warnings.push(w) });
    const newShape = new Map<string, Shape>();
    for (const n of cur.graph.nodes) for (const v of n.outputs) if (v) newShape.set(v.name, v.tensorType?.shape);
    for (const v of cur.graph.inputs) newShape.set(v.name, v.tensorType?.shape);
    const shapeOf = (v: Value | undefined, which: 'old' | 'new'): number[] | undefined => {
      if (!v) return undefined;
      if (v.initializer) return [...v.initializer.dims];
      return numShape((which === 'old' ? s.oldShape : newShape).get(v.name));
    };
    let changed = 0;
    for (const n of m.graph.nodes) {
      if (fixed.has(n) || !isOnnxDomain(n)) continue;
      const x = n.inputs[0];
      const so = shapeOf(x, 'old');
      const sn = shapeOf(x, 'new');
      if (!so || !sn) continue;
      const outOld = numShape(s.oldShape.get(n.outputs[0]?.name ?? ''));
      const res = rewriteNode(n, so, sn, outOld, mapDim);
      // Nodes are rewritten once, when their input shape has changed; until then (upstream constants not
      // yet rewritten give the old shape) they are looked at again next round.
      if (res === 'wait' || !res) continue;
      fixed.add(n);
      for (const [idx, values] of res) {
        const t = constantTensor(n.inputs[idx]);
        const nt = int64Tensor(s.namer(`${t?.name || n.name}_resized`), [values.length], values);
        n.inputs[idx] = addInitializer(m.graph, nt);
      }
      bump(report, `rewritten.${n.opType}`);
      changed++;
    }
    if (!changed) {
      if (warnings.length) report.details = { inferenceWarnings: warnings.slice(0, 20) };
      break;
    }
  }
  return rounds;
}

/** Final shapes: declared outputs and value_info from inference at the new size. */
function setFinalShapes(s: ResolutionState): void {
  const { m } = s;
  clearShapes(m.graph);
  const final = inferShapes(m);
  const finalShapes = new Map<string, Shape>();
  for (const v of final.graph.outputs) finalShapes.set(v.name, v.tensorType?.shape);
  for (const n of final.graph.nodes) for (const v of n.outputs) if (v) finalShapes.set(v.name, v.tensorType?.shape);
  for (const v of m.graph.outputs) {
    const shape = finalShapes.get(v.name);
    if (v.type?.kind === 'tensor') {
      if (shape) v.type = { ...v.type, shape: [...shape] };
      else {
        delete v.type.shape;
        s.report.warnings.push({
          pass: RESOLUTION_NAME,
          code: 'unknown-output-shape',
          message: `output '${v.name}': shape could not be inferred at the new size`,
        });
      }
    }
  }
  for (const v of m.graph.valueInfo) {
    const shape = finalShapes.get(v.name);
    if (v.type?.kind === 'tensor') v.type = { ...v.type, ...(shape ? { shape: [...shape] } : {}) };
  }
}

/** The resolution pass (see module docs). Pure. */
export function resolution(model: Model, options: ResolutionOptions): Model {
  return resolutionWithReport(model, options).model;
}

/** Removes declared shapes of node outputs (so inference recomputes them); keeps element types. */
function clearShapes(g: Graph): void {
  for (const n of g.nodes) for (const v of n.outputs) if (v?.type?.kind === 'tensor') v.type = { kind: 'tensor', elemType: v.type.elemType };
}

function dropUnused(g: Graph): void {
  const used = new Set<Value>();
  for (const n of g.nodes) for (const v of n.inputs) if (v) used.add(v);
  for (const v of g.outputs) used.add(v);
  g.initializers = g.initializers.filter((v) => used.has(v) || g.inputs.includes(v));
}

/**
 * New values for the constant shape inputs of `n` (input index → values), undefined when nothing needs
 * to change, 'wait' when the constant is not known.
 */
function rewriteNode(
  n: Node,
  so: number[],
  sn: number[],
  outOld: number[] | undefined,
  mapDim: (d: number, fromEnd: number) => number,
): Map<number, number[]> | undefined | 'wait' {
  const same = so.length === sn.length && so.every((d, i) => d === sn[i]);
  switch (n.opType) {
    case 'Reshape': {
      const t = constantInts(n.inputs[1]);
      if (!t) return undefined;
      if (same || !outOld) return undefined;
      const outNew = regroup(so, sn, outOld, mapDim);
      if (!outNew) throw new PassError(RESOLUTION_NAME, n.name, `cannot map Reshape [${so.join(',')}]→[${outOld.join(',')}] to input [${sn.join(',')}]`);
      const nt = t.map((d, i) => (d === 0 || d === -1 ? d : (outNew[i] as number)));
      return nt.every((d, i) => d === t[i]) ? undefined : new Map([[1, nt]]);
    }
    case 'Resize':
    case 'Upsample': {
      const idx = n.opType === 'Resize' ? 3 : -1;
      const sizes = idx > 0 ? constantInts(n.inputs[idx]) : undefined;
      if (!sizes || same) return undefined;
      const ns = sizes.map((s, i) => Math.round((s * (sn[i] ?? 1)) / (so[i] ?? 1)));
      return new Map([[idx, ns]]);
    }
    case 'Expand': {
      const t = constantInts(n.inputs[1]);
      if (!t) return undefined;
      const r = t.length;
      const nt = t.map((d, i) => {
        const fromEnd = r - i;
        const k = so.length - fromEnd;
        const o = k >= 0 ? so[k] : undefined;
        const nw = k >= 0 ? sn[k] : undefined;
        if (o !== undefined && nw !== undefined && o === d && o !== 1) return nw;
        if (r >= 4 && fromEnd <= 2 && (o === 1 || o === undefined)) return mapDim(d, fromEnd);
        return d;
      });
      return nt.every((d, i) => d === t[i]) ? undefined : new Map([[1, nt]]);
    }
    case 'ConstantOfShape': {
      const t = constantInts(n.inputs[0]);
      if (!t || t.length < 4) return undefined;
      const nt = t.map((d, i) => (t.length - i <= 2 ? mapDim(d, t.length - i) : d));
      return nt.every((d, i) => d === t[i]) ? undefined : new Map([[0, nt]]);
    }
    case 'Slice': {
      if (same) return undefined;
      const starts = constantInts(n.inputs[1]);
      const ends = constantInts(n.inputs[2]);
      if (!starts || !ends) return undefined;
      const axes = constantInts(n.inputs[3]) ?? starts.map((_, i) => i);
      const ns = [...starts];
      const ne = [...ends];
      axes.forEach((a, i) => {
        const ax = a < 0 ? a + so.length : a;
        const o = so[ax];
        const nw = sn[ax];
        if (o === undefined || nw === undefined || o === nw) return;
        const s = starts[i] as number;
        const e = ends[i] as number;
        if (s > 0 && s < o) ns[i] = Math.round((s * nw) / o);
        if (e >= o) ne[i] = e > o ? e : nw;
        else if (e > 0) ne[i] = Math.round((e * nw) / o);
      });
      const out = new Map<number, number[]>();
      if (ns.some((d, i) => d !== starts[i])) out.set(1, ns);
      if (ne.some((d, i) => d !== ends[i])) out.set(2, ne);
      return out.size ? out : undefined;
    }
    case 'Tile': {
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The new output shape of a reshape: dims of the old input and output are grouped by equal products
 * (left to right); an unchanged input group keeps its output group; a changed one is mapped.
 */
function regroup(so: number[], sn: number[], outOld: number[], mapDim: (d: number, fromEnd: number) => number): number[] | undefined {
  if (so.length !== sn.length) return undefined;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < so.length || j < outOld.length) {
    const gi = [i];
    const gj = [j];
    let pi = so[i] ?? 1;
    let pj = outOld[j] ?? 1;
    i++;
    j++;
    while (pi !== pj) {
      if (pi < pj) {
        if (i >= so.length) return undefined;
        gi.push(i);
        pi *= so[i++] as number;
      } else {
        if (j >= outOld.length) return undefined;
        gj.push(j);
        pj *= outOld[j++] as number;
      }
    }
    // Trailing 1s belong to the group.
    const inOld = gi.filter((k) => k < so.length).map((k) => so[k] as number);
    const inNew = gi.filter((k) => k < sn.length).map((k) => sn[k] as number);
    const outDims = gj.filter((k) => k < outOld.length).map((k) => outOld[k] as number);
    if (inOld.every((d, k) => d === inNew[k])) out.push(...outDims);
    else if (outDims.length === 1) out.push(prod(inNew));
    else if (outDims.length === inOld.length && outDims.every((d, k) => d === inOld[k])) out.push(...inNew);
    else {
      const mapped = outDims.map((d, k) => mapDim(d, outDims.length - k));
      if (prod(mapped) !== prod(inNew)) return undefined;
      out.push(...mapped);
    }
  }
  return out.length === outOld.length ? out : undefined;
}

/**
 * Resamples a float tensor along two consecutive axes (hAxis, hAxis+1) to H2×W2 by linear interpolation
 * with linear extrapolation at the borders. Corner-aligned grids (first value −1 along W) map corners to
 * corners; otherwise pixel centres map to pixel centres.
 */
function resampleGrid(t: Tensor, hAxis: number, H2: number, W2: number, name: string): Tensor {
  const src = readFloats(t);
  const dims = t.dims;
  const H = dims[hAxis] as number;
  const W = dims[hAxis + 1] as number;
  const outer = prod(dims.slice(0, hAxis));
  const inner = prod(dims.slice(hAxis + 2));
  const corner = Math.abs((src[0] ?? 0) + 1) < 1e-6 && inner <= 3;
  const coord = (i: number, n: number, n2: number): number => (corner ? (n2 > 1 ? (i * (n - 1)) / (n2 - 1) : 0) : ((i + 0.5) * n) / n2 - 0.5);
  const dst = new Float32Array(outer * H2 * W2 * inner);
  const lerpIdx = (c: number, n: number): [number, number, number] => {
    if (n === 1) return [0, 0, 0];
    const i0 = Math.max(0, Math.min(n - 2, Math.floor(c)));
    return [i0, i0 + 1, c - i0];
  };
  for (let o = 0; o < outer; o++) {
    for (let y = 0; y < H2; y++) {
      const [y0, y1, fy] = lerpIdx(coord(y, H, H2), H);
      for (let x = 0; x < W2; x++) {
        const [x0, x1, fx] = lerpIdx(coord(x, W, W2), W);
        for (let k = 0; k < inner; k++) {
          const at = (yy: number, xx: number): number => src[((o * H + yy) * W + xx) * inner + k] as number;
          const top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx;
          const bot = at(y1, x0) * (1 - fx) + at(y1, x1) * fx;
          dst[((o * H2 + y) * W2 + x) * inner + k] = top * (1 - fy) + bot * fy;
        }
      }
    }
  }
  const nd = [...dims];
  nd[hAxis] = H2;
  nd[hAxis + 1] = W2;
  return makeTensor(name, DataType.FLOAT, nd, dst);
}

/** Puts back the original input shapes, with a linear Resize from each to the size the graph now runs at. */
function keepInputShapes(m: Model, old: Model, newInputs: Map<string, Dim[]>, namer: (base: string) => string): void {
  const g = m.graph;
  g.inputs = g.inputs.map((inner) => {
    const target = newInputs.get(inner.name);
    const before = old.graph.inputs.find((v) => v.name === inner.name)?.tensorType;
    if (!target || !before || inner.type?.kind !== 'tensor') return inner;
    const outer = new Value(inner.name, { kind: 'tensor', elemType: inner.type.elemType, ...(before.shape ? { shape: [...before.shape] } : {}) });
    inner.name = namer(`${inner.name}_resized`);
    const sizes = addInitializer(
      g,
      int64Tensor(
        namer(`${outer.name}_sizes`),
        [target.length],
        target.map((d) => (typeof d === 'number' ? d : 0)),
      ),
    );
    const resize = new Node('Resize', namer(`${outer.name}_Resize`), [outer, undefined, undefined, sizes], [inner]);
    resize.attributes = [
      { name: 'mode', attr: { type: 'string', value: new TextEncoder().encode('linear') } },
      { name: 'coordinate_transformation_mode', attr: { type: 'string', value: new TextEncoder().encode('half_pixel') } },
    ];
    inner.producer = resize;
    g.nodes.unshift(resize);
    return outer;
  });
}
