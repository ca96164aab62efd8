/**
 * Bulk float32 → float16 conversion over raw little-endian bytes: one integer loop over a Uint32 view,
 * no per-element allocation or function call on the normal range. Rounds to nearest even like the
 * hardware; finite values above the float16 range are clamped to ±65504 (not Inf) and counted, NaN and
 * ±Inf are kept.
 */
import { toFloat16Bits } from '../onnx/dtype.js';

export interface HalfConversion {
  /** The float16 bytes (little-endian), `count * 2` long. */
  data: Uint8Array;
  /** Finite values whose magnitude was above 65504 and were clamped to ±65504. */
  clamped: number;
  /** Non-zero values that became ±0 (below half the smallest float16 subnormal). */
  underflowed: number;
  /** NaN or ±Inf values in the source (kept as they are). */
  nonFinite: number;
}

/** Largest finite float16. */
export const FLOAT16_MAX = 65504;

/**
 * Converts `src` (float32 little-endian bytes) to float16.
 *
 * @param src float32 bytes; any alignment (an unaligned view is copied once).
 * @param target where to write (default: a new buffer). Passing a view that starts at `src`'s first byte
 *   converts in place (each element is read before its 2-byte slot can overwrite unread bytes).
 */
export function float32BytesToFloat16(src: Uint8Array, target?: Uint8Array): HalfConversion {
  const count = src.length >>> 2;
  // An unaligned source is copied once (not with .slice(): on a Node Buffer that is a view, not a copy).
  const s32 = src.byteOffset % 4 === 0 ? new Uint32Array(src.buffer, src.byteOffset, count) : alignedCopy(src, count);
  const outBytes = target ?? new Uint8Array(count * 2);
  if (outBytes.length < count * 2) throw new RangeError(`float16 target too small: ${outBytes.length} < ${count * 2}`);
  const aligned = outBytes.byteOffset % 2 === 0;
  const o16 = aligned ? new Uint16Array(outBytes.buffer, outBytes.byteOffset, count) : new Uint16Array(count);
  let clamped = 0;
  let underflowed = 0;
  let nonFinite = 0;
  for (let i = 0; i < count; i++) {
    const x = s32[i] as number;
    const sign = (x >>> 16) & 0x8000;
    const a = x & 0x7fffffff;
    if (a >= 0x38800000) {
      // Normal float16 range or above: round to nearest even on the 13 dropped mantissa bits.
      if (a >= 0x477ff000) {
        // >= 65520 rounds to Inf in float16: clamp finite values, keep Inf/NaN.
        if (a >= 0x7f800000) {
          nonFinite++;
          o16[i] = sign | 0x7c00 | (a > 0x7f800000 ? 0x200 : 0);
        } else {
          clamped++;
          o16[i] = sign | 0x7bff;
        }
        continue;
      }
      o16[i] = sign | ((a + 0x0fff + ((a >>> 13) & 1) - 0x38000000) >>> 13);
    } else if (a === 0) {
      o16[i] = sign;
    } else {
      const h = toFloat16Bits(sign ? -fromBits(a) : fromBits(a));
      if ((h & 0x7fff) === 0) underflowed++;
      o16[i] = h;
    }
  }
  if (!aligned) outBytes.set(new Uint8Array(o16.buffer, 0, count * 2));
  return { data: outBytes.subarray(0, count * 2), clamped, underflowed, nonFinite };
}

/**
 * Whether float32 bytes hold a finite value beyond ±65504, compared as integers on the bit patterns
 * (|x| bits in (0x477fe000, 0x7f800000): above 65504, below Inf; NaN is above). This scan reads every
 * weight of the model; on the 1.5 GB GPT a float compare per element took longer than the conversion.
 */
export function hasFiniteBeyondHalf(bytes: Uint8Array): boolean {
  const n = bytes.length >>> 2;
  const u = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, n) : new Uint32Array(new Uint8Array(bytes.subarray(0, n * 4)).buffer);
  for (let i = 0; i < n; i++) {
    const a = (u[i] as number) & 0x7fffffff;
    if (a > 0x477fe000 && a < 0x7f800000) return true;
  }
  return false;
}

function alignedCopy(src: Uint8Array, count: number): Uint32Array {
  const a = new Uint32Array(count);
  new Uint8Array(a.buffer).set(src.subarray(0, count * 4));
  return a;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function fromBits(b: number): number {
  u32[0] = b;
  return f32[0] as number;
}
