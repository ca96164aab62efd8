/**
 * Roofline classification of one node: arithmetic intensity (FLOP per byte moved) against the device's ridge
 * point says whether the node is compute- or memory-bound, and the achieved rate over the bounding peak says
 * how close it runs to that roof.
 */

export interface RooflinePoint {
  /** FLOP per byte moved (bytes read + written). */
  intensity: number;
  /** Achieved FLOP/s and bytes/s at the median time. */
  achievedFlops: number;
  achievedBytesPerS: number;
  /** The compute roof used and its label (e.g. 'TF32 tensor'). */
  peakFlops: number;
  peakUnit: string;
  peakBytesPerS: number;
  /** peakFlops / peakBytesPerS. */
  ridge: number;
  bound: 'compute' | 'memory';
  /** min(peakFlops, intensity × peakBytesPerS). */
  attainableFlops: number;
  /** Achieved over the bounding peak: FLOP/s over peakFlops when compute-bound, bytes/s over peakBytesPerS when memory-bound. */
  fractionOfBound: number;
}

/** Places a node with `flops` and `bytes` that took `seconds` on a device's roofline. Undefined when time or bytes are 0. */
export function rooflinePoint(
  flops: number,
  bytes: number,
  seconds: number,
  peakFlops: number,
  peakUnit: string,
  peakBytesPerS: number,
): RooflinePoint | undefined {
  if (!(seconds > 0) || !(bytes > 0) || !(peakFlops > 0) || !(peakBytesPerS > 0)) return undefined;
  const intensity = flops / bytes;
  const ridge = peakFlops / peakBytesPerS;
  const achievedFlops = flops / seconds;
  const achievedBytesPerS = bytes / seconds;
  const bound = intensity >= ridge ? 'compute' : 'memory';
  return {
    intensity,
    achievedFlops,
    achievedBytesPerS,
    peakFlops,
    peakUnit,
    peakBytesPerS,
    ridge,
    bound,
    attainableFlops: Math.min(peakFlops, intensity * peakBytesPerS),
    fractionOfBound: bound === 'compute' ? achievedFlops / peakFlops : achievedBytesPerS / peakBytesPerS,
  };
}
