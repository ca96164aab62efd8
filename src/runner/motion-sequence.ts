/**
 * Ditto's offline audio2motion bookkeeping: 80-frame LMDM windows every `seqFrames − overlap` frames, each
 * window's first `overlap` frames linearly crossfaded into the previous window's last ones, then a k = 3
 * mean filter over time on the first 202 dims (everything but exp), edges replicated.
 */

export interface WindowPlan {
  /** First frame of each window. */
  starts: number[];
  /** Frames the audio needs (ceil(seconds · fps)). */
  frames: number;
  /** Frames the windows cover (padded with the last feature frame). */
  paddedFrames: number;
}

export function planWindows(frames: number, seqFrames: number, overlap: number): WindowPlan {
  const valid = seqFrames - overlap;
  const n = Math.max(1, Math.ceil(frames / valid));
  const starts = Array.from({ length: n }, (_, i) => i * valid);
  return { starts, frames, paddedFrames: n * valid + overlap };
}

/**
 * Writes a window's frames [seqFrames × dim] into `seq` at `start`, crossfading over the first `overlap`
 * frames with what is already there (α from 1/(overlap+1) up, the new window's weight).
 */
export function fuseWindow(seq: Float32Array, win: Float32Array, start: number, dim: number, overlap: number, first: boolean): void {
  const n = win.length / dim;
  for (let f = 0; f < n; f++) {
    const dst = (start + f) * dim;
    if (dst + dim > seq.length) break;
    if (!first && f < overlap) {
      const a = (f + 1) / (overlap + 1);
      for (let d = 0; d < dim; d++) seq[dst + d] = (1 - a) * (seq[dst + d] as number) + a * (win[f * dim + d] as number);
    } else seq.set(win.subarray(f * dim, (f + 1) * dim), dst);
  }
}

/** Mean filter of width k over time (edges replicated) on dims [0, dims) of frames [from, to), reading `src`. */
export function smoothFrames(src: Float32Array, frames: number, dim: number, dims: number, k: number, from = 0, to = frames): Float32Array {
  const out = new Float32Array((to - from) * dim);
  const h = Math.floor(k / 2);
  for (let f = from; f < to; f++) {
    const o = (f - from) * dim;
    out.set(src.subarray(f * dim, (f + 1) * dim), o);
    for (let d = 0; d < dims; d++) {
      let acc = 0;
      for (let j = -h; j <= h; j++) {
        const g = Math.min(frames - 1, Math.max(0, f + j));
        acc += src[g * dim + d] as number;
      }
      out[o + d] = acc / (2 * h + 1);
    }
  }
  return out;
}
