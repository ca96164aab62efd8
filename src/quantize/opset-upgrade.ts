/**
 * Raising a model's default-domain (ai.onnx) opset for a pass whose new ops need a newer one than the model
 * declares: DequantizeLinear / QuantizeLinear / MatMulInteger / ConvInteger need 10, DynamicQuantizeLinear
 * 11. ONNX Runtime's quantizer only rewrites the import ("please verify the quantized model"), which breaks
 * every op whose signature changed: an opset-9 Slice with `starts`/`ends` attributes no longer loads at 10.
 * Here each such node is rewritten to its new form, and an op that cannot be carried over exactly is an
 * error naming it: the model never silently changes meaning.
 *
 * From opset 7 (or later) to at most 11, the rewrites are:
 * - Slice < 10: `starts` / `ends` / `axes` attributes → int64 inputs;
 * - TopK < 10: `k` attribute → int64 input [1];
 * - Clip < 11: `min` / `max` attributes → scalar inputs of the input's type;
 * - Pad < 11: `pads` → int64 input, `value` → scalar input (`mode` stays an attribute);
 * - BatchNormalization < 9: `spatial` = 1 dropped (spatial = 0 has no opset-9 form: refused);
 * - Dropout < 10: its mask output turned bool at 10: dropped when unused, refused when used;
 * - Scatter (target 11): renamed ScatterElements (same semantics; Scatter is deprecated at 11).
 * Refused: Upsample (deprecated at 10), Resize 10 → 11 (coordinate modes changed), Scan and
 * MeanVarianceNormalization < 9 (signatures changed), the experimental ops removed at 10. Every other
 * default-domain op means the same across 7–11: the changes are new optional attributes whose default is
 * the old behaviour, wider type lists and negative axes.
 */
import { PassError } from '../errors.js';
import { DataType, toFloat16Bits } from '../onnx/dtype.js';
import { createNamer, walkGraphs } from '../onnx/graph-utils.js';
import { int64Tensor, makeTensor } from '../onnx/tensor.js';
import type { Graph, Model, Node, Tensor, Value } from '../onnx/types.js';
import { addInitializer, floatAttr, intAttr, intsAttr, isOnnxDomain, listUses, type PassReport } from './common.js';
import { propagateElemTypes } from './elem-types.js';

/** The highest opset `upgradeOpset` converts to, and the lowest it converts from. */
export const OPSET_UPGRADE_MAX = 11;
export const OPSET_UPGRADE_MIN_SOURCE = 7;

const EXPERIMENTAL_REMOVED_AT_10 = new Set([
  'ATen',
  'Affine',
  'ConstantFill',
  'Crop',
  'DynamicSlice',
  'GRUUnit',
  'GivenTensorFill',
  'ImageScaler',
  'ParametricSoftplus',
  'Scale',
  'ScaledTanh',
]);

export interface OpsetUpgrade {
  from: number;
  to: number;
  /** Nodes rewritten to their new form, by op type. */
  rewritten: Record<string, number>;
}

function defaultImport(m: Model): { version: number } | undefined {
  return m.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx');
}

/** A scalar of a float type (undefined for any other type); named when added. */
function scalarOf(elemType: number | undefined, value: number): Tensor | undefined {
  if (elemType === DataType.FLOAT) return makeTensor('', DataType.FLOAT, [], new Float32Array([value]));
  if (elemType === DataType.DOUBLE) return makeTensor('', DataType.DOUBLE, [], new Float64Array([value]));
  if (elemType === DataType.FLOAT16) return makeTensor('', DataType.FLOAT16, [], new Uint16Array([toFloat16Bits(value)]));
  return undefined;
}

function dropAttrs(n: Node, names: string[]): void {
  n.attributes = n.attributes.filter((a) => !names.includes(a.name));
}

/**
 * Rewrites `m` in place (call it on a clone) so that its default-domain opset is `target`; returns what
 * was done. Throws a PassError naming the node when an op has no exact form at `target`.
 */
