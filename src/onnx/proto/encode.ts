/**
 * Graph model → ModelProto as a chunk tree (see WireWriter). Fields go out in field-number order, as
 * protobuf's C++ serializer writes them, and unknown fields go last, so a model written by PyTorch or
 * onnx round-trips byte for byte in the common case. Tensor bytes are referenced, never copied.
 */
import { DataType } from '../dtype.js';
import type {
  Attribute,
  AttributeEntry,
  Graph,
  Model,
  Node,
  OnnxFunction,
  OpsetImport,
  SparseTensor,
  StringStringEntry,
  Tensor,
  TypeInfo,
  UnknownField,
  Value,
} from '../types.js';
import { WIRE_LEN, WireWriter } from './wire.js';

/** Decides, per tensor, whether it goes to external data; returns its location or undefined. */
export type ExternalPlacer = (t: Tensor) => { location: string; offset: number; length: number } | undefined;

export interface EncodeOptions {
  placeExternal?: ExternalPlacer;
}

function writeUnknown(w: WireWriter, unknown: UnknownField[] | undefined): void {
  if (unknown) for (const u of unknown) w.appendRaw(u.bytes);
}

function entry(e: StringStringEntry): WireWriter {
  const w = new WireWriter();
  w.string(1, e.key);
  w.string(2, e.value);
  return w;
}

function opset(o: OpsetImport): WireWriter {
  const w = new WireWriter();
  // Some exporters write version before domain; keep their order so the bytes round-trip.
  if (o.versionFirst) w.int64(2, o.version);
  if (!(o.domainOmitted && o.domain === '')) w.string(1, o.domain);
  if (!o.versionFirst) w.int64(2, o.version);
  return w;
}

function packedFloats(values: ArrayLike<number>): WireWriter {
  const p = new WireWriter();
  const buf = new Uint8Array(values.length * 4);
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i] ?? 0, true);
  p.appendRaw(buf);
  return p;
}

function typedField(w: WireWriter, t: Tensor): void {
  const d = t.data;
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const p = new WireWriter();
  let field: number;
  switch (t.dataType) {
    case DataType.FLOAT:
    case DataType.COMPLEX64:
      field = 4;
      p.appendRaw(d);
      break;
    case DataType.DOUBLE:
    case DataType.COMPLEX128:
      field = 10;
      p.appendRaw(d);
      break;
    case DataType.INT64:
      field = 7;
      for (let i = 0; i + 8 <= d.length; i += 8) p.rawVarint64(dv.getBigInt64(i, true));
      break;
    case DataType.UINT32:
      field = 11;
      for (let i = 0; i + 4 <= d.length; i += 4) p.rawVarint(dv.getUint32(i, true));
      break;
    case DataType.UINT64:
      field = 11;
      for (let i = 0; i + 8 <= d.length; i += 8) p.rawVarint64(dv.getBigUint64(i, true));
      break;
    case DataType.INT32:
      field = 5;
      for (let i = 0; i + 4 <= d.length; i += 4) {
        const v = dv.getInt32(i, true);
        if (v < 0) p.rawVarint64(BigInt(v));
        else p.rawVarint(v);
      }
      break;
    case DataType.INT16:
      field = 5;
      for (let i = 0; i + 2 <= d.length; i += 2) {
        const v = dv.getInt16(i, true);
        if (v < 0) p.rawVarint64(BigInt(v));
        else p.rawVarint(v);
      }
      break;
    case DataType.UINT16:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      field = 5;
      for (let i = 0; i + 2 <= d.length; i += 2) p.rawVarint(dv.getUint16(i, true));
      break;
    case DataType.INT8:
      field = 5;
      for (let i = 0; i < d.length; i++) {
        const v = dv.getInt8(i);
        if (v < 0) p.rawVarint64(BigInt(v));
        else p.rawVarint(v);
      }
      break;
    default:
      field = 5;
      for (let i = 0; i < d.length; i++) p.rawVarint(d[i] ?? 0);
  }
  if (p.length > 0) w.packed(field, p);
}

/** `name` overrides t.name (an initializer is named by its value); the tensor itself is never copied, since a
 *  lazily read one (lazy-data.ts) would read its bytes on a spread. */
