/**
 * Audio-token sampling as XTTS-v2's `inference` defaults (HF generate logits processors, in HF's order):
 * repetition penalty 10 over the tokens generated so far, temperature 0.75, top-k 50, top-p 0.85, then a
 * seeded multinomial draw.
 */
import type { Rng } from '../onnx/rng.js';
import { XTTS_SAMPLING, type SamplingOptions } from '../models/xtts/sampling.js';

export { XTTS_SAMPLING, type SamplingOptions };

/**
 * Picks the next token from `logits` (modified copy only). `previous` are the ids seen so far (HF applies the
 * penalty to every id in the sequence: positive logits ÷ penalty, negative × penalty). `allowed` limits the
 * candidates to ids below it (e.g. 1024 to keep the stop and start tokens out).
 */
export function sampleToken(
  logits: ArrayLike<number>,
  previous: Iterable<number>,
  rng: Rng,
  o: SamplingOptions = XTTS_SAMPLING,
  allowed = logits.length,
): number {
  const n = Math.min(allowed, logits.length);
  const l = new Float64Array(n);
  for (let i = 0; i < n; i++) l[i] = logits[i] as number;
  if (o.repetitionPenalty !== 1) {
    for (const id of new Set(previous)) {
      if (id < 0 || id >= n) continue;
      const v = l[id] as number;
      l[id] = v > 0 ? v / o.repetitionPenalty : v * o.repetitionPenalty;
    }
  }
  const t = o.temperature > 0 ? o.temperature : 1;
  for (let i = 0; i < n; i++) l[i] = (l[i] as number) / t;
  // Top-k: indices sorted by logit, descending (ties by index for determinism).
  const k = o.topK > 0 ? Math.min(o.topK, n) : n;
  const kept = topKOrder(l, k);
  const max = l[kept[0] as number] as number;
  const probs = kept.map((i) => Math.exp((l[i] as number) - max));
  const z = probs.reduce((a, b) => a + b, 0);
  for (let i = 0; i < probs.length; i++) probs[i] = (probs[i] as number) / z;
  // Top-p: keep the smallest prefix whose mass reaches p (HF keeps at least one token).
  let cum = 0;
  let cut = probs.length;
  for (let i = 0; i < probs.length; i++) {
    cum += probs[i] as number;
    if (cum >= o.topP) {
      cut = i + 1;
      break;
    }
  }
  const mass = probs.slice(0, cut).reduce((a, b) => a + b, 0);
  let u = rng.next() * mass;
  for (let i = 0; i < cut; i++) {
    u -= probs[i] as number;
    if (u < 0) return kept[i] as number;
  }
  return kept[cut - 1] as number;
}

/** Audio tokens for a text at a realistic speaking rate (≈ 14 characters a second), capped. */
export function audioTokensForText(text: string, tokensPerSecond: number, cap: number, charsPerSecond = 14): number {
  const chars = text.replace(/\s+/g, ' ').trim().length;
  return Math.max(1, Math.min(cap, Math.round((chars / charsPerSecond) * tokensPerSecond)));
}

/**
 * The indices of the k largest values, by value descending and ties by index ascending: the first k of a full
 * sort in that order, in one pass with a k-long buffer (k = 50 of 1,024 logits: ~10× less than sorting all,
 * on the JS thread between two GPT steps).
 */
export function topKOrder(v: ArrayLike<number>, k: number): number[] {
  const n = v.length;
  if (k >= n) return Array.from({ length: n }, (_, i) => i).sort((a, b) => (v[b] as number) - (v[a] as number) || a - b);
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = v[i] as number;
    // Scanning in index order, an equal value ranks after the ones already kept.
    if (idx.length === k && !(x > (val[k - 1] as number))) continue;
    let at = idx.length === k ? k - 1 : idx.length;
    while (at > 0 && x > (val[at - 1] as number)) at--;
    if (idx.length === k) {
      idx.pop();
      val.pop();
    }
    idx.splice(at, 0, i);
    val.splice(at, 0, x);
  }
  return idx;
}
