/**
 * Element-type propagation (types only, no shapes): what the float16 and quantization passes need to know
 * about every value, including values without declared types. Declared types win; otherwise a per-op rule
 * gives the output type (Cast `to`, Shape → int64, comparisons → bool, Constant/ConstantOfShape from their
 * tensor, control flow from its subgraphs, everything else from its first typed input).
 */
import { DataType } from '../onnx/dtype.js';
import { listSubgraphs } from '../onnx/graph-utils.js';
import type { Graph, Node, Value } from '../onnx/types.js';

const BOOL_OPS = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
const INT64_OPS = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);

function attrInt(n: Node, name: string): number | undefined {
  const a = n.attr(name);
  return a?.type === 'int' ? Number(a.value) : undefined;
}

function constantType(n: Node): number | undefined {
  for (const a of n.attributes) {
    switch (a.name) {
      case 'value':
        if (a.attr.type === 'tensor') return a.attr.value.dataType;
        break;
      case 'value_float':
      case 'value_floats':
        return DataType.FLOAT;
      case 'value_int':
      case 'value_ints':
        return DataType.INT64;
      case 'value_string':
      case 'value_strings':
        return DataType.STRING;
      case 'sparse_value':
        if (a.attr.type === 'sparse_tensor') return a.attr.value.values.dataType;
        break;
    }
  }
  return undefined;
}

/** Rule-based output element type of output `i` of `n`, given its input types. */
export function ruleOutputType(n: Node, i: number, inTypes: (number | undefined)[], subOut?: (number | undefined)[]): number | undefined {
  const t0 = inTypes[0];
  const op = n.opType;
  if (n.domain === 'com.microsoft') {
    if (op === 'DynamicQuantizeMatMul' || op === 'MatMulNBits' || op === 'MatMulIntegerToFloat')
      return inTypes.find((t, k) => k !== 1 && t !== undefined && t !== DataType.UINT8 && t !== DataType.INT8);
    if (op === 'QuantizeLinear') return inTypes[2] ?? DataType.UINT8;
    if (op === 'DequantizeLinear') return inTypes[1];
    return t0;
  }
  if (BOOL_OPS.has(op)) return DataType.BOOL;
  if (INT64_OPS.has(op)) return DataType.INT64;
  switch (op) {
    case 'Cast':
      return attrInt(n, 'to');
    case 'CastLike':
      return inTypes[1];
    case 'TopK':
    case 'MaxPool':
      return i === 1 ? DataType.INT64 : t0;
    case 'Unique':
      return i === 0 ? t0 : DataType.INT64;
    case 'Dropout':
      return i === 1 ? DataType.BOOL : t0;
    case 'ConstantOfShape': {
      const a = n.attr('value');
      return a?.type === 'tensor' ? a.value.dataType : DataType.FLOAT;
    }
    case 'Constant':
      return constantType(n);
    case 'RandomNormal':
    case 'RandomUniform':
      return attrInt(n, 'dtype') ?? DataType.FLOAT;
    case 'RandomNormalLike':
    case 'RandomUniformLike':
    case 'EyeLike':
    case 'Bernoulli':
      return attrInt(n, 'dtype') ?? t0;
    case 'Multinomial':
      return attrInt(n, 'dtype') ?? DataType.INT32;
    case 'QuantizeLinear':
      return inTypes[2] ?? attrInt(n, 'output_dtype') ?? DataType.UINT8;
    case 'DequantizeLinear':
      return inTypes[1];
    case 'DynamicQuantizeLinear':
      return i === 1 ? DataType.FLOAT : DataType.UINT8;
    case 'MatMulInteger':
    case 'ConvInteger':
      return DataType.INT32;
    case 'QLinearConv':
    case 'QLinearMatMul':
      return inTypes[7];
    case 'LayerNormalization':
      return i === 0 ? t0 : (attrInt(n, 'stash_type') ?? 1) === 1 ? DataType.FLOAT : t0;
    case 'Where':
      return inTypes[1];
    case 'If':
      return subOut?.[i];
    case 'Loop':
      return subOut?.[i + 1];
    case 'Scan':
      return subOut?.[i];
    default:
      return t0 ?? inTypes.find((t) => t !== undefined);
  }
}

/**
 * Element types of every value of `g` and its subgraphs (a shared map). Values whose type cannot be
 * determined are absent.
 */
export function propagateElemTypes(g: Graph, types: Map<Value, number> = new Map()): Map<Value, number> {
  for (const v of g.initializers) if (v.initializer) types.set(v, v.initializer.dataType);
  for (const v of g.inputs) {
    const t = v.tensorType?.elemType;
    if (t !== undefined && !types.has(v)) types.set(v, t);
  }
  for (const n of g.nodes) {
    const inTypes = n.inputs.map((v) => (v ? types.get(v) : undefined));
    let subOut: (number | undefined)[] | undefined;
    const subs = listSubgraphs(n);
    if (subs.length) {
      for (const sg of subs) {
        // Formal inputs without declared types take the types of the outer node's inputs.
        sg.inputs.forEach((v, k) => {
          if (types.has(v)) return;
          const declared = v.tensorType?.elemType;
          let t = declared;
          if (t === undefined && n.opType === 'Loop') t = k === 0 ? DataType.INT64 : k === 1 ? DataType.BOOL : inTypes[k];
          if (t === undefined && n.opType === 'Scan') t = inTypes[k];
          if (t !== undefined) types.set(v, t);
        });
        propagateElemTypes(sg, types);
        if (!subOut) subOut = sg.outputs.map((v) => types.get(v) ?? v.tensorType?.elemType);
      }
    }
    n.outputs.forEach((o, i) => {
      if (!o) return;
      const declared = o.tensorType?.elemType;
      const t = declared !== undefined && declared !== 0 ? declared : ruleOutputType(n, i, inTypes, subOut);
      if (t !== undefined) types.set(o, t);
    });
  }
  return types;
}
