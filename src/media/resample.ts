/**
 * Polyphase windowed-sinc resampling by a rational factor L/M (Kaiser window, β = 8.6, 16 zero crossings
 * of the narrower of the two Nyquist bands each side, cutoff at 0.95 × that Nyquist). Works on a whole
 * signal (`resample`) or chunk by chunk (`StreamResampler`); both give the same samples.
 */

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

export interface ResamplerDesign {
  up: number;
  down: number;
  /** Taps each side of the centre, in input samples. */
  halfWidth: number;
  /** up phase tables of 2·halfWidth + 1 taps. */
  phases: Float32Array[];
}

const cache = new Map<string, ResamplerDesign>();

export function designResampler(fromRate: number, toRate: number, zeroCrossings = 16, rolloff = 0.95, beta = 8.6): ResamplerDesign {
  const key = `${fromRate}/${toRate}/${zeroCrossings}/${rolloff}/${beta}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  // Cutoff relative to the input rate's Nyquist (1 = input Nyquist).
  const cutoff = Math.min(1, up / down) * rolloff;
  const halfWidth = Math.ceil(zeroCrossings / cutoff);
  const i0b = besselI0(beta);
  const phases: Float32Array[] = [];
  for (let p = 0; p < up; p++) {
    const frac = p / up;
    const taps = new Float32Array(2 * halfWidth + 1);
    let sum = 0;
    for (let j = -halfWidth; j <= halfWidth; j++) {
      const t = frac - j; // output time minus input sample time, in input samples
      const x = t * cutoff;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const r = t / (halfWidth + 1);
      const win = Math.abs(r) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / i0b;
      const v = cutoff * sinc * win;
      taps[j + halfWidth] = v;
      sum += v;
    }
    // Unity DC gain per phase.
    for (let k = 0; k < taps.length; k++) taps[k] = (taps[k] ?? 0) / sum;
    phases.push(taps);
  }
  const d = { up, down, halfWidth, phases };
  cache.set(key, d);
  return d;
}

/** Resamples a whole signal; output length ceil(n · to / from). */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (fromRate === toRate) return samples.slice();
  const s = new StreamResampler(fromRate, toRate);
  const a = s.push(samples);
  const b = s.flush();
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Chunked resampling: `push` returns every output sample whose filter support lies inside the input seen
 * so far; `flush` ends the stream (zeros past the end) and returns the rest.
 */
export class StreamResampler {
  private readonly d: ResamplerDesign;
  private input: Float32Array = new Float32Array(0);
  private inputLen = 0;
  private produced = 0;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    this.d = designResampler(fromRate, toRate);
  }

  /** Output samples so far. */
  get outputLength(): number {
    return this.produced;
  }

  private append(chunk: Float32Array): void {
    if (this.inputLen + chunk.length > this.input.length) {
      const grown = new Float32Array(Math.max(this.inputLen + chunk.length, this.input.length * 2, 1024));
      grown.set(this.input.subarray(0, this.inputLen));
      this.input = grown;
    }
    this.input.set(chunk, this.inputLen);
    this.inputLen += chunk.length;
  }

  private produce(until: number): Float32Array {
    const { up, down, halfWidth, phases } = this.d;
    const n0 = this.produced;
    const out = new Float32Array(Math.max(0, until - n0));
    const x = this.input;
    const len = this.inputLen;
    for (let n = n0; n < until; n++) {
      const pos = n * down;
      const base = Math.floor(pos / up);
      const taps = phases[pos - base * up] as Float32Array;
      let acc = 0;
      const lo = Math.max(-halfWidth, -base);
      const hi = Math.min(halfWidth, len - 1 - base);
      for (let j = lo; j <= hi; j++) acc += (x[base + j] as number) * (taps[j + halfWidth] as number);
      out[n - n0] = acc;
    }
    this.produced = Math.max(until, n0);
    return out;
  }

  push(chunk: Float32Array): Float32Array {
    this.append(chunk);
    const { up, down, halfWidth } = this.d;
    // Output n needs input up to floor(n·down/up) + halfWidth.
    const lastInput = this.inputLen - 1 - halfWidth;
    const until = lastInput < 0 ? 0 : Math.floor(((lastInput + 1) * up - 1) / down) + 1;
    return this.produce(Math.min(until, this.totalFor(this.inputLen)));
  }

  flush(): Float32Array {
    return this.produce(this.totalFor(this.inputLen));
  }

  private totalFor(n: number): number {
    return Math.ceil((n * this.d.up) / this.d.down);
  }
}
