/** Closed intervals sorted by start, with the prefix maximum of their ends for stabbing queries. */

export interface Intervals {
  a: Float64Array;
  b: Float64Array;
  /** Prefix maximum of b (intervals sorted by a). */
  maxB: Float64Array;
}

export function intervalsOf(list: readonly { a: number; b: number }[]): Intervals {
  const s = [...list].sort((x, y) => x.a - y.a);
  const a = new Float64Array(s.length);
  const b = new Float64Array(s.length);
  const maxB = new Float64Array(s.length);
  let m = Number.NEGATIVE_INFINITY;
  s.forEach((x, i) => {
    a[i] = x.a;
    b[i] = x.b;
    m = Math.max(m, x.b);
    maxB[i] = m;
  });
  return { a, b, maxB };
}

/** Index of the last interval with a ≤ x, or −1. */
export function lastStartAtOrBefore(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length - 1;
  let r = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((a[mid] as number) <= x) {
      r = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return r;
}

/** Total length of the union of intervals. */
export function unionLength(iv: { s: number; e: number }[]): number {
  if (iv.length === 0) return 0;
  const s = [...iv].sort((x, y) => x.s - y.s);
  let total = 0;
  let cs = (s[0] as { s: number }).s;
  let ce = (s[0] as { e: number }).e;
  for (const x of s) {
    if (x.s > ce) {
      total += ce - cs;
      cs = x.s;
      ce = x.e;
    } else ce = Math.max(ce, x.e);
  }
  return total + (ce - cs);
}
