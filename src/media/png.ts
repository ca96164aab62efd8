/**
 * A small PNG codec on node:zlib. Decodes non-interlaced 8-bit (and 16-bit, reduced to 8) grayscale,
 * RGB, palette, gray+alpha and RGBA images into RGB; encodes 8-bit RGB.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { deflateSync, inflateSync } from 'node:zlib';
import { InputError } from '../core/input-error.js';

/** An 8-bit RGB image, row-major, interleaved (HWC). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = (CRC_TABLE[(c ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export function decodePng(bytes: Uint8Array, file = 'image'): RgbImage {
  const fail = (field: string, detail: string): never => {
    throw new InputError(file, field, detail);
  };
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('signature', 'not a PNG file');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 8;
  let ihdr: { w: number; h: number; depth: number; color: number; interlace: number } | undefined;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  while (o + 12 <= bytes.length) {
    const len = dv.getUint32(o);
    const type = String.fromCharCode(...bytes.subarray(o + 4, o + 8));
    if (o + 12 + len > bytes.length) fail(type, 'truncated chunk');
    const body = bytes.subarray(o + 8, o + 8 + len);
    if (crc32(bytes, o + 4, o + 8 + len) !== dv.getUint32(o + 8 + len)) fail(type, 'CRC mismatch');
    if (type === 'IHDR') ihdr = { w: dv.getUint32(o + 8), h: dv.getUint32(o + 12), depth: body[8] ?? 0, color: body[9] ?? 0, interlace: body[12] ?? 0 };
    else if (type === 'PLTE') palette = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    o += 12 + len;
  }
  if (!ihdr) return fail('IHDR', 'missing');
  const { w, h, depth, color, interlace } = ihdr;
  if (w === 0 || h === 0 || w * h > 64e6) fail('IHDR', `bad size ${w}x${h}`);
  if (interlace !== 0) fail('IHDR', 'interlaced PNGs are not supported');
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[color];
  if (!channels) return fail('IHDR', `bad color type ${color}`);
  if (!(depth === 8 || (depth === 16 && color !== 3))) fail('IHDR', `unsupported bit depth ${depth} for color type ${color}`);
  if (color === 3 && !palette) fail('PLTE', 'palette image without PLTE');
  if (idat.length === 0) fail('IDAT', 'no image data');
  let raw: Uint8Array;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (e) {
    return fail('IDAT', `bad zlib data: ${(e as Error).message}`);
  }
  const bpp = (channels * depth) / 8;
  const stride = w * bpp;
  if (raw.length < h * (stride + 1)) fail('IDAT', 'image data too short');
  const px = new Uint8Array(h * stride);
  for (let y = 0; y < h; y++) {
    const filter = raw[y * (stride + 1)] ?? 0;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const r = raw[src + x] ?? 0;
      const a = x >= bpp ? (px[row + x - bpp] ?? 0) : 0;
      const b = y > 0 ? (px[prev + x] ?? 0) : 0;
      const c = y > 0 && x >= bpp ? (px[prev + x - bpp] ?? 0) : 0;
      let v: number;
      if (filter === 0) v = r;
      else if (filter === 1) v = r + a;
      else if (filter === 2) v = r + b;
      else if (filter === 3) v = r + ((a + b) >> 1);
      else if (filter === 4) v = r + paeth(a, b, c);
      else return fail('IDAT', `bad filter type ${filter} in row ${y}`);
      px[row + x] = v & 0xff;
    }
  }
  const out = new Uint8Array(w * h * 3);
  const step = depth / 8;
  for (let i = 0; i < w * h; i++) {
    const s = (k: number): number => px[(i * channels + k) * step] ?? 0; // 16-bit: the high byte
    let r: number, g: number, b: number;
    if (color === 0 || color === 4) r = g = b = s(0);
    else if (color === 3) {
      const idx = px[i] ?? 0;
      r = palette?.[idx * 3] ?? 0;
      g = palette?.[idx * 3 + 1] ?? 0;
      b = palette?.[idx * 3 + 2] ?? 0;
    } else {
      r = s(0);
      g = s(1);
      b = s(2);
    }
    out[i * 3] = r;
    out[i * 3 + 1] = g;
    out[i * 3 + 2] = b;
  }
  return { width: w, height: h, data: out };
}

export function readPng(path: string): RgbImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new InputError(path, 'file', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  return decodePng(bytes, path);
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out, 4, 8 + body.length));
  return out;
}

/** 8-bit RGB PNG bytes (filter 'up' on every row after the first, zlib level 6). */
export function encodePng(img: RgbImage): Uint8Array {
  const { width: w, height: h, data } = img;
  const stride = w * 3;
  const raw = new Uint8Array(h * (stride + 1));
  for (let y = 0; y < h; y++) {
    const dst = y * (stride + 1);
    raw[dst] = y === 0 ? 0 : 2;
    for (let x = 0; x < stride; x++) {
      const v = data[y * stride + x] ?? 0;
      raw[dst + 1 + x] = y === 0 ? v : (v - (data[(y - 1) * stride + x] ?? 0)) & 0xff;
    }
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from(SIGNATURE), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 6 })), chunk('IEND', new Uint8Array(0))]);
}

export function writePng(path: string, img: RgbImage): void {
  writeFileSync(path, encodePng(img));
}
