/**
 * A small seeded PRNG (xoshiro128**), fast enough to fill a gigabyte of weights in seconds and identical
 * on every platform, so a reference model is the same bytes wherever it is built.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Fills with uniform values of the given standard deviation and mean. */
  fillUniform(out: Float32Array, std: number, mean?: number): void;
  /** Standard normal (Box–Muller). */
  normal(): number;
  fillNormal(out: Float32Array, std?: number, mean?: number): void;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRng(seed: number): Rng {
  const sm = splitmix32(seed);
  let a = sm();
  let b = sm();
  let c = sm();
  let d = sm();
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const next = (): number => nextU32() / 4294967296;
  const normal = (): number => {
    const u = Math.max(next(), 1e-12);
    const v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    normal,
    fillUniform(out, std, mean = 0) {
      // Uniform on [-a, a] has std a/sqrt(3).
      const scale = (2 * std * Math.sqrt(3)) / 4294967296;
      const off = mean - std * Math.sqrt(3);
      for (let i = 0; i < out.length; i++) out[i] = nextU32() * scale + off;
    },
    fillNormal(out, std = 1, mean = 0) {
      for (let i = 0; i < out.length; i++) out[i] = normal() * std + mean;
    },
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
