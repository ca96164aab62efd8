/**
 * Order statistics over repeated timings: median and spread (p10/p90, IQR) as the profiler reports them.
 */

/** Summary of repeated measurements of one quantity (same unit as the samples). */
export interface TimeStats {
  /** Number of samples. */
  n: number;
  median: number;
  p10: number;
  p90: number;
  /** Interquartile range (p75 − p25). */
  iqr: number;
  mean: number;
  min: number;
  max: number;
}

/** The q-quantile (0..1) of already sorted values, linear interpolation between closest ranks. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** The median of `values` (mean of the middle two for an even count; NaN when empty). */
export function median(values: readonly number[]): number {
  return quantileSorted(
    [...values].sort((x, y) => x - y),
    0.5,
  );
}

/** Median, p10/p90, IQR, mean, min and max of `values` (NaN fields when empty). */
export function timeStats(values: readonly number[]): TimeStats {
  const s = [...values].sort((x, y) => x - y);
  const n = s.length;
  let sum = 0;
  for (const v of s) sum += v;
  return {
    n,
    median: quantileSorted(s, 0.5),
    p10: quantileSorted(s, 0.1),
    p90: quantileSorted(s, 0.9),
    iqr: quantileSorted(s, 0.75) - quantileSorted(s, 0.25),
    mean: n ? sum / n : Number.NaN,
    min: n ? (s[0] as number) : Number.NaN,
    max: n ? (s[n - 1] as number) : Number.NaN,
  };
}

/** The same statistics with every field multiplied by `k` (unit change, e.g. µs → ms). */
export function scaleStats(s: TimeStats, k: number): TimeStats {
  return { n: s.n, median: s.median * k, p10: s.p10 * k, p90: s.p90 * k, iqr: s.iqr * k, mean: s.mean * k, min: s.min * k, max: s.max * k };
}
