/**
 * Error metrics between a reference (float32 model) output and a candidate (lowered model) output.
 *
 * - relative L2: ‖y − ŷ‖₂ / ‖y‖₂ (0 = identical; 1e-2 ≈ 40 dB SQNR); Infinity when ŷ has NaN/Inf that
 *   y does not have;
 * - max-abs: max |y − ŷ|;
 * - cosine similarity: ⟨y, ŷ⟩ / (‖y‖‖ŷ‖);
 * - SQNR in dB: 20·log10(‖y‖ / ‖y − ŷ‖).
 * Sums are accumulated in float64.
 */
export interface ErrorStats {
  relL2: number;
  maxAbs: number;
  cosine: number;
  sqnrDb: number;
  /** NaN or ±Inf values in the candidate. */
  nonFinite: number;
  count: number;
}

export function compareArrays(ref: ArrayLike<number>, cand: ArrayLike<number>): ErrorStats {
  const n = Math.min(ref.length, cand.length);
  let dd = 0;
  let rr = 0;
  let cc = 0;
  let rc = 0;
  let maxAbs = 0;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const r = ref[i] as number;
    const c = cand[i] as number;
    if (!Number.isFinite(c)) {
      if (Number.isFinite(r)) nonFinite++;
      continue;
    }
    if (!Number.isFinite(r)) continue;
    const d = r - c;
    dd += d * d;
    rr += r * r;
    cc += c * c;
    rc += r * c;
    const a = Math.abs(d);
    if (a > maxAbs) maxAbs = a;
  }
  if (ref.length !== cand.length) nonFinite += Math.abs(ref.length - cand.length);
  const relL2 = nonFinite ? Infinity : rr > 0 ? Math.sqrt(dd / rr) : Math.sqrt(dd);
  const cosine = nonFinite ? 0 : rr > 0 && cc > 0 ? rc / Math.sqrt(rr * cc) : dd === 0 ? 1 : 0;
  const sqnrDb = nonFinite ? -Infinity : dd === 0 ? Infinity : 10 * Math.log10(rr / dd);
  return { relL2, maxAbs: nonFinite ? Infinity : maxAbs, cosine, sqnrDb, nonFinite, count: n };
}

/** Worst case over several outputs/samples: max relL2 and maxAbs, min cosine and SQNR. */
export function worst(stats: ErrorStats[]): ErrorStats {
  const w: ErrorStats = { relL2: 0, maxAbs: 0, cosine: 1, sqnrDb: Infinity, nonFinite: 0, count: 0 };
  for (const s of stats) {
    w.relL2 = Math.max(w.relL2, s.relL2);
    w.maxAbs = Math.max(w.maxAbs, s.maxAbs);
    w.cosine = Math.min(w.cosine, s.cosine);
    w.sqnrDb = Math.min(w.sqnrDb, s.sqnrDb);
    w.nonFinite += s.nonFinite;
    w.count += s.count;
  }
  return w;
}
