/**
 * Full-reference quality metrics, pure arithmetic (anchors §6): PSNR, SSIM (Wang et al. 2004: 11×11
 * Gaussian window σ = 1.5, K1 = 0.01, K2 = 0.03, 'valid' filtering as the reference MATLAB code, on luma
 * Y = 0.299R + 0.587G + 0.114B), audio SNR, log-mel spectral distance, RMSE and relative L2.
 * Identical inputs give PSNR = SNR = Infinity here; the run-vs-run quality report caps its dB figures at
 * DB_CAP (see capDb), so that run.json, sweep results, the gate and the report all hold the same number.
 */
import { logMelSpectrogram } from '../media/mel.js';

/**
 * The one representation of "identical" in dB figures of a quality report (frame PSNR, audio SNR): 100 dB,
 * in run.json, results.jsonl, the gate and the report alike (JSON has no Infinity), printed "≥ 100 dB".
 * Anything above is capped too: 16-bit audio's own quantization noise is at 98 dB, and one 8-bit pixel off
 * by one in a 256×256 frame is 101 dB, so nothing above the cap is a difference anyone can see or hear.
 */
export const DB_CAP = 100;

/** A dB figure of a quality report: capped at ±DB_CAP (identical → DB_CAP); NaN stays NaN. */
export function capDb(v: number): number {
  return Number.isNaN(v) ? v : Math.max(-DB_CAP, Math.min(DB_CAP, v));
}

/** A quality report's dB figure for people: `42.10 dB`, or `≥ 100 dB` at the cap (identical), `–` when absent. */
export function formatDb(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  return v >= DB_CAP ? `≥ ${DB_CAP} dB` : `${v.toFixed(digits)} dB`;
}

/** PSNR in dB of two same-size 8-bit images (any layout); Infinity when identical. */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, peak = 255): number {
  if (a.length !== b.length) throw new RangeError(`psnr: sizes differ (${a.length} vs ${b.length})`);
  let se = 0;
  for (let i = 0; i < a.length; i++) se += ((a[i] as number) - (b[i] as number)) ** 2;
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}

/** Luma plane of an interleaved RGB (HWC) 8-bit image. */
export function luma(rgb: ArrayLike<number>, width: number, height: number): Float64Array {
  const y = new Float64Array(width * height);
  for (let i = 0; i < width * height; i++) y[i] = 0.299 * (rgb[i * 3] as number) + 0.587 * (rgb[i * 3 + 1] as number) + 0.114 * (rgb[i * 3 + 2] as number);
  return y;
}

export function gaussianWindow(size = 11, sigma = 1.5): Float64Array {
  const g = new Float64Array(size);
  const c = (size - 1) / 2;
  let s = 0;
  for (let i = 0; i < size; i++) {
    g[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    s += g[i] as number;
  }
  for (let i = 0; i < size; i++) g[i] = (g[i] as number) / s;
  return g;
}

/** Separable 'valid' filtering of a w×h plane; output (w−k+1)×(h−k+1). */
function filterValid(x: Float64Array, w: number, h: number, g: Float64Array): Float64Array {
  const k = g.length;
  const ow = w - k + 1;
  const oh = h - k + 1;
  const tmp = new Float64Array(ow * h);
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < ow; xx++) {
      let acc = 0;
      for (let j = 0; j < k; j++) acc += (x[y * w + xx + j] as number) * (g[j] as number);
      tmp[y * ow + xx] = acc;
    }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++)
    for (let xx = 0; xx < ow; xx++) {
      let acc = 0;
      for (let j = 0; j < k; j++) acc += (tmp[(y + j) * ow + xx] as number) * (g[j] as number);
      out[y * ow + xx] = acc;
    }
  return out;
}