export function encodeTensor(t: Tensor, opts: EncodeOptions, name: string = t.name): WireWriter {
  const w = new WireWriter();
  for (const d of t.dims) w.int64(1, d);
  if (t.dataType !== 0 || t.storage !== 'raw') w.int32(2, t.dataType);
  if (t.segment) {
    const s = new WireWriter();
    s.int64(1, t.segment.begin);
    s.int64(2, t.segment.end);
    w.message(3, s);
  }
  const ext = t.dataType === DataType.STRING ? undefined : opts.placeExternal?.(t);
  if (t.dataType === DataType.STRING) {
    if (name || t.emptyNameWritten) w.string(8, name);
    for (const s of t.strings ?? []) w.bytes(6, s);
  } else if (ext) {
    if (name || t.emptyNameWritten) w.string(8, name);
  } else if (t.storage === 'field') {
    typedField(w, t);
    if (name || t.emptyNameWritten) w.string(8, name);
  } else {
    if (name || t.emptyNameWritten) w.string(8, name);
    // raw_data is always written for raw storage, even when empty (a zero-size tensor).
    w.bytes(9, t.data);
  }
  if (t.docString !== undefined) w.string(12, t.docString);
  if (ext) {
    const entries: StringStringEntry[] = [
      { key: 'location', value: ext.location },
      { key: 'offset', value: String(ext.offset) },
      { key: 'length', value: String(ext.length) },
    ];
    if (t.external?.checksum !== undefined && t.storage === 'external') entries.push({ key: 'checksum', value: t.external.checksum });
    for (const e of t.external?.extra ?? []) entries.push(e);
    // Keep the order the file had, when it had one.
    const order = t.externalOrder;
    if (order) entries.sort((a, b) => rank(order, a.key) - rank(order, b.key));
    for (const e of entries) w.message(13, entry(e));
    w.int32(14, 1);
  }
  for (const m of t.metadataProps ?? []) w.message(16, entry(m));
  writeUnknown(w, t.unknown);
  return w;
}

function rank(order: string[], key: string): number {
  const i = order.indexOf(key);
  return i < 0 ? order.length : i;
}

function encodeSparse(s: SparseTensor, opts: EncodeOptions): WireWriter {
  const w = new WireWriter();
  w.message(1, encodeTensor(s.values, opts));
  w.message(2, encodeTensor(s.indices, opts));
  for (const d of s.dims) w.int64(3, d);
  writeUnknown(w, s.unknown);
  return w;
}

export function encodeType(t: TypeInfo): Uint8Array {
  if (t.kind === 'opaque') return t.bytes;
  const tensor = new WireWriter();
  tensor.int32(1, t.elemType);
  if (t.shape) {
    const shape = new WireWriter();
    t.shape.forEach((d, i) => {
      const dim = new WireWriter();
      if (typeof d === 'number') dim.int64(1, d);
      else if (typeof d === 'string') dim.string(2, d);
      const den = t.denotations?.[i];
      if (den !== undefined) dim.string(3, den);
      shape.message(1, dim);
    });
    tensor.message(2, shape);
  }
  const w = new WireWriter();
  w.message(1, tensor);
  return w.finish();
}

function valueInfo(v: Value): WireWriter {
  const w = new WireWriter();
  w.string(1, v.name);
  if (v.type) w.bytes(2, encodeType(v.type));
  if (v.docString !== undefined) w.string(3, v.docString);
  for (const m of v.metadataProps ?? []) w.message(4, entry(m));
  writeUnknown(w, v.unknown);
  return w;
}

const ATTR_TYPE_NUMBER: Record<Exclude<Attribute['type'], 'ref'>, number> = {
  float: 1,
  int: 2,
  string: 3,
  tensor: 4,
  graph: 5,
  floats: 6,
  ints: 7,
  strings: 8,
  tensors: 9,
  graphs: 10,
  sparse_tensor: 11,
  sparse_tensors: 12,
  type_proto: 13,
  type_protos: 14,
};

