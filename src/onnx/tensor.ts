/**
 * Tensor constructors and typed views. Views share memory with the tensor where alignment allows.
 */
import { DataType, bfloat16ToFloat32, byteSize, elementCount, float16ToFloat32 } from './dtype.js';
import type { Tensor } from './types.js';

type Typed = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Uint16Array | Int16Array | BigInt64Array | Uint32Array | BigUint64Array;

function bytesOf(a: Typed): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function makeTensor(name: string, dataType: number, dims: readonly number[], data: Typed | Uint8Array): Tensor {
  const bytes = data instanceof Uint8Array ? data : bytesOf(data);
  const expect = byteSize(dataType, elementCount(dims));
  if (bytes.length !== expect)
    throw new RangeError(`tensor '${name}': ${bytes.length} bytes for dims [${dims.join(',')}] of type ${dataType}, expected ${expect}`);
  return { name, dataType, dims: [...dims], data: bytes, storage: 'raw' };
}

export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return makeTensor(name, DataType.FLOAT, dims, Float32Array.from(values));
}

export function int64Tensor(name: string, dims: readonly number[], values: ArrayLike<number | bigint>): Tensor {
  const a = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) a[i] = BigInt(values[i] ?? 0);
  return makeTensor(name, DataType.INT64, dims, a);
}

export function int32Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return makeTensor(name, DataType.INT32, dims, Int32Array.from(values));
}

/** A tensor with dims and type but no bytes: counts parameters without materializing them. */
export function placeholderTensor(name: string, dataType: number, dims: readonly number[]): Tensor {
  return { name, dataType, dims: [...dims], data: new Uint8Array(0), storage: 'raw', placeholder: true };
}

function aligned(t: Tensor, size: number): boolean {
  return t.data.byteOffset % size === 0;
}

function copyBytes(t: Tensor): ArrayBuffer {
  const b = new ArrayBuffer(t.data.length);
  new Uint8Array(b).set(t.data);
  return b;
}

/** Float32 values of a float tensor (float32/16/bfloat16/double converted). Copies only when it must. */
export function readFloats(t: Tensor): Float32Array {
  const n = t.data.length;
  switch (t.dataType) {
    case DataType.FLOAT:
      return aligned(t, 4) ? new Float32Array(t.data.buffer, t.data.byteOffset, n / 4) : new Float32Array(copyBytes(t));
    case DataType.FLOAT16:
      return float16ToFloat32(readUint16(t));
    case DataType.BFLOAT16:
      return bfloat16ToFloat32(readUint16(t));
    case DataType.DOUBLE: {
      const d = aligned(t, 8) ? new Float64Array(t.data.buffer, t.data.byteOffset, n / 8) : new Float64Array(copyBytes(t));
      return Float32Array.from(d);
    }
    default:
      return Float32Array.from(readNumbers(t));
  }
}

function readUint16(t: Tensor): Uint16Array {
  return aligned(t, 2) ? new Uint16Array(t.data.buffer, t.data.byteOffset, t.data.length / 2) : new Uint16Array(copyBytes(t));
}

/** Integer tensor values as numbers (int64 above 2^53 lose precision; shapes never get there). */
export function readNumbers(t: Tensor): number[] {
  const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const n = elementCount(t.dims);
  const out: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    switch (t.dataType) {
      case DataType.INT64:
        out[i] = Number(dv.getBigInt64(i * 8, true));
        break;
      case DataType.UINT64:
        out[i] = Number(dv.getBigUint64(i * 8, true));
        break;
      case DataType.INT32:
        out[i] = dv.getInt32(i * 4, true);
        break;
      case DataType.UINT32:
        out[i] = dv.getUint32(i * 4, true);
        break;
      case DataType.INT16:
        out[i] = dv.getInt16(i * 2, true);
        break;
      case DataType.UINT16:
        out[i] = dv.getUint16(i * 2, true);
        break;
      case DataType.INT8:
        out[i] = dv.getInt8(i);
        break;
      case DataType.UINT8:
      case DataType.BOOL:
        out[i] = dv.getUint8(i);
        break;
      case DataType.FLOAT:
        out[i] = dv.getFloat32(i * 4, true);
        break;
      case DataType.DOUBLE:
        out[i] = dv.getFloat64(i * 8, true);
        break;
      case DataType.FLOAT16:
        out[i] = float16ToFloat32(new Uint16Array([dv.getUint16(i * 2, true)]))[0] ?? 0;
        break;
      default:
        throw new RangeError(`tensor '${t.name}': cannot read values of data type ${t.dataType}`);
    }
  }
  return out;
}
