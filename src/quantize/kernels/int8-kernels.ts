/**
 * The int8 weight kernels of quantize-int8.wat (WebAssembly SIMD) behind a typed API: max |x| per channel
 * and symmetric quantization with one scale per channel, for the two layouts a per-channel weight has —
 * each channel a contiguous run (`inner` > 1: Conv weights on axis 0) or channels interleaved
 * (`inner` = 1: MatMul [K, N] on axis 1). 4–16 lanes per instruction instead of one, which makes the int8
 * pass several times faster on conv models. Results are bit-identical to the JavaScript reference in
 * qmath.ts (the tests compare both); `undefined` from `loadInt8Kernels()` means this runtime has no
 * WebAssembly SIMD, and callers use the reference.
 */
import { WASM_BASE64 } from './quantize-int8-wasm.js';

// The project compiles without the DOM lib, and @types/node leaves WebAssembly untyped: the parts used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface Exports {
  memory: WasmMemory;
  absmax(p: number, n: number): number;
  quant(src: number, dst: number, n: number, scale: number): void;
  absmax_cols(src: number, rows: number, cols: number, out: number): void;
  quant_cols(src: number, dst: number, rows: number, cols: number, scales: number): void;
}

export interface Int8Kernels {
  /**
   * Per-channel max |x| (±Inf and NaN ignored) of `w` laid out as [outer, channels, inner], the scales
   * `scalesOf` makes of them, then the int8 codes q = clamp(round-half-even(fround(w / scale)), ±127).
   * Undefined when the tensor does not fit the 32-bit wasm address space (callers use the reference).
   */
  quantize(
    w: Float32Array,
    outer: number,
    channels: number,
    inner: number,
    scalesOf: (absMax: Float32Array) => Float32Array,
  ): { q: Int8Array; scale: Float32Array } | undefined;
}

const PAGE = 65536;
/** wasm32 memory tops out at 4 GiB; stay a page below. */
const MAX_BYTES = 2 ** 32 - PAGE;
let cached: Int8Kernels | null | undefined;

/** The kernels, instantiated once; undefined when WebAssembly SIMD is unavailable. */
export function loadInt8Kernels(): Int8Kernels | undefined {
  if (cached === undefined) cached = instantiate();
  return cached ?? undefined;
}

function instantiate(): Int8Kernels | null {
  let x: Exports;
  try {
    const mod = new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
    x = new WebAssembly.Instance(mod, {}).exports as unknown as Exports;
  } catch {
    return null;
  }
  const ensure = (bytes: number): void => {
    const have = x.memory.buffer.byteLength;
    if (bytes > have) x.memory.grow(Math.ceil((bytes - have) / PAGE));
  };
  return {
    quantize(w, outer, channels, inner, scalesOf) {
      const n = w.length;
      // Layout in wasm memory: floats at 0, scales after them, codes last (all 16-byte aligned).
      const src = 0;
      const scl = align16(n * 4);
      const dst = align16(scl + channels * 4);
      if (dst + n > MAX_BYTES) return undefined;
      ensure(dst + n);
      new Float32Array(x.memory.buffer, src, n).set(w);
      const absMax = new Float32Array(channels);
      if (inner === 1) {
        x.absmax_cols(src, outer, channels, scl);
        absMax.set(new Float32Array(x.memory.buffer, scl, channels));
      } else {
        for (let o = 0; o < outer; o++)
          for (let c = 0; c < channels; c++) {
            const m = x.absmax(src + (o * channels + c) * inner * 4, inner);
            if (m > (absMax[c] as number)) absMax[c] = m;
          }
      }
      const scale = scalesOf(absMax);
      if (inner === 1) {
        new Float32Array(x.memory.buffer, scl, channels).set(scale);
        x.quant_cols(src, dst, outer, channels, scl);
      } else {
        for (let o = 0; o < outer; o++)
          for (let c = 0; c < channels; c++) {
            const off = (o * channels + c) * inner;
            x.quant(src + off * 4, dst + off, inner, scale[c] as number);
          }
      }
      const q = new Int8Array(n);
      q.set(new Int8Array(x.memory.buffer, dst, n));
      return { q, scale };
    },
  };
}

function align16(n: number): number {
  return (n + 15) & ~15;
}
