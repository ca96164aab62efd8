/**
 * Deterministic stand-ins for the media the real npm models are made for (no recordings or photos ship
 * with the repository): formant-synthesised speech for the silero VADs, pseudo-glyph text lines for the
 * PP-OCR detector and classifier. They are "realistic" in the way that matters for error metrics: the VAD
 * goes from silence (p ≈ 0) to speech (p ≈ 1) and back, the detector outputs text-line masks, and the
 * classifier sees upright and upside-down lines.
 */
import { createRng } from '../../src/onnx/rng.js';

const FS = 16000;
const VOWELS: readonly [number, number, number][] = [
  [730, 1090, 2440],
  [270, 2290, 3010],
  [300, 870, 2240],
  [530, 1840, 2480],
  [570, 840, 2410],
  [660, 1720, 2410],
];

/** Two-pole resonator (Klatt) at `f` Hz with bandwidth `bw`, applied in place. */
function resonate(x: Float32Array, f: number, bw: number): void {
  const c = -Math.exp((-2 * Math.PI * bw) / FS);
  const b = 2 * Math.exp((-Math.PI * bw) / FS) * Math.cos((2 * Math.PI * f) / FS);
  const a = 1 - b - c;
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const y = a * (x[i] as number) + b * y1 + c * y2;
    y2 = y1;
    y1 = y;
    x[i] = y;
  }
}

/**
 * 16 kHz speech-like audio: 0.3 s of near-silence, then syllables (an optional fricative burst, a voiced
 * vowel with a gliding pitch through three formants) separated by short gaps or pauses, over a −54 dBFS
 * noise floor.
 */
export function speechLike(seconds: number, seed: number): Float32Array {
  const n = Math.round(seconds * FS);
  const out = new Float32Array(n);
  const rng = createRng(seed);
  let t = Math.round(0.3 * FS);
  while (t < n - 0.3 * FS) {
    if (rng.next() < 0.4) {
      const len = Math.round((0.04 + 0.05 * rng.next()) * FS);
      let prev = 0;
      for (let i = 0; i < len && t + i < n; i++) {
        const w = rng.normal();
        out[t + i] = 0.03 * (w - prev) * Math.sin((Math.PI * i) / len);
        prev = w;
      }
      t += len;
    }
    const len = Math.round((0.12 + 0.15 * rng.next()) * FS);
    const formants = VOWELS[Math.floor(rng.next() * VOWELS.length)] as [number, number, number];
    const f0a = 100 + 80 * rng.next();
    const f0b = f0a * (0.8 + 0.4 * rng.next());
    const amp = 0.15 + 0.25 * rng.next();
    const v = new Float32Array(len);
    let phase = 0;
    for (let i = 0; i < len; i++) {
      phase += (f0a + ((f0b - f0a) * i) / len) / FS;
      if (phase >= 1) {
        phase -= 1;
        v[i] = 1;
      }
      v[i] = (v[i] as number) + 0.02 * rng.normal();
    }
    formants.forEach((f, k) => resonate(v, f, 60 + 40 * k));
    let peak = 1e-9;
    for (const s of v) peak = Math.max(peak, Math.abs(s));
    for (let i = 0; i < len && t + i < n; i++)
      out[t + i] = (out[t + i] as number) + ((amp * (v[i] as number)) / peak) * Math.sqrt(Math.sin((Math.PI * i) / len));
    t += len + Math.round((rng.next() < 0.35 ? 0.15 + 0.3 * rng.next() : 0.02 * rng.next()) * FS);
  }
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) + 0.002 * rng.normal();
  return out;
}

export interface TextLine {
  /** Top of the line, left and right end (pixels). */
  y: number;
  x0: number;
  x1: number;
  /** Glyph height (pixels). */
  size: number;
}

/** A grey page (values in [0, 1], 1 = white) with dark anti-aliased pseudo-glyph strokes along `lines`. */
export function textImage(h: number, w: number, seed: number, lines: readonly TextLine[]): Float32Array {
  const rng = createRng(seed);
  const img = new Float32Array(h * w);
  const paper = 0.85 + 0.1 * rng.next();
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) img[y * w + x] = paper - 0.05 * (x / w) + 0.01 * rng.normal();
  const ink = 0.1 + 0.15 * rng.next();
  const stroke = (xa: number, ya: number, xb: number, yb: number, th: number): void => {
    const steps = Math.max(2, Math.ceil(Math.hypot(xb - xa, yb - ya) * 2));
    for (let s = 0; s <= steps; s++) {
      const cx = xa + ((xb - xa) * s) / steps;
      const cy = ya + ((yb - ya) * s) / steps;
      for (let y = Math.max(0, Math.floor(cy - th - 1)); y <= Math.min(h - 1, Math.ceil(cy + th + 1)); y++)
        for (let x = Math.max(0, Math.floor(cx - th - 1)); x <= Math.min(w - 1, Math.ceil(cx + th + 1)); x++) {
          const a = Math.max(0, Math.min(1, th + 0.5 - Math.hypot(x - cx, y - cy)));
          const i = y * w + x;
          img[i] = Math.min(img[i] as number, (img[i] as number) * (1 - a) + ink * a);
        }
    }
  };
  for (const line of lines) {
    const { size } = line;
    const th = Math.max(0.6, size / 14);
    let x = line.x0;
    while (x + size * 0.8 < line.x1) {
      const gw = size * (0.55 + 0.35 * rng.next());
      const strokes = 2 + Math.floor(rng.next() * 4);
      for (let j = 0; j < strokes; j++) {
        const kind = rng.next();
        const ax = x + gw * rng.next();
        const ay = line.y + size * rng.next();
        if (kind < 0.35) stroke(x + 0.1 * gw, ay, x + 0.9 * gw, ay, th);
        else if (kind < 0.7) stroke(ax, line.y + 0.1 * size, ax, line.y + 0.95 * size, th);
        else stroke(x + gw * rng.next(), line.y + size * rng.next(), x + gw * rng.next(), line.y + size * rng.next(), th);
      }
      x += gw + size * (0.1 + 0.15 * rng.next()) + (rng.next() < 0.12 ? size * 0.5 : 0);
    }
  }
  return img;
}

/** A grey image as NCHW RGB [1, 3, h, w], normalised per channel as (v − mean) / std; optionally turned 180°. */
export function imageTensor(grey: Float32Array, h: number, w: number, mean: readonly number[], std: readonly number[], rotate180 = false): Float32Array {
  const out = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < h * w; i++) out[c * h * w + i] = ((grey[rotate180 ? h * w - 1 - i : i] as number) - (mean[c] as number)) / (std[c] as number);
  return out;
}