export function upgradeOpset(m: Model, target: number, pass: string): OpsetUpgrade {
  const imp = defaultImport(m);
  const from = imp?.version ?? target;
  const result: OpsetUpgrade = { from, to: Math.max(from, target), rewritten: {} };
  if (!imp || from >= target) return result;
  if (target > OPSET_UPGRADE_MAX || from < OPSET_UPGRADE_MIN_SOURCE)
    throw new PassError(
      pass,
      undefined,
      `cannot raise the default-domain opset from ${from} to ${target} here (only ${OPSET_UPGRADE_MIN_SOURCE}… → ≤ ${OPSET_UPGRADE_MAX}); convert the model first (onnx.version_converter)`,
    );
  const types = propagateElemTypes(m.graph);
  const uses = listUses(m.graph);
  const namer = createNamer(m.graph);
  const droppedMasks = new Set<Value>();
  const refuse = (n: Node, why: string): never => {
    throw new PassError(
      pass,
      n.name || n.opType,
      `${n.opType} cannot be carried from opset ${from} to ${target}: ${why}; convert the model first (onnx.version_converter)`,
    );
  };
  const rewrite = (g: Graph, n: Node): boolean => {
    const base = n.name || n.opType;
    const init = (suffix: string, t: Tensor | undefined): Value => {
      if (!t) return refuse(n, `its input type is not float16/float/double`);
      return addInitializer(g, { ...t, name: namer(`${base}_${suffix}`) });
    };
    switch (n.opType) {
      case 'Slice': {
        if (from >= 10) return false;
        const starts = intsAttr(n, 'starts') ?? refuse(n, 'no starts attribute');
        const ends = intsAttr(n, 'ends') ?? refuse(n, 'no ends attribute');
        const axes = intsAttr(n, 'axes');
        n.inputs = [n.inputs[0], init('starts', int64Tensor('', [starts.length], starts)), init('ends', int64Tensor('', [ends.length], ends))];
        if (axes) n.inputs.push(init('axes', int64Tensor('', [axes.length], axes)));
        dropAttrs(n, ['starts', 'ends', 'axes']);
        return true;
      }
      case 'TopK': {
        if (from >= 10) return false;
        const k = intAttr(n, 'k', -1);
        if (k < 0) refuse(n, 'no k attribute');
        n.inputs = [n.inputs[0], init('k', int64Tensor('', [1], [k]))];
        dropAttrs(n, ['k']);
        return true;
      }
      case 'Clip': {
        if (from >= 11 || target < 11) return false;
        const t = types.get(n.inputs[0] as Value);
        const min = n.attr('min') ? init('min', scalarOf(t, floatAttr(n, 'min', 0))) : undefined;
        const max = n.attr('max') ? init('max', scalarOf(t, floatAttr(n, 'max', 0))) : undefined;
        n.inputs = max ? [n.inputs[0], min, max] : min ? [n.inputs[0], min] : [n.inputs[0]];
        dropAttrs(n, ['min', 'max']);
        return true;
      }
      case 'Pad': {
        if (from >= 11 || target < 11) return false;
        const pads = intsAttr(n, 'pads') ?? refuse(n, 'no pads attribute');
        const value = init('value', scalarOf(types.get(n.inputs[0] as Value), floatAttr(n, 'value', 0)));
        n.inputs = [n.inputs[0], init('pads', int64Tensor('', [pads.length], pads)), value];
        dropAttrs(n, ['pads', 'value']);
        return true;
      }
      case 'BatchNormalization': {
        if (from >= 9 || target < 9 || !n.attr('spatial')) return false;
        if (intAttr(n, 'spatial', 1) !== 1) refuse(n, 'spatial = 0 has no opset-9 form');
        dropAttrs(n, ['spatial']);
        return true;
      }
      case 'Dropout': {
        if (from >= 10 || target < 10 || !n.outputs[1]) return false;
        if (uses.get(n.outputs[1])?.length) refuse(n, 'its mask output is used and turned bool at opset 10');
        droppedMasks.add(n.outputs[1]);
        n.outputs = [n.outputs[0]];
        return true;
      }
      case 'Scatter':
        if (target < 11) return false;
        n.opType = 'ScatterElements';
        return true;
      case 'Upsample':
        return target >= 10 ? refuse(n, 'Upsample is deprecated at opset 10 (its Resize form is not derived here)') : false;
      case 'Resize':
        return from === 10 && target >= 11 ? refuse(n, 'Resize-11 changed the coordinate transformation') : false;
      case 'Scan':
      case 'MeanVarianceNormalization':
        return from < 9 && target >= 9 ? refuse(n, 'its signature changed at opset 9') : false;
      default:
        return target >= 10 && EXPERIMENTAL_REMOVED_AT_10.has(n.opType) ? refuse(n, 'experimental op removed at opset 10') : false;
    }
  };
  walkGraphs(m.graph, (g) => {
    for (const n of g.nodes) if (isOnnxDomain(n) && rewrite(g, n)) result.rewritten[n.opType] = (result.rewritten[n.opType] ?? 0) + 1;
  });
  // Dropped Dropout masks must not linger as declared values.
  if (droppedMasks.size) walkGraphs(m.graph, (g) => void (g.valueInfo = g.valueInfo.filter((v) => !droppedMasks.has(v))));
  imp.version = target;
  return result;
}

/**
 * Makes sure `m` (a clone) imports at least opset `need` for `why`: raises it with `upgradeOpset` when
 * `allow`, records that in the report (stats, details, an `opset-upgraded` warning), or throws. Returns
 * the opset the model now has.
 */
/** The counters `ensureOpset` adds to the report of the pass that needed the upgrade. */
export type OpsetUpgradeStat = 'opsetUpgradedFrom' | 'opsetUpgradedTo';

export function ensureOpset(m: Model, need: number, why: string, allow: boolean, report: PassReport<OpsetUpgradeStat>): number {
  const have = defaultImport(m)?.version;
  if (have === undefined) {
    // No default-domain op yet: import 13, where DequantizeLinear takes a per-channel axis.
    m.opsetImports.push({ domain: '', version: Math.max(need, 13) });
    return Math.max(need, 13);
  }
  if (have >= need) return have;
  if (!allow)
    throw new PassError(
      report.pass,
      undefined,
      `default-domain opset ${have} is below ${need} (${why}); let the pass raise it (upgradeOpset) or convert the model first`,
    );
  const u = upgradeOpset(m, need, report.pass);
  report.stats.opsetUpgradedFrom = u.from;
  report.stats.opsetUpgradedTo = u.to;
  report.details = { ...(report.details ?? {}), opsetUpgrade: u };
  const what = Object.entries(u.rewritten)
    .map(([op, c]) => `${c} ${op}`)
    .join(', ');
  report.warnings.push({
    pass: report.pass,
    code: 'opset-upgraded',
    message: `default-domain opset raised ${u.from} → ${u.to} (${why})${what ? `; rewritten to their opset-${u.to} form: ${what}` : ''}`,
  });
  return u.to;
}