/** Mean SSIM of two single-channel planes (values in [0, peak]). */
export function ssimPlane(a: Float64Array, b: Float64Array, width: number, height: number, peak = 255): number {
  const g = gaussianWindow();
  if (width < g.length || height < g.length) throw new RangeError(`ssim: image ${width}x${height} is smaller than the 11x11 window`);
  const c1 = (0.01 * peak) ** 2;
  const c2 = (0.03 * peak) ** 2;
  const n = a.length;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    aa[i] = x * x;
    bb[i] = y * y;
    ab[i] = x * y;
  }
  const mu1 = filterValid(a, width, height, g);
  const mu2 = filterValid(b, width, height, g);
  const s11 = filterValid(aa, width, height, g);
  const s22 = filterValid(bb, width, height, g);
  const s12 = filterValid(ab, width, height, g);
  let sum = 0;
  for (let i = 0; i < mu1.length; i++) {
    const m1 = mu1[i] as number;
    const m2 = mu2[i] as number;
    const v1 = (s11[i] as number) - m1 * m1;
    const v2 = (s22[i] as number) - m2 * m2;
    const cv = (s12[i] as number) - m1 * m2;
    sum += ((2 * m1 * m2 + c1) * (2 * cv + c2)) / ((m1 * m1 + m2 * m2 + c1) * (v1 + v2 + c2));
  }
  return sum / mu1.length;
}

/** SSIM on the luma of two interleaved RGB 8-bit images. */
export function ssimRgb(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number): number {
  return ssimPlane(luma(a, width, height), luma(b, width, height), width, height);
}

/** SNR in dB of `test` against `ref` over their common length; Infinity when identical. */
export function snr(ref: ArrayLike<number>, test: ArrayLike<number>): number {
  const n = Math.min(ref.length, test.length);
  let s = 0;
  let e = 0;
  for (let i = 0; i < n; i++) {
    const r = ref[i] as number;
    s += r * r;
    e += (r - (test[i] as number)) ** 2;
  }
  if (e === 0) return Infinity;
  return 10 * Math.log10(s / e);
}

/**
 * Log-mel spectral distance in dB: mean over frames of the RMS over 80 mel bins of
 * 10·log10(P_a) − 10·log10(P_b) (power mel, n_fft 1024, hop 256, 0–8000 Hz), over the common length.
 */
export function logMelDistance(a: Float32Array, b: Float32Array, sampleRate: number): number {
  const n = Math.min(a.length, b.length);
  if (n === 0) return 0;
  const o = { sampleRate, nFft: 1024, hop: 256, win: 1024, nMels: 80, fMin: 0, fMax: Math.min(8000, sampleRate / 2) };
  const ma = logMelSpectrogram(a.subarray(0, n), o);
  const mb = logMelSpectrogram(b.subarray(0, n), o);
  const toDb = 10 / Math.LN10;
  let total = 0;
  for (let t = 0; t < ma.frames; t++) {
    let acc = 0;
    for (let m = 0; m < o.nMels; m++) acc += (((ma.data[m * ma.frames + t] as number) - (mb.data[m * mb.frames + t] as number)) * toDb) ** 2;
    total += Math.sqrt(acc / o.nMels);
  }
  return total / ma.frames;
}

export function rmse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  if (n === 0) return 0;
  let e = 0;
  for (let i = 0; i < n; i++) e += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(e / n);
}

/** ‖a − b‖ / ‖a‖ (0 when both are zero; Infinity when only a is). */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let d = 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    d += (x - (b[i] as number)) ** 2;
    s += x * x;
  }
  if (d === 0) return 0;
  return s === 0 ? Infinity : Math.sqrt(d / s);
}

/** JSON text where ±Infinity is written as ±1e999 (JSON.parse reads it back as ±Infinity), NaN as null. */
export function stringifyWithInfinity(value: unknown): string {
  const text = JSON.stringify(
    value,
    (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) && !Number.isNaN(v) ? (v > 0 ? '__+INF__' : '__-INF__') : v),
    2,
  );
  return text.replace(/"__\+INF__"/g, '1e999').replace(/"__-INF__"/g, '-1e999');
}
