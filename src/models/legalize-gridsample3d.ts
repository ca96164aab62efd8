/**
 * Legalizes the official Ditto `warp_network.onnx` for ONNX Runtime: its two `GridSample3D` nodes (a
 * TensorRT-plugin op in the default domain, which ORT rejects: models.md §1.6) become standard 5-D
 * `GridSample` (opset 20, mode 'linear' = trilinear), and the default-domain opset import is raised to 20.
 *
 * Raising the opset migrates every node whose signature changed on the way (from opset 13 or later):
 *
 * | op | change | what the pass does |
 * | --- | --- | --- |
 * | ReduceMean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare | 18: `axes` attribute → input | attribute → int64 initializer input |
 * | Split | 18: `num_outputs` attribute, required when there is no `split` input | adds `num_outputs` = output count |
 * | DFT | 20: `axis` attribute → input, default changed from 1 to −2 | attribute (or the old default 1) → int64 scalar input |
 * | GridSample | 20: modes renamed bilinear → linear, bicubic → cubic; N-D | renames the mode |
 * | RoiAlign | 16: `coordinate_transformation_mode` added, default half_pixel (old behaviour output_half_pixel) | sets output_half_pixel when absent |
 * | GroupNormalization | 18 (new), 21 changes scale/bias | refused below opset 18 (cannot exist there) |
 * | Resize 18/19, Pad 18/19, ScatterElements/ScatterND 18, AveragePool 19, LpPool 18, Cast/CastLike 19, … | new attributes, modes or types whose defaults keep the old behaviour | nothing |
 *
 * Models below opset 13 are refused (Split/Squeeze/Unsqueeze/ReduceSum moved attributes to inputs there).
 */
import { recordPass } from '../onnx/pass-record.js';
import { PassError } from '../errors.js';
import { DataType } from '../onnx/dtype.js';
import { cloneModel, createNamer, getOpset, walkGraphs } from '../onnx/graph-utils.js';
import { int64Tensor } from '../onnx/tensor.js';
import { Value, type Attribute, type AttributeEntry, type Graph, type Model, type Node } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import { REDUCE_OPS } from '../onnx/infer/reduce.js';

export const NAME = 'legalize-gridsample3d';
export const LEGALIZE_GRIDSAMPLE3D_NAME = NAME;

export interface LegalizeGridSample3DOptions {
  /** Default-domain opset to raise the model to (at least 20, where GridSample accepts 5-D input). */
  targetOpset: number;
}

export const LEGALIZE_GRIDSAMPLE3D_DEFAULTS: LegalizeGridSample3DOptions = { targetOpset: 20 };
export const DEFAULTS = LEGALIZE_GRIDSAMPLE3D_DEFAULTS;

/** The lowest source opset whose changes up to 20 this pass knows. */
export const MIN_SOURCE_OPSET = 13;

// ReduceSum took its axes as an input at opset 13, the other reductions at 18.
const REDUCE_AXES_TO_INPUT_18 = new Set<string>(REDUCE_OPS.filter((op) => op !== 'ReduceSum'));

const dec = new TextDecoder();
const enc = new TextEncoder();

const isDefaultDomain = (n: Node): boolean => n.domain === '' || n.domain === 'ai.onnx';

function fail(node: Node | undefined, detail: string): never {
  throw new PassError(NAME, node ? node.name || node.opType : undefined, detail);
}

function intOf(n: Node, a: Attribute, name: string): number {
  if (a.type === 'int') return Number(a.value);
  return fail(n, `attribute '${name}' is ${a.type}, expected int`);
}

function stringOf(a: Attribute): string | undefined {
  return a.type === 'string' ? dec.decode(a.value) : undefined;
}

const MODES: Record<string, string> = { bilinear: 'linear', linear: 'linear', trilinear: 'linear', nearest: 'nearest', bicubic: 'cubic', cubic: 'cubic' };
const MODE_CODES = ['linear', 'nearest', 'cubic'];
const PADDINGS = ['zeros', 'border', 'reflection'];

/** GridSample3D attributes (string or PyTorch enum ints, either name) → GridSample-20 attributes. */
function gridSampleAttributes(n: Node): AttributeEntry[] {
  let mode = 'linear';
  let padding = 'zeros';
  let align = 0;
  for (const e of n.attributes) {
    const a = e.attr;
    if (e.name === 'mode' || e.name === 'interpolation_mode') {
      const s = stringOf(a);
      const m = s !== undefined ? MODES[s] : MODE_CODES[intOf(n, a, e.name)];
      if (!m)
        fail(
          n,
          `attribute '${e.name}' = ${s ?? String(a.type === 'int' ? a.value : a.type)} is not a known interpolation mode (bilinear, nearest, bicubic or 0/1/2)`,
        );
      mode = m;
    } else if (e.name === 'padding_mode') {
      const s = stringOf(a);
      const p = s !== undefined ? (PADDINGS.includes(s) ? s : undefined) : PADDINGS[intOf(n, a, e.name)];
      if (!p) fail(n, `attribute 'padding_mode' = ${s ?? String(a.type === 'int' ? a.value : a.type)} is not zeros, border, reflection or 0/1/2`);
      padding = p;
    } else if (e.name === 'align_corners') {
      align = intOf(n, a, e.name) ? 1 : 0;
    } else fail(n, `unknown GridSample3D attribute '${e.name}' (expected mode/interpolation_mode, padding_mode, align_corners)`);
  }
  if (mode === 'cubic') fail(n, "GridSample3D with bicubic mode has no ONNX equivalent: GridSample-20 allows 'cubic' for 4-D input only");
  return [
    { name: 'align_corners', attr: { type: 'int', value: BigInt(align) } },
    { name: 'mode', attr: { type: 'string', value: enc.encode(mode) } },
    { name: 'padding_mode', attr: { type: 'string', value: enc.encode(padding) } },
  ];
}

