/**
 * Quantization arithmetic: per-channel / per-tensor symmetric int8 weights, asymmetric uint8 / symmetric
 * int8 activation parameters from a range, and their dequantization (for tests and error estimates).
 */
import { loadInt8Kernels } from './kernels/int8-kernels.js';

/** 1.5 · 2^52: adding then subtracting it rounds a double to the nearest integer, ties to even. */
const ROUND_MAGIC = 6755399441055744;

/**
 * Round half to even, as numpy's `np.round` (what ONNX Runtime's quantization tools use) and ONNX's
 * QuantizeLinear do; exact for |x| < 2^51. Also 3–4× faster than `Math.round` in V8's hot loops, which
 * matters here: it runs once per weight of the model.
 */
export function roundHalfEven(x: number): number {
  return x + ROUND_MAGIC - ROUND_MAGIC;
}

export interface QuantizedWeight {
  /** int8 values, same layout as the float weight. */
  q: Int8Array;
  /** One scale per channel along `axis` (one in total when per tensor). */
  scale: Float32Array;
  /** The channel axis, or undefined for per-tensor. */
  axis: number | undefined;
}

/** Largest int8 weight code: 127 for the full 8-bit range, 63 for the reduced 7-bit range. */
export type WeightQMax = 127 | 63;

/** The weight code limit for `reduceRange` (ORT's `quantize_dynamic(reduce_range=True)` uses 7 bits). */
export function weightQMax(reduceRange: boolean): WeightQMax {
  return reduceRange ? 63 : 127;
}

/**
 * Symmetric int8 quantization of a float weight: scale = max|w| / qmax per channel along `axis`
 * (per tensor when axis is undefined), q = round-half-even(w / scale) in [-qmax, qmax] (float32 division),
 * zero point 0. `qmax` 63 is the reduced (7-bit) range of the CPU target: see `Int8DynamicOptions.reduceRange`.
 * Runs on the WebAssembly SIMD kernels (kernels/int8-kernels.ts) when available; this JavaScript loop is
 * the reference they are tested against (`useKernels` false forces it); the kernels clamp at ±127, so for
 * qmax 63 their codes are clamped again here (only ±Inf weights can reach past ±63: |w| ≤ max|w| otherwise).
 */
export function quantizeWeightInt8(
  w: Float32Array,
  dims: readonly number[],
  axis: number | undefined,
  useKernels = true,
  qmax: WeightQMax = 127,
): QuantizedWeight {
  const rank = dims.length;
  const ax = axis === undefined ? undefined : axis < 0 ? axis + rank : axis;
  const channels = ax === undefined ? 1 : (dims[ax] ?? 1);
  let inner = 1;
  if (ax !== undefined) for (let d = ax + 1; d < rank; d++) inner *= dims[d] ?? 1;
  if (ax === undefined) inner = w.length;
  // Element i belongs to channel ⌊i / inner⌋ mod channels: walk [outer][channel][inner] blocks instead of
  // dividing per element (this loop runs over every weight of the model).
  const outer = Math.max(1, Math.floor(w.length / (inner * channels)));
  const scalesOf = (absMax: Float32Array): Float32Array => symmetricScales(absMax, qmax);
  const fast = useKernels && w.length === outer * channels * inner ? loadInt8Kernels()?.quantize(w, outer, channels, inner, scalesOf) : undefined;
  if (fast) {
    // The kernels clamp at ±127; below that only ±Inf weights (skipped by max |w|) reach past ±qmax.
    if (qmax < 127) for (let j = 0; j < fast.q.length; j++) fast.q[j] = Math.max(-qmax, Math.min(qmax, fast.q[j] as number));
    return { ...fast, axis: ax };
  }
  const absMax = new Float32Array(channels);
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      let m = absMax[c] as number;
      for (const end = i + inner; i < end; i++) {
        const v = w[i] as number;
        const a = v < 0 ? -v : v;
        if (a > m && a !== Infinity) m = a;
      }
      absMax[c] = m;
    }
  }
  const scale = scalesOf(absMax);
  const q = new Int8Array(w.length);
  i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const sc = scale[c] as number;
      for (const end = i + inner; i < end; i++) {
        // A float32 quotient, as numpy (and the wasm kernel) compute it.
        const v = roundHalfEven(Math.fround((w[i] as number) / sc));
        q[i] = v > qmax ? qmax : v < -qmax ? -qmax : v;
      }
    }
  }
  return { q, scale, axis: ax };
}

/** Symmetric int8 scales: max |w| / qmax per channel, 1 for an all-zero channel. */
function symmetricScales(absMax: Float32Array, qmax: WeightQMax): Float32Array {
  return absMax.map((m) => (m > 0 ? m / qmax : 1));
}

export function dequantizeWeightInt8(qw: QuantizedWeight, dims: readonly number[]): Float32Array {
  const rank = dims.length;
  const ax = qw.axis;
  const channels = qw.scale.length;
  let inner = 1;
  if (ax !== undefined) for (let d = ax + 1; d < rank; d++) inner *= dims[d] ?? 1;
  const out = new Float32Array(qw.q.length);
  for (let i = 0; i < out.length; i++) out[i] = (qw.q[i] as number) * (qw.scale[ax === undefined ? 0 : Math.floor(i / inner) % channels] as number);
  return out;
}

export interface ActivationParams {
  scale: number;
  zeroPoint: number;
  type: 'uint8' | 'int8';
}

/**
 * Activation quantization parameters from a calibrated range. `uint8` is asymmetric (the range is widened
 * to include 0 so zero is exact); `int8` is symmetric (zero point 0, what GPU/TensorRT paths expect).
 */
export function activationParams(min: number, max: number, type: 'uint8' | 'int8'): ActivationParams {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  if (type === 'int8') {
    const a = Math.max(Math.abs(lo), Math.abs(hi));
    return { scale: a > 0 ? a / 127 : 1, zeroPoint: 0, type };
  }
  const range = hi - lo;
  const scale = range > 0 ? range / 255 : 1;
  const zp = Math.max(0, Math.min(255, Math.round(-lo / scale)));
  return { scale, zeroPoint: zp, type };
}
