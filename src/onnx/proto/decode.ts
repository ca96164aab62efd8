/**
 * ModelProto bytes → graph model. Field numbers follow onnx.proto (ONNX 1.17, IR 10, plus the IR 11
 * additions we know); anything else is kept verbatim in `unknown`. Names become references here and
 * nowhere else.
 */
import { DataType, bitsPerElement, byteSize, dataTypeName, elementCount } from '../dtype.js';
import {
  Graph,
  Node,
  Value,
  type Attribute,
  type AttributeEntry,
  type Model,
  type OnnxFunction,
  type OpsetImport,
  type SparseTensor,
  type StringStringEntry,
  type Tensor,
  type TypeInfo,
  type UnknownField,
} from '../types.js';
import { WIRE_LEN, WireReader, type WireError, decodeUtf8 } from './wire.js';

export class DecodeError extends Error {
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function pushUnknown(list: UnknownField[] | undefined, field: number, bytes: Uint8Array): UnknownField[] {
  const l = list ?? [];
  l.push({ field, bytes });
  return l;
}

/** A StringStringEntryProto (metadata props, external-data keys). */
export function readEntry(r: WireReader): StringStringEntry {
  let key = '';
  let value = '';
  while (!r.done) {
    const tag = r.varint();
    const f = tag >>> 3;
    if (f === 1) key = r.string();
    else if (f === 2) value = r.string();
    else r.skip(r.pos, tag & 7);
  }
  return { key, value };
}

function readOpset(r: WireReader): OpsetImport {
  let domain: string | undefined;
  let version = 0;
  let versionFirst = false;
  while (!r.done) {
    const tag = r.varint();
    const f = tag >>> 3;
    if (f === 1) domain = r.string();
    else if (f === 2) {
      version = r.int64Number();
      if (domain === undefined) versionFirst = true;
    } else r.skip(r.pos, tag & 7);
  }
  const o: OpsetImport = { domain: domain ?? '', version };
  if (versionFirst) o.versionFirst = true;
  if (domain === undefined) o.domainOmitted = true;
  return o;
}

function readPacked<T>(r: WireReader, wire: number, read: (rr: WireReader) => T, out: T[]): void {
  if (wire === WIRE_LEN) {
    const sub = r.sub();
    while (!sub.done) out.push(read(sub));
  } else out.push(read(r));
}

export interface ExternalRef {
  tensor: Tensor;
}

interface DecodeContext {
  /** Tensors whose data lives in external files; the reader fills them in. */
  external: Tensor[];
}

export function decodeTensor(r: WireReader, ctx: DecodeContext): Tensor {
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let nameWritten = false;
  let raw: Uint8Array | undefined;
  let docString: string | undefined;
  let segment: { begin: bigint; end: bigint } | undefined;
  const floats: number[] = [];
  const int32s: number[] = [];
  const int64s: bigint[] = [];
  const doubles: number[] = [];
  const uint64s: bigint[] = [];
  const strings: Uint8Array[] = [];
  const externalData: StringStringEntry[] = [];
  let dataLocation = 0;
  let metadataProps: StringStringEntry[] | undefined;
  let unknown: UnknownField[] | undefined;
  let sawTyped = false;
  while (!r.done) {
    const start = r.pos;
    const tag = r.varint();
    const f = tag >>> 3;
    const w = tag & 7;
    switch (f) {
      case 1:
        readPacked(r, w, (rr) => rr.int64Number(), dims);
        break;
      case 2:
        dataType = r.int32();
        break;
      case 3: {
        const s = r.sub();
        let begin = 0n;
        let end = 0n;
        while (!s.done) {
          const t = s.varint();
          if (t >>> 3 === 1) begin = s.int64();
          else if (t >>> 3 === 2) end = s.int64();
          else s.skip(s.pos, t & 7);
        }
        segment = { begin, end };
        break;
      }
      case 4:
        sawTyped = true;
        readPacked(r, w, (rr) => rr.float(), floats);
        break;
      case 5:
        sawTyped = true;
        readPacked(r, w, (rr) => rr.int32(), int32s);
        break;
      case 6:
        sawTyped = true;
        strings.push(r.bytes());
        break;
      case 7:
        sawTyped = true;
        readPacked(r, w, (rr) => rr.int64(), int64s);
        break;
      case 8:
        name = r.string();
        nameWritten = true;
        break;
      case 9:
        raw = r.bytes();
        break;
      case 10:
        sawTyped = true;
        readPacked(r, w, (rr) => rr.double(), doubles);
        break;
      case 11:
        sawTyped = true;
        readPacked(r, w, (rr) => rr.varint64(), uint64s);
        break;
      case 12:
        docString = r.string();
        break;
      case 13:
        externalData.push(readEntry(r.sub()));
        break;
      case 14:
        dataLocation = r.int32();
        break;
      case 16:
        (metadataProps ??= []).push(readEntry(r.sub()));
        break;
      default:
        unknown = pushUnknown(unknown, f, r.skip(start, w));
    }
  }
  const t: Tensor = { name, dataType, dims, data: new Uint8Array(0), storage: 'raw' };
  if (nameWritten && name === '') t.emptyNameWritten = true;
  if (docString !== undefined) t.docString = docString;
  if (segment) t.segment = segment;
  if (metadataProps) t.metadataProps = metadataProps;
  if (unknown) t.unknown = unknown;
  checkDims(t);
  if (dataLocation === 1) {
    let location = '';
    let offset = 0;
    let length = -1;
    let checksum: string | undefined;
    const extra: StringStringEntry[] = [];
    for (const e of externalData) {
      if (e.key === 'location') location = e.value;
      else if (e.key === 'offset') offset = externalSize(name, e);
      else if (e.key === 'length') length = externalSize(name, e);
      else if (e.key === 'checksum') checksum = e.value;
      else extra.push(e);
    }
    if (!location) throw new DecodeError(`tensor '${name}'.external_data`, 'external data without a location');
    t.storage = 'external';
    t.external = { location, offset, length };
    if (checksum !== undefined) t.external.checksum = checksum;
    if (extra.length) t.external.extra = extra;
    // Keep the declared entry order for a faithful round trip.
    t.externalOrder = externalData.map((e) => e.key);
    ctx.external.push(t);
    return t;
  }
  if (dataType === DataType.STRING) {
    t.strings = strings;
    t.storage = 'field';
    return t;
  }
  const fields = { floats, int32s, int64s, doubles, uint64s };
  checkTensorSize(t, raw !== undefined ? raw.length : typedFieldBytes(dataType, fields));
  if (raw !== undefined) {
    t.data = raw;
    return t;
  }
  // No data field at all (an empty tensor): 'field' storage writes nothing back, as the file had it.
  t.storage = 'field';
  t.data = typedFieldsToBytes(dataType, dims, fields);
  return t;
}

/** Bytes the typed repeated fields hold once converted to raw little-endian (see typedFieldsToBytes). */
function typedFieldBytes(dataType: number, f: TypedFields): number {
  const int32Width = dataType === DataType.INT32 ? 4 : bitsPerElement(dataType) === 16 ? 2 : 1;
  const uint64Width = dataType === DataType.UINT32 ? 4 : 8;
  return f.floats.length * 4 + f.doubles.length * 8 + f.int64s.length * 8 + f.uint64s.length * uint64Width + f.int32s.length * int32Width;
}

function formatSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} bytes` : `${v.toFixed(1)} ${units[i] as string}`;
}

/** An external-data offset or length: a decimal byte count (a corrupt one must not become NaN). */
function externalSize(tensor: string, e: StringStringEntry): number {
  const n = /^\d+$/.test(e.value) ? Number(e.value) : NaN;
  if (!Number.isSafeInteger(n)) throw new DecodeError(`tensor '${tensor}'.external_data.${e.key}`, `'${e.value}' is not a byte count`);
  return n;
}

/** A tensor's dims are sizes: non-negative integers (an edited dim can decode to -1 or 2^63). */
function checkDims(t: Tensor): void {
  const bad = t.dims.find((d) => !Number.isSafeInteger(d) || d < 0);
  if (bad !== undefined) throw new DecodeError(`tensor '${t.name}'.dims`, `dim ${bad} is not a valid size (dims [${t.dims.join(', ')}])`);
}

/**
 * The dims of an inline tensor must describe exactly the bytes stored for it. Checked before anything is
 * allocated from the dims: a dim edited to 2^40 is a wrong size, not a corrupt file (and not a
 * JavaScript "Invalid typed array length").
 */
function checkTensorSize(t: Tensor, heldBytes: number): void {
  const where = `tensor '${t.name}'`;
  const bits = bitsPerElement(t.dataType);
  if (bits === 0) return; // strings and unknown types: no fixed size per element
  const count = elementCount(t.dims);
  const need = byteSize(t.dataType, count);
  if (need === heldBytes) return;
  throw new DecodeError(
    where,
    `dims [${t.dims.join(', ')}] make ${count} ${dataTypeName(t.dataType)} elements (${formatSize(need)}), but the file holds ${formatSize(heldBytes)} of data for it`,
  );
}

interface TypedFields {
  floats: number[];
  int32s: number[];
  int64s: bigint[];
  doubles: number[];
  uint64s: bigint[];
}

/** Converts the typed repeated fields into raw little-endian bytes (one representation downstream). */
function typedFieldsToBytes(dataType: number, dims: number[], f: TypedFields): Uint8Array {
  const n = elementCount(dims);
  const out = new Uint8Array(byteSize(dataType, n));
  const dv = new DataView(out.buffer);
  switch (dataType) {
    case DataType.FLOAT:
    case DataType.COMPLEX64:
      f.floats.forEach((v, i) => dv.setFloat32(i * 4, v, true));
      break;
    case DataType.DOUBLE:
    case DataType.COMPLEX128:
      f.doubles.forEach((v, i) => dv.setFloat64(i * 8, v, true));
      break;
    case DataType.INT64:
      f.int64s.forEach((v, i) => dv.setBigInt64(i * 8, v, true));
      break;
    case DataType.UINT32:
      f.uint64s.forEach((v, i) => dv.setUint32(i * 4, Number(v), true));
      break;
    case DataType.UINT64:
      f.uint64s.forEach((v, i) => dv.setBigUint64(i * 8, v, true));
      break;
    case DataType.INT32:
      f.int32s.forEach((v, i) => dv.setInt32(i * 4, v, true));
      break;
    case DataType.INT16:
    case DataType.UINT16:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      f.int32s.forEach((v, i) => dv.setUint16(i * 2, v & 0xffff, true));
      break;
    default:
      // 8-bit and packed 4-bit types: one int32 per stored byte.
      f.int32s.forEach((v, i) => {
        if (i < out.length) out[i] = v & 0xff;
      });
  }
  return out;
}

function decodeSparse(r: WireReader, ctx: DecodeContext): SparseTensor {
  let values: Tensor | undefined;
  let indices: Tensor | undefined;
  const dims: number[] = [];
  let unknown: UnknownField[] | undefined;
  while (!r.done) {
    const start = r.pos;
    const tag = r.varint();
    const f = tag >>> 3;
    if (f === 1) values = decodeTensor(r.sub(), ctx);
    else if (f === 2) indices = decodeTensor(r.sub(), ctx);
    else if (f === 3) readPacked(r, tag & 7, (rr) => rr.int64Number(), dims);
    else unknown = pushUnknown(unknown, f, r.skip(start, tag & 7));
  }
  const empty = (): Tensor => ({ name: '', dataType: 0, dims: [], data: new Uint8Array(0), storage: 'raw' });
  const s: SparseTensor = { values: values ?? empty(), indices: indices ?? empty(), dims };
  if (unknown) s.unknown = unknown;
  return s;
}

/** TypeProto → TypeInfo; anything beyond a plain tensor type stays opaque bytes. */
function decodeType(bytes: Uint8Array): TypeInfo {
  const r = new WireReader(bytes);
  let tensor: WireReader | undefined;
  let other = false;
  while (!r.done) {
    const tag = r.varint();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN && !tensor) tensor = r.sub();
    else {
      other = true;
      r.skip(r.pos, tag & 7);
    }
  }
  if (!tensor || other) return { kind: 'opaque', bytes };
  let elemType = 0;
  let shape: (number | string | undefined)[] | undefined;
  let denotations: (string | undefined)[] | undefined;
  while (!tensor.done) {
    const tag = tensor.varint();
    const f = tag >>> 3;
    if (f === 1) elemType = tensor.int32();
    else if (f === 2) {
      shape = [];
      const s = tensor.sub();
      while (!s.done) {
        const t = s.varint();
        if (t >>> 3 !== 1) return { kind: 'opaque', bytes };
        const d = s.sub();
        let dim: number | string | undefined;
        let den: string | undefined;
        while (!d.done) {
          const dt = d.varint();
          const df = dt >>> 3;
          if (df === 1) dim = d.int64Number();
          else if (df === 2) dim = d.string();
          else if (df === 3) den = d.string();
          else return { kind: 'opaque', bytes };
        }
        shape.push(dim);
        if (den !== undefined) {
          denotations ??= [];
          denotations[shape.length - 1] = den;
        }
      }
    } else return { kind: 'opaque', bytes };
  }
  const info: TypeInfo = { kind: 'tensor', elemType };
  if (shape) info.shape = shape;
  if (denotations) {
    while (denotations.length < (shape?.length ?? 0)) denotations.push(undefined);
    info.denotations = denotations;
  }
  return info;
}

interface ValueInfoProto {
  name: string;
  type?: TypeInfo;
  docString?: string;
  metadataProps?: StringStringEntry[];
  unknown?: UnknownField[];
}

function decodeValueInfo(r: WireReader): ValueInfoProto {
  const v: ValueInfoProto = { name: '' };
  while (!r.done) {
    const start = r.pos;
    const tag = r.varint();
    const f = tag >>> 3;
    if (f === 1) v.name = r.string();
    else if (f === 2) v.type = decodeType(r.bytes());
    else if (f === 3) v.docString = r.string();
    else if (f === 4) (v.metadataProps ??= []).push(readEntry(r.sub()));
    else v.unknown = pushUnknown(v.unknown, f, r.skip(start, tag & 7));
  }
  return v;
}

function applyValueInfo(v: Value, info: ValueInfoProto): void {
  if (info.type) v.type = info.type;
  if (info.docString !== undefined) v.docString = info.docString;
  if (info.metadataProps) v.metadataProps = info.metadataProps;
  if (info.unknown) v.unknown = info.unknown;
}

const ATTR_TYPES: Record<number, Attribute['type']> = {
  1: 'float',
  2: 'int',
  3: 'string',
  4: 'tensor',
  5: 'graph',
  6: 'floats',
  7: 'ints',
  8: 'strings',
  9: 'tensors',
  10: 'graphs',
  11: 'sparse_tensor',
  12: 'sparse_tensors',
  13: 'type_proto',
  14: 'type_protos',
};

function decodeAttribute(r: WireReader, scope: Scope, ctx: DecodeContext): AttributeEntry {
  let name = '';
  let refAttrName: string | undefined;
  let docString: string | undefined;
  let declared = 0;
  let f32: number | undefined;
  let i64: bigint | undefined;
  let s: Uint8Array | undefined;
  let t: Tensor | undefined;
  let g: Uint8Array | undefined;
  let sp: SparseTensor | undefined;
  let tp: Uint8Array | undefined;
  const floats: number[] = [];
  const ints: bigint[] = [];
  const strings: Uint8Array[] = [];
  const tensors: Tensor[] = [];
  const graphs: Uint8Array[] = [];
  const sparses: SparseTensor[] = [];
  const tps: Uint8Array[] = [];
  let unknown: UnknownField[] | undefined;
  while (!r.done) {
    const start = r.pos;
    const tag = r.varint();
    const f = tag >>> 3;
    const w = tag & 7;
    switch (f) {
      case 1:
        name = r.string();
        break;
      case 2:
        f32 = r.float();
        break;
      case 3:
        i64 = r.int64();
        break;
      case 4:
        s = r.bytes();
        break;
      case 5:
        t = decodeTensor(r.sub(), ctx);
        break;
      case 6:
        g = r.bytes();
        break;
      case 7:
        readPacked(r, w, (rr) => rr.float(), floats);
        break;
      case 8:
        readPacked(r, w, (rr) => rr.int64(), ints);
        break;
      case 9:
        strings.push(r.bytes());
        break;
      case 10:
        tensors.push(decodeTensor(r.sub(), ctx));
        break;
      case 11:
        graphs.push(r.bytes());
        break;
      case 13:
        docString = r.string();
        break;
      case 14:
        tp = r.bytes();
        break;
      case 15:
        tps.push(r.bytes());
        break;
      case 20:
        declared = r.int32();
        break;
      case 21:
        refAttrName = r.string();
        break;
      case 22:
        sp = decodeSparse(r.sub(), ctx);
        break;
      case 23:
        sparses.push(decodeSparse(r.sub(), ctx));
        break;
      default:
        unknown = pushUnknown(unknown, f, r.skip(start, w));
    }
  }
  const sub = (bytes: Uint8Array): Graph => decodeGraph(new WireReader(bytes), ctx, scope);
  let attr: Attribute;
  if (refAttrName !== undefined) attr = { type: 'ref', refAttrName, declaredType: declared };
  else {
    // Old models may omit `type`; infer it from the field that is set.
    let kind = ATTR_TYPES[declared];
    if (!kind) {
      if (f32 !== undefined) kind = 'float';
      else if (i64 !== undefined) kind = 'int';
      else if (s !== undefined) kind = 'string';
      else if (t) kind = 'tensor';
      else if (g) kind = 'graph';
      else if (sp) kind = 'sparse_tensor';
      else if (tp) kind = 'type_proto';
      else if (floats.length) kind = 'floats';
      else if (ints.length) kind = 'ints';
      else if (strings.length) kind = 'strings';
      else if (tensors.length) kind = 'tensors';
      else if (graphs.length) kind = 'graphs';
      else if (sparses.length) kind = 'sparse_tensors';
      else if (tps.length) kind = 'type_protos';
      else throw new DecodeError(`attribute '${name}'`, 'attribute has no type and no value');
    }
    const emptyTensor = (): Tensor => ({ name: '', dataType: 0, dims: [], data: new Uint8Array(0), storage: 'raw' });
    switch (kind) {
      case 'float':
        attr = { type: 'float', value: f32 ?? 0 };
        break;
      case 'int':
        attr = { type: 'int', value: i64 ?? 0n };
        break;
      case 'string':
        attr = { type: 'string', value: s ?? new Uint8Array(0) };
        break;
      case 'tensor':
        attr = { type: 'tensor', value: t ?? emptyTensor() };
        break;
      case 'graph':
        attr = { type: 'graph', value: sub(g ?? new Uint8Array(0)) };
        break;
      case 'sparse_tensor':
        attr = { type: 'sparse_tensor', value: sp ?? { values: emptyTensor(), indices: emptyTensor(), dims: [] } };
        break;
      case 'type_proto':
        attr = { type: 'type_proto', value: tp ?? new Uint8Array(0) };
        break;
      case 'floats':
        attr = { type: 'floats', value: floats };
        break;
      case 'ints':
        attr = { type: 'ints', value: ints };
        break;
      case 'strings':
        attr = { type: 'strings', value: strings };
        break;
      case 'tensors':
        attr = { type: 'tensors', value: tensors };
        break;
      case 'graphs':
        attr = { type: 'graphs', value: graphs.map(sub) };
        break;
      case 'sparse_tensors':
        attr = { type: 'sparse_tensors', value: sparses };
        break;
      case 'type_protos':
        attr = { type: 'type_protos', value: tps };
        break;
      default:
        throw new DecodeError(`attribute '${name}'`, `unknown attribute type ${declared}`);
    }
  }
  const e: AttributeEntry = { name, attr };
  if (docString !== undefined) e.docString = docString;
  if (unknown) e.unknown = unknown;
  // Remember whether `type` was written, so files that omit it round-trip byte for byte.
  if (declared === 0 && refAttrName === undefined) e.untyped = true;
  return e;
}

/** Name → Value within one graph, falling back to the enclosing graphs (outer scope). */
class Scope {
  readonly values = new Map<string, Value>();
  /** Values referenced before anything defined them; resolved by later producers or left dangling. */
  readonly pending = new Map<string, Value>();
  constructor(
    readonly graph: Graph,
    readonly parent?: Scope,
  ) {}

  lookup(name: string): Value | undefined {
    return this.values.get(name) ?? this.parent?.lookup(name);
  }

  use(name: string): Value {
    const v = this.lookup(name) ?? this.pending.get(name);
    if (v) return v;
    const p = new Value(name);
    this.pending.set(name, p);
    return p;
  }

  define(name: string): Value {
    const p = this.pending.get(name);
    if (p) {
      this.pending.delete(name);
      this.values.set(name, p);
      return p;
    }
    const existing = this.values.get(name);
    if (existing && existing.producer) return new Value(name); // a second producer; the invariant check reports it
    if (existing) return existing;
    const v = new Value(name);
    this.values.set(name, v);
    return v;
  }
}

interface NodeProto {
  inputs: string[];
  outputs: string[];
  name: string;
  opType: string;
  domain: string;
  overload?: string;
  attrs: Uint8Array[];
  docString?: string;
  metadataProps?: StringStringEntry[];
  unknown?: UnknownField[];
  hints?: { name: boolean; domain: boolean };
}

function decodeNodeProto(r: WireReader): NodeProto {
  const n: NodeProto = { inputs: [], outputs: [], name: '', opType: '', domain: '', attrs: [] };
  let hasName = false;
  let hasDomain = false;
  while (!r.done) {
    const start = r.pos;
    const tag = r.varint();
    const f = tag >>> 3;
    switch (f) {
      case 1:
        n.inputs.push(r.string());
        break;
      case 2:
        n.outputs.push(r.string());
        break;
      case 3:
        n.name = r.string();
        hasName = true;
        break;
      case 4:
        n.opType = r.string();
        break;
      case 5:
        n.attrs.push(r.bytes());
        break;
      case 6:
        n.docString = r.string();
        break;
      case 7:
        n.domain = r.string();
        hasDomain = true;
        break;
      case 8:
        n.overload = r.string();
        break;
      case 9:
        (n.metadataProps ??= []).push(readEntry(r.sub()));
        break;
      default:
        n.unknown = pushUnknown(n.unknown, f, r.skip(start, tag & 7));
    }
  }
  n.hints = { name: hasName, domain: hasDomain };
  return n;
}

function buildNode(p: NodeProto, scope: Scope, ctx: DecodeContext): Node {
  const inputs = p.inputs.map((name) => (name === '' ? undefined : scope.use(name)));
  const node = new Node(p.opType, p.name, inputs, [], p.domain);
  node.attributes = p.attrs.map((b) => decodeAttribute(new WireReader(b), scope, ctx));
  node.outputs = p.outputs.map((name) => {
    if (name === '') return undefined;
    const v = scope.define(name);
    if (!v.producer) v.producer = node;
    return v;
  });
  if (p.docString !== undefined) node.docString = p.docString;
  if (p.overload !== undefined) node.overload = p.overload;
  if (p.metadataProps) node.metadataProps = p.metadataProps;
  if (p.unknown) node.unknown = p.unknown;
  node.protoHints = p.hints;
  return node;
}

export function decodeGraph(r: WireReader, ctx: DecodeContext, parent?: Scope): Graph {
  const graph = new Graph('', parent?.graph);
  const scope = new Scope(graph, parent);
  const nodeBytes: Uint8Array[] = [];
  const inputs: ValueInfoProto[] = [];
  const outputs: ValueInfoProto[] = [];
  const valueInfos: ValueInfoProto[] = [];
  const inits: Tensor[] = [];
  while (!r.done) {
    const start = r.pos;
    const tag = r.varint();
    const f = tag >>> 3;
    switch (f) {
      case 1:
        nodeBytes.push(r.bytes());
        break;
      case 2:
        graph.name = r.string();
        break;
      case 5:
        inits.push(decodeTensor(r.sub(), ctx));
        break;
      case 10:
        graph.docString = r.string();
        break;
      case 11:
        inputs.push(decodeValueInfo(r.sub()));
        break;
      case 12:
        outputs.push(decodeValueInfo(r.sub()));
        break;
      case 13:
        valueInfos.push(decodeValueInfo(r.sub()));
        break;
      case 14:
        graph.quantizationAnnotation.push(r.bytes());
        break;
      case 15:
        graph.sparseInitializers.push(decodeSparse(r.sub(), ctx));
        break;
      case 16:
        (graph.metadataProps ??= []).push(readEntry(r.sub()));
        break;
      default:
        graph.unknown = pushUnknown(graph.unknown, f, r.skip(start, tag & 7));
    }
  }
  for (const t of inits) {
    const v = scope.values.get(t.name) ?? new Value(t.name);
    v.initializer = t;
    scope.values.set(t.name, v);
    graph.initializers.push(v);
  }
  for (const info of inputs) {
    let v = scope.values.get(info.name);
    if (!v) {
      v = new Value(info.name);
      scope.values.set(info.name, v);
    }
    applyValueInfo(v, info);
    graph.inputs.push(v);
  }
  for (const b of nodeBytes) graph.nodes.push(buildNode(decodeNodeProto(new WireReader(b)), scope, ctx));
  for (const info of outputs) {
    const v = scope.use(info.name);
    applyValueInfo(v, info);
    graph.outputs.push(v);
  }
  for (const info of valueInfos) {
    const v = scope.lookup(info.name) ?? scope.pending.get(info.name) ?? new Value(info.name);
    applyValueInfo(v, info);
    graph.valueInfo.push(v);
  }
  return graph;
}

function decodeFunction(r: WireReader, ctx: DecodeContext): OnnxFunction {
  const fn: OnnxFunction = {
    name: '',
    domain: '',
    inputs: [],
    outputs: [],
    attributeNames: [],
    attributeProtos: [],
    body: new Graph(''),
    opsetImports: [],
  };
  const nodeBytes: Uint8Array[] = [];
  const attrBytes: Uint8Array[] = [];
  while (!r.done) {
    const start = r.pos;
    const tag = r.varint();
    const f = tag >>> 3;
    switch (f) {
      case 1:
        fn.name = r.string();
        break;
      case 4:
        fn.inputs.push(r.string());
        break;
      case 5:
        fn.outputs.push(r.string());
        break;
      case 6:
        fn.attributeNames.push(r.string());
        break;
      case 7:
        nodeBytes.push(r.bytes());
        break;
      case 8:
        fn.docString = r.string();
        break;
      case 9:
        fn.opsetImports.push(readOpset(r.sub()));
        break;
      case 10:
        fn.domain = r.string();
        break;
      case 11:
        attrBytes.push(r.bytes());
        break;
      case 13:
        fn.overload = r.string();
        break;
      default:
        fn.unknown = pushUnknown(fn.unknown, f, r.skip(start, tag & 7));
    }
  }
  const body = new Graph(fn.name);
  const scope = new Scope(body);
  for (const name of fn.inputs) {
    const v = new Value(name);
    scope.values.set(name, v);
    body.inputs.push(v);
  }
  fn.attributeProtos = attrBytes.map((b) => decodeAttribute(new WireReader(b), scope, ctx));
  for (const b of nodeBytes) body.nodes.push(buildNode(decodeNodeProto(new WireReader(b)), scope, ctx));
  body.outputs = fn.outputs.map((name) => scope.use(name));
  fn.body = body;
  return fn;
}

export interface DecodedModel {
  model: Model;
  /** Tensors whose bytes are in external files (filled in by the reader). */
  external: Tensor[];
}

/** Decodes a ModelProto. Throws DecodeError (or WireError) with the field that failed. */
export function decodeModel(bytes: Uint8Array): DecodedModel {
  const ctx: DecodeContext = { external: [] };
  const r = new WireReader(bytes);
  let irVersion: number | undefined;
  let graphBytes: Uint8Array | undefined;
  const model: Omit<Model, 'graph'> & { graph?: Graph } = {
    irVersion: 0,
    opsetImports: [],
    metadataProps: [],
    functions: [],
    trainingInfo: [],
  };
  const fnBytes: Uint8Array[] = [];
  while (!r.done) {
    const start = r.pos;
    const tag = r.varint();
    const f = tag >>> 3;
    const w = tag & 7;
    if (f === 0) throw new DecodeError('ModelProto', `invalid field number 0 at byte ${start}`);
    switch (f) {
      case 1:
        irVersion = r.int64Number();
        break;
      case 2:
        model.producerName = r.string();
        break;
      case 3:
        model.producerVersion = r.string();
        break;
      case 4:
        model.domain = r.string();
        break;
      case 5:
        model.modelVersion = r.int64();
        break;
      case 6:
        model.docString = r.string();
        break;
      case 7:
        graphBytes = r.bytes();
        break;
      case 8:
        model.opsetImports.push(readOpset(r.sub()));
        break;
      case 14:
        model.metadataProps.push(readEntry(r.sub()));
        break;
      case 20:
        model.trainingInfo.push(r.bytes());
        break;
      case 25:
        fnBytes.push(r.bytes());
        break;
      default:
        model.unknown = pushUnknown(model.unknown, f, r.skip(start, w));
    }
  }
  if (irVersion === undefined) throw new DecodeError('ir_version', 'missing: this is not an ONNX model');
  if (!graphBytes) throw new DecodeError('graph', 'missing: this is not an ONNX model');
  model.irVersion = irVersion;
  model.functions = fnBytes.map((b) => decodeFunction(new WireReader(b), ctx));
  const graph = decodeGraph(new WireReader(graphBytes), ctx);
  return { model: { ...model, graph } as Model, external: ctx.external };
}

export type { WireError };
export { decodeUtf8 };