function checkGridSample3DShapes(n: Node): void {
  const x = n.inputs[0]?.tensorType?.shape;
  const grid = n.inputs[1]?.tensorType?.shape;
  if (n.inputs.length !== 2 || !n.inputs[0] || !n.inputs[1]) fail(n, `GridSample3D takes 2 inputs (input, grid), found ${n.inputs.length}`);
  if (x && x.length !== 5) fail(n, `input '${n.inputs[0]?.name}' has rank ${x.length}, expected 5 ([N, C, D, H, W])`);
  if (grid && grid.length !== 5) fail(n, `grid '${n.inputs[1]?.name}' has rank ${grid.length}, expected 5 ([N, D, H, W, 3])`);
  const last = grid?.[4];
  if (typeof last === 'number' && last !== 3) fail(n, `grid '${n.inputs[1]?.name}' has ${last} coordinates in its last dim, expected 3`);
}

function addInt64(g: Graph, name: (b: string) => string, base: string, values: number[], dims: number[]): Value {
  const v = new Value(name(base), { kind: 'tensor', elemType: DataType.INT64, shape: [...dims] });
  v.initializer = int64Tensor(v.name, dims, values);
  g.initializers.push(v);
  return v;
}

function removeAttr(n: Node, name: string): Attribute | undefined {
  const i = n.attributes.findIndex((a) => a.name === name);
  if (i < 0) return undefined;
  const [e] = n.attributes.splice(i, 1);
  return e?.attr;
}

function migrateNode(g: Graph, n: Node, from: number, to: number, name: (b: string) => string): void {
  const crosses = (v: number): boolean => from < v && to >= v;
  const label = n.name || n.opType;
  if (REDUCE_AXES_TO_INPUT_18.has(n.opType) && crosses(18)) {
    const axes = removeAttr(n, 'axes');
    if (axes) {
      if (axes.type !== 'ints') fail(n, `attribute 'axes' is ${axes.type}, expected ints`);
      n.inputs = [n.inputs[0], addInt64(g, name, `${label}_axes`, axes.value.map(Number), [axes.value.length])];
    }
  } else if (n.opType === 'Split' && crosses(18)) {
    if (!n.inputs[1] && !n.attr('num_outputs')) n.attributes.push({ name: 'num_outputs', attr: { type: 'int', value: BigInt(n.outputs.length) } });
  } else if (n.opType === 'DFT' && crosses(20)) {
    const axis = removeAttr(n, 'axis');
    const value = axis ? intOf(n, axis, 'axis') : 1;
    n.inputs = [n.inputs[0], n.inputs[1], addInt64(g, name, `${label}_axis`, [value], [])];
  } else if (n.opType === 'GridSample' && crosses(20)) {
    const mode = n.attributes.find((a) => a.name === 'mode');
    const s = mode ? stringOf(mode.attr) : undefined;
    if (mode && s !== undefined) mode.attr = { type: 'string', value: enc.encode(MODES[s] ?? s) };
  } else if (n.opType === 'RoiAlign' && crosses(16)) {
    if (!n.attr('coordinate_transformation_mode'))
      n.attributes.push({ name: 'coordinate_transformation_mode', attr: { type: 'string', value: enc.encode('output_half_pixel') } });
  } else if (n.opType === 'GroupNormalization' && from < 18) {
    fail(n, `GroupNormalization does not exist at opset ${from} (introduced in 18); the model is invalid`);
  }
}

/**
 * Rewrites every default-domain `GridSample3D` into `GridSample` and raises the default opset to
 * `targetOpset` (≥ 20), migrating changed ops. Pure: returns a new Model sharing tensor bytes.
 * Throws PassError naming the node for attributes or shapes it cannot translate.
 */
export function legalizeGridSample3D(model: Model, options: Partial<LegalizeGridSample3DOptions> = {}): Model {
  const o: LegalizeGridSample3DOptions = { ...LEGALIZE_GRIDSAMPLE3D_DEFAULTS, ...options };
  if (!Number.isInteger(o.targetOpset) || o.targetOpset < 20)
    throw new PassError(NAME, undefined, `targetOpset ${o.targetOpset} is too low: 5-D GridSample needs opset 20 or later`);
  const m = cloneModel(model);
  const from = getOpset(m, '');
  if (from === undefined) throw new PassError(NAME, undefined, 'the model imports no default-domain opset');
  if (from < MIN_SOURCE_OPSET)
    throw new PassError(NAME, undefined, `default-domain opset ${from} is older than ${MIN_SOURCE_OPSET}; convert it to opset ${MIN_SOURCE_OPSET}+ first`);
  const to = Math.max(from, o.targetOpset);
  const name = createNamer(m.graph);
  walkGraphs(m.graph, (g) => {
    for (const n of g.nodes) {
      if (!isDefaultDomain(n)) continue;
      if (n.opType === 'GridSample3D') {
        checkGridSample3DShapes(n);
        n.attributes = gridSampleAttributes(n);
        n.opType = 'GridSample';
        n.domain = '';
      } else migrateNode(g, n, from, to, name);
    }
  });
  for (const imp of m.opsetImports) if (imp.domain === '' || imp.domain === 'ai.onnx') imp.version = to;
  // Opset 20 came with ONNX 1.15, IR version 9.
  if (m.irVersion < 9) m.irVersion = 9;
  recordPass(m, NAME, { ...o });
  verifyModel(m, `pass ${NAME}`);
  return m;
}