function encodeAttribute(e: AttributeEntry, opts: EncodeOptions): WireWriter {
  const w = new WireWriter();
  const a = e.attr;
  w.string(1, e.name);
  switch (a.type) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int64(3, a.value);
      break;
    case 'string':
      w.bytes(4, a.value);
      break;
    case 'tensor':
      w.message(5, encodeTensor(a.value, opts));
      break;
    case 'graph':
      w.message(6, encodeGraph(a.value, opts));
      break;
    case 'floats':
      for (const f of a.value) w.float(7, f);
      break;
    case 'ints':
      for (const i of a.value) w.int64(8, i);
      break;
    case 'strings':
      for (const s of a.value) w.bytes(9, s);
      break;
    case 'tensors':
      for (const t of a.value) w.message(10, encodeTensor(t, opts));
      break;
    case 'graphs':
      for (const g of a.value) w.message(11, encodeGraph(g, opts));
      break;
    default:
      break;
  }
  if (e.docString !== undefined) w.string(13, e.docString);
  if (a.type === 'type_proto') w.bytes(14, a.value);
  if (a.type === 'type_protos') for (const t of a.value) w.bytes(15, t);
  if (a.type === 'ref') {
    if (a.declaredType) w.int32(20, a.declaredType);
    w.string(21, a.refAttrName);
  } else if (!e.untyped) w.int32(20, ATTR_TYPE_NUMBER[a.type]);
  if (a.type === 'sparse_tensor') w.message(22, encodeSparse(a.value, opts));
  if (a.type === 'sparse_tensors') for (const s of a.value) w.message(23, encodeSparse(s, opts));
  writeUnknown(w, e.unknown);
  return w;
}

function encodeNode(n: Node, opts: EncodeOptions): WireWriter {
  const w = new WireWriter();
  for (const i of n.inputs) w.string(1, i ? i.name : '');
  for (const o of n.outputs) w.string(2, o ? o.name : '');
  if (n.name !== '' || n.protoHints?.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes) w.message(5, encodeAttribute(a, opts));
  if (n.docString !== undefined) w.string(6, n.docString);
  if (n.domain !== '' || n.protoHints?.domain) w.string(7, n.domain);
  if (n.overload !== undefined) w.string(8, n.overload);
  for (const m of n.metadataProps ?? []) w.message(9, entry(m));
  writeUnknown(w, n.unknown);
  return w;
}

export function encodeGraph(g: Graph, opts: EncodeOptions): WireWriter {
  const w = new WireWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n, opts));
  w.string(2, g.name);
  for (const v of g.initializers) if (v.initializer) w.message(5, encodeTensor(v.initializer, opts, v.name));
  if (g.docString !== undefined) w.string(10, g.docString);
  for (const v of g.inputs) w.message(11, valueInfo(v));
  for (const v of g.outputs) w.message(12, valueInfo(v));
  for (const v of g.valueInfo) w.message(13, valueInfo(v));
  for (const q of g.quantizationAnnotation) w.bytes(14, q);
  for (const s of g.sparseInitializers) w.message(15, encodeSparse(s, opts));
  for (const m of g.metadataProps ?? []) w.message(16, entry(m));
  writeUnknown(w, g.unknown);
  return w;
}

function encodeFunction(f: OnnxFunction, opts: EncodeOptions): WireWriter {
  const w = new WireWriter();
  w.string(1, f.name);
  for (const i of f.inputs) w.string(4, i);
  for (const o of f.outputs) w.string(5, o);
  for (const a of f.attributeNames) w.string(6, a);
  for (const n of f.body.nodes) w.message(7, encodeNode(n, opts));
  if (f.docString !== undefined) w.string(8, f.docString);
  for (const o of f.opsetImports) w.message(9, opset(o));
  w.string(10, f.domain);
  for (const a of f.attributeProtos) w.message(11, encodeAttribute(a, opts));
  if (f.overload !== undefined) w.string(13, f.overload);
  writeUnknown(w, f.unknown);
  return w;
}

export function encodeModel(m: Model, opts: EncodeOptions = {}): WireWriter {
  const w = new WireWriter();
  w.int64(1, m.irVersion);
  if (m.producerName !== undefined) w.string(2, m.producerName);
  if (m.producerVersion !== undefined) w.string(3, m.producerVersion);
  if (m.domain !== undefined) w.string(4, m.domain);
  if (m.modelVersion !== undefined) w.int64(5, m.modelVersion);
  if (m.docString !== undefined) w.string(6, m.docString);
  w.message(7, encodeGraph(m.graph, opts));
  for (const o of m.opsetImports) w.message(8, opset(o));
  for (const e of m.metadataProps) w.message(14, entry(e));
  for (const t of m.trainingInfo) w.bytes(20, t);
  for (const f of m.functions) w.message(25, encodeFunction(f, opts));
  writeUnknown(w, m.unknown);
  return w;
}

export { WIRE_LEN, packedFloats };
