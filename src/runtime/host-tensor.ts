/**
 * Host tensors (what sessions take and return) as float32 values: float16 decoded, integers converted.
 */
import { float16ToFloat32 } from '../onnx/dtype.js';
import type { HostTensor } from './types.js';

export function hostTensorToFloat32(t: HostTensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return float16ToFloat32(t.data as Uint16Array);
  if (t.type === 'float64') return Float32Array.from(t.data as Float64Array);
  if (t.type === 'int64') return Float32Array.from(t.data as BigInt64Array, (x) => Number(x));
  return Float32Array.from(t.data as ArrayLike<number>);
}
