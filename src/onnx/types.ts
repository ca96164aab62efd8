/**
 * The in-memory graph model. Nodes hold references to Values; a Value knows its producer (a Node) or
 * that it is a graph input or initializer. Names and protobuf indices live only in the I/O layer
 * (`src/onnx/proto`). Unknown protobuf fields are kept as raw bytes so a read–write round trip is lossless.
 */
import type { DataType } from './dtype.js';

/** A protobuf field this project's schema does not know, kept verbatim (wire bytes incl. tag). */
export interface UnknownField {
  readonly field: number;
  readonly bytes: Uint8Array;
}

export interface StringStringEntry {
  key: string;
  value: string;
}

/** Where a tensor's bytes live when stored outside the model file (ONNX external data). */
export interface ExternalLocation {
  location: string;
  offset: number;
  length: number;
  checksum?: string;
  /** Other key/value entries of `external_data`, kept as written. */
  extra?: StringStringEntry[];
}

/**
 * How a tensor was stored in the file, so the writer can store it the same way: `raw` = raw_data,
 * `field` = the typed repeated field (float_data, int32_data, int64_data, …), `external` = external data.
 */
export type TensorStorage = 'raw' | 'field' | 'external';

export interface Tensor {
  name: string;
  dataType: DataType;
  dims: number[];
  /**
   * Little-endian element bytes, as ONNX raw_data lays them out. A view into the file buffer when read
   * (never copied). Empty for string tensors (see `strings`).
   */
  data: Uint8Array;
  strings?: Uint8Array[];
  storage: TensorStorage;
  external?: ExternalLocation;
  /** Key order of `external_data` as read, so a rewrite keeps it. */
  externalOrder?: string[];
  docString?: string;
  /** TensorProto.segment, metadata_props and fields unknown to the schema. */
  segment?: { begin: bigint; end: bigint };
  metadataProps?: StringStringEntry[];
  unknown?: UnknownField[];
  /** The file wrote an empty `name` field (kept for a byte-exact round trip). */
  emptyNameWritten?: boolean;
  /** Dims and type only, no bytes (a full-scale graph built for counting); cannot be written or run. */
  placeholder?: boolean;
}

export interface SparseTensor {
  values: Tensor;
  indices: Tensor;
  dims: number[];
  unknown?: UnknownField[];
}

/** A dimension: a number when known, a string for a symbolic dim_param, undefined when unknown. */
export type Dim = number | string | undefined;

export interface TensorTypeInfo {
  kind: 'tensor';
  elemType: DataType;
  /** Undefined shape = rank unknown. */
  shape?: Dim[];
  /** Per-dimension denotation strings, kept for round trip. */
  denotations?: (string | undefined)[];
}

/** Non-tensor types (sequence, map, optional, sparse) are kept as opaque encoded TypeProto bytes. */
export interface OpaqueTypeInfo {
  kind: 'opaque';
  bytes: Uint8Array;
}

export type TypeInfo = TensorTypeInfo | OpaqueTypeInfo;

export type Attribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: bigint }
  | { type: 'string'; value: Uint8Array }
  | { type: 'tensor'; value: Tensor }
  | { type: 'graph'; value: Graph }
  | { type: 'sparse_tensor'; value: SparseTensor }
  | { type: 'type_proto'; value: Uint8Array }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: bigint[] }
  | { type: 'strings'; value: Uint8Array[] }
  | { type: 'tensors'; value: Tensor[] }
  | { type: 'graphs'; value: Graph[] }
  | { type: 'sparse_tensors'; value: SparseTensor[] }
  | { type: 'type_protos'; value: Uint8Array[] }
  /** A reference to an attribute of the enclosing function (ref_attr_name); its declared type is kept. */
  | { type: 'ref'; refAttrName: string; declaredType: number };

export interface AttributeEntry {
  name: string;
  attr: Attribute;
  docString?: string;
  unknown?: UnknownField[];
  /** The file omitted AttributeProto.type (old exporters); the writer omits it too. */
  untyped?: boolean;
}

export class Value {
  name: string;
  type: TypeInfo | undefined;
  /** The node that produces it; undefined for graph inputs, initializers and outer-scope values. */
  producer: Node | undefined = undefined;
  /** Constant data when the value is an initializer. */
  initializer: Tensor | undefined = undefined;
  docString: string | undefined = undefined;
  metadataProps: StringStringEntry[] | undefined = undefined;
  unknown: UnknownField[] | undefined = undefined;

  constructor(name: string, type?: TypeInfo) {
    this.name = name;
    this.type = type;
  }

  get tensorType(): TensorTypeInfo | undefined {
    return this.type?.kind === 'tensor' ? this.type : undefined;
  }
}

export class Node {
  name: string;
  opType: string;
  domain: string;
  /** `undefined` is an omitted optional input (an empty name in ONNX). */
  inputs: (Value | undefined)[];
  /** `undefined` is an omitted optional output. */
  outputs: (Value | undefined)[];
  attributes: AttributeEntry[];
  docString: string | undefined = undefined;
  overload: string | undefined = undefined;
  metadataProps: StringStringEntry[] | undefined = undefined;
  unknown: UnknownField[] | undefined = undefined;
  /** Whether the file wrote `name` / `domain` even when empty; new nodes write them when non-empty. */
  protoHints: { name: boolean; domain: boolean } | undefined = undefined;

  constructor(opType: string, name: string, inputs: (Value | undefined)[], outputs: (Value | undefined)[], domain = '') {
    this.opType = opType;
    this.name = name;
    this.inputs = inputs;
    this.outputs = outputs;
    this.domain = domain;
    this.attributes = [];
  }

  attr(name: string): Attribute | undefined {
    return this.attributes.find((a) => a.name === name)?.attr;
  }
}

export class Graph {
  name: string;
  nodes: Node[] = [];
  inputs: Value[] = [];
  outputs: Value[] = [];
  /** Initializers in file order (each Value has `.initializer`). */
  initializers: Value[] = [];
  sparseInitializers: SparseTensor[] = [];
  /** Values that carry value_info entries, in file order. */
  valueInfo: Value[] = [];
  quantizationAnnotation: Uint8Array[] = [];
  docString: string | undefined = undefined;
  metadataProps: StringStringEntry[] | undefined = undefined;
  unknown: UnknownField[] | undefined = undefined;
  /** The enclosing graph, for subgraphs of If / Loop / Scan (outer-scope values resolve there). */
  outer: Graph | undefined;

  constructor(name: string, outer?: Graph) {
    this.name = name;
    this.outer = outer;
  }
}

export interface OpsetImport {
  domain: string;
  version: number;
  /** The file wrote `version` before `domain` (kept for a byte-exact round trip). */
  versionFirst?: boolean;
  /** The file omitted `domain` (the default domain). */
  domainOmitted?: boolean;
}

/** A FunctionProto, kept structured enough to round-trip; its body is a graph of its own. */
export interface OnnxFunction {
  name: string;
  domain: string;
  overload?: string;
  inputs: string[];
  outputs: string[];
  attributeNames: string[];
  attributeProtos: AttributeEntry[];
  body: Graph;
  opsetImports: OpsetImport[];
  docString?: string;
  /** value_info, metadata_props and other fields newer than our schema, verbatim. */
  unknown?: UnknownField[];
}

export interface Model {
  irVersion: number;
  opsetImports: OpsetImport[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: bigint;
  docString?: string;
  graph: Graph;
  metadataProps: StringStringEntry[];
  functions: OnnxFunction[];
  /** training_info entries, verbatim. */
  trainingInfo: Uint8Array[];
  unknown?: UnknownField[];
}
