/**
 * Image helpers: area/bilinear resize to the extractor size, RGB HWC ↔ float NCHW in [0, 1], and a
 * deterministic synthetic face-like source image (skin-tone ellipse with eyes, brows, nose and mouth on a
 * gradient background) used when no --image is given.
 */
import type { RgbImage } from './png.js';
import { BoundedMemo } from '../core/bounded-memo.js';

/**
 * Resizes to size×size: area averaging when shrinking (cv2.INTER_AREA-like: each output pixel averages the
 * input box it covers, with fractional edge weights), bilinear when enlarging.
 */
export function resizeRgb(img: RgbImage, width: number, height: number): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(width * height * 3);
  const sx = w / width;
  const sy = h / height;
  if (sx >= 1 && sy >= 1) {
    for (let y = 0; y < height; y++) {
      const y0 = y * sy;
      const y1 = y0 + sy;
      for (let x = 0; x < width; x++) {
        const x0 = x * sx;
        const x1 = x0 + sx;
        const acc = [0, 0, 0];
        let wsum = 0;
        for (let yy = Math.floor(y0); yy < Math.min(h, Math.ceil(y1)); yy++) {
          const wy = Math.min(yy + 1, y1) - Math.max(yy, y0);
          for (let xx = Math.floor(x0); xx < Math.min(w, Math.ceil(x1)); xx++) {
            const wx = Math.min(xx + 1, x1) - Math.max(xx, x0);
            const wgt = wx * wy;
            const p = (yy * w + xx) * 3;
            for (let c = 0; c < 3; c++) acc[c] = (acc[c] as number) + wgt * (data[p + c] as number);
            wsum += wgt;
          }
        }
        for (let c = 0; c < 3; c++) out[(y * width + x) * 3 + c] = Math.round((acc[c] as number) / wsum);
      }
    }
  } else {
    for (let y = 0; y < height; y++) {
      const fy = Math.max(0, Math.min(h - 1, (y + 0.5) * sy - 0.5));
      const y0 = Math.floor(fy);
      const y1 = Math.min(h - 1, y0 + 1);
      const ay = fy - y0;
      for (let x = 0; x < width; x++) {
        const fx = Math.max(0, Math.min(w - 1, (x + 0.5) * sx - 0.5));
        const x0 = Math.floor(fx);
        const x1 = Math.min(w - 1, x0 + 1);
        const ax = fx - x0;
        for (let c = 0; c < 3; c++) {
          const p = (yy: number, xx: number): number => data[(yy * w + xx) * 3 + c] as number;
          const v = (1 - ay) * ((1 - ax) * p(y0, x0) + ax * p(y0, x1)) + ay * ((1 - ax) * p(y1, x0) + ax * p(y1, x1));
          out[(y * width + x) * 3 + c] = Math.round(v);
        }
      }
    }
  }
  return { width, height, data: out };
}

/** RGB HWC uint8 → float32 NCHW [1,3,H,W] in [0, 1]. */
export function rgbToTensor(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const t = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) t[c * n + i] = (img.data[i * 3 + c] as number) / 255;
  return t;
}

/** Float NCHW [1,3,H,W] (values in [0, 1], clipped) → RGB HWC uint8. */
export function tensorToRgb(t: ArrayLike<number>, width: number, height: number): RgbImage {
  const n = width * height;
  const data = new Uint8Array(3 * n);
  // Per plane, with the clamp written out: Math.round(clamp(v, 0, 1) · 255), non-finite → 0. Called for every
  // 512² frame, where the generic form cost ~10 ms a frame on the 2-core VM.
  for (let c = 0; c < 3; c++) {
    const base = c * n;
    for (let i = 0, o = c; i < n; i++, o += 3) {
      const v = t[base + i] as number;
      // NaN fails both comparisons (→ 0); +Infinity is not finite (→ 0), as before.
      // Storing into a Uint8Array truncates, so v · 255 + 0.5 stores Math.round(v · 255) for v in (0, 1).
      data[o] = v > 0 ? (v < 1 ? v * 255 + 0.5 : v === Infinity ? 0 : 255) : 0;
    }
  }
  return { width, height, data };
}

/** Synthetic faces drawn so far, by size (every run without --image draws one). */
const faces = new BoundedMemo<Uint8Array>(2);

/** A deterministic face-like RGB image of size×size (a fresh copy each call: the caller may write to it). */
export function syntheticFace(size = 512): RgbImage {
  return { width: size, height: size, data: faces.get(String(size), () => drawFace(size)).slice() };
}

function drawFace(size: number): Uint8Array {
  const data = new Uint8Array(size * size * 3);
  const set = (i: number, r: number, g: number, b: number): void => {
    data[i * 3] = r;
    data[i * 3 + 1] = g;
    data[i * 3 + 2] = b;
  };
  const inEllipse = (x: number, y: number, cx: number, cy: number, rx: number, ry: number): boolean => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
  for (let py = 0; py < size; py++)
    for (let px = 0; px < size; px++) {
      const x = px / size;
      const y = py / size;
      const i = py * size + px;
      // Background: vertical gradient with a little texture.
      set(i, 40 + 60 * y, 70 + 40 * y + 10 * Math.sin(x * 40), 110 + 30 * (1 - y));
      if (inEllipse(x, y, 0.5, 0.98, 0.34, 0.22)) set(i, 60, 70, 120); // shoulders
      if (inEllipse(x, y, 0.5, 0.78, 0.09, 0.12)) set(i, 200, 150, 120); // neck
      if (inEllipse(x, y, 0.5, 0.33, 0.27, 0.25)) set(i, 70, 45, 30); // hair
      if (inEllipse(x, y, 0.5, 0.5, 0.22, 0.29)) {
        const shade = 1 - 0.25 * Math.hypot(x - 0.45, y - 0.45);
        set(i, 225 * shade, 175 * shade, 145 * shade); // face
      }
      for (const ex of [0.41, 0.59]) {
        if (inEllipse(x, y, ex, 0.37, 0.055, 0.012)) set(i, 60, 40, 30); // brows
        if (inEllipse(x, y, ex, 0.44, 0.045, 0.022)) set(i, 245, 245, 245); // eye white
        if (inEllipse(x, y, ex, 0.44, 0.018, 0.018)) set(i, 50, 80, 110); // iris
      }
      if (inEllipse(x, y, 0.5, 0.55, 0.02, 0.05)) set(i, 205, 150, 125); // nose
      if (inEllipse(x, y, 0.5, 0.66, 0.08, 0.022)) set(i, 170, 70, 80); // mouth
    }
  return data;
}
