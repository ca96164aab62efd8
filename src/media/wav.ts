/**
 * RIFF/WAVE I/O. Reads PCM (8/16/24/32-bit integer) and IEEE float (32/64-bit) files, mixes channels down
 * to mono float samples in [-1, 1]; writes mono 16-bit PCM.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { InputError } from '../core/input-error.js';

export interface Audio {
  sampleRate: number;
  /** Mono samples in [-1, 1]. */
  samples: Float32Array;
}

/** Parses WAV bytes; `file` names the source in errors. */
export function decodeWav(bytes: Uint8Array, file = 'audio'): Audio {
  const fail = (field: string, detail: string): never => {
    throw new InputError(file, field, detail);
  };
  if (bytes.length < 12) fail('header', `not a RIFF/WAVE file (${bytes.length} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (o: number): string => String.fromCharCode(bytes[o] ?? 0, bytes[o + 1] ?? 0, bytes[o + 2] ?? 0, bytes[o + 3] ?? 0);
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') fail('header', 'not a RIFF/WAVE file');
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let data: { offset: number; length: number } | undefined;
  let o = 12;
  while (o + 8 <= bytes.length) {
    const id = tag(o);
    const size = dv.getUint32(o + 4, true);
    const body = o + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) fail('fmt', 'truncated fmt chunk');
      let format = dv.getUint16(body, true);
      if (format === 0xfffe && size >= 40) format = dv.getUint16(body + 24, true); // WAVE_FORMAT_EXTENSIBLE sub-format
      fmt = { format, channels: dv.getUint16(body + 2, true), rate: dv.getUint32(body + 4, true), bits: dv.getUint16(body + 14, true) };
    } else if (id === 'data') {
      data = { offset: body, length: Math.min(size, bytes.length - body) };
      if (fmt) break;
    }
    o = body + size + (size & 1);
  }
  if (!fmt) return fail('fmt', 'no fmt chunk');
  if (!data) return fail('data', 'no data chunk');
  const { format, channels, rate, bits } = fmt;
  if (channels < 1) fail('fmt', 'zero channels');
  if (rate < 1000 || rate > 384000) fail('fmt', `unsupported sample rate ${rate}`);
  const isFloat = format === 3;
  if (!(format === 1 || isFloat)) fail('fmt', `unsupported format code ${format} (need PCM or IEEE float)`);
  if (isFloat ? bits !== 32 && bits !== 64 : ![8, 16, 24, 32].includes(bits)) fail('fmt', `unsupported bit depth ${bits}`);
  const bytesPer = bits / 8;
  const frames = Math.floor(data.length / (bytesPer * channels));
  if (frames === 0) fail('data', 'no samples');
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let acc = 0;
    for (let c = 0; c < channels; c++) {
      const p = data.offset + (i * channels + c) * bytesPer;
      let v: number;
      if (isFloat) v = bits === 32 ? dv.getFloat32(p, true) : dv.getFloat64(p, true);
      else if (bits === 8) v = (dv.getUint8(p) - 128) / 128;
      else if (bits === 16) v = dv.getInt16(p, true) / 32768;
      else if (bits === 24) v = (((dv.getUint8(p + 2) << 24) | (dv.getUint8(p + 1) << 16) | (dv.getUint8(p) << 8)) >> 8) / 8388608;
      else v = dv.getInt32(p, true) / 2147483648;
      acc += v;
    }
    out[i] = acc / channels;
  }
  return { sampleRate: rate, samples: out };
}

export function readWav(path: string): Audio {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new InputError(path, 'file', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  return decodeWav(bytes, path);
}

/** Mono 16-bit PCM WAV bytes (samples clipped to [-1, 1]). */
export function encodeWav(audio: Audio): Uint8Array {
  const n = audio.samples.length;
  const buf = new Uint8Array(44 + n * 2);
  const dv = new DataView(buf.buffer);
  const put = (o: number, s: string): void => {
    for (let i = 0; i < 4; i++) buf[o + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  dv.setUint32(4, 36 + n * 2, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  dv.setUint32(16, 16, true);
  dv.setUint16(20, 1, true);
  dv.setUint16(22, 1, true);
  dv.setUint32(24, audio.sampleRate, true);
  dv.setUint32(28, audio.sampleRate * 2, true);
  dv.setUint16(32, 2, true);
  dv.setUint16(34, 16, true);
  put(36, 'data');
  dv.setUint32(40, n * 2, true);
  for (let i = 0; i < n; i++) {
    const v = Math.max(-1, Math.min(1, audio.samples[i] ?? 0));
    dv.setInt16(44 + i * 2, Math.max(-32768, Math.min(32767, Math.round(v * 32768))), true);
  }
  return buf;
}

export function writeWav(path: string, audio: Audio): void {
  writeFileSync(path, encodeWav(audio));
}
