/**
 * A run's preview: what the sweep report needs to let researchers see and hear a variant, kept next to
 * the run (`<runDir>/preview/`): the first, middle and last frames as small PNG thumbnails and the first
 * seconds of the audio as 16 kHz mono 16-bit WAV. The report embeds them as data URIs (src/report/variant-media.ts),
 * so the page stays offline and small (a few hundred kB per variant).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resizeRgb } from '../media/image.js';
import { encodePng } from '../media/png.js';
import { resample } from '../media/resample.js';
import type { RunResult } from '../runner/run-result.js';
import { encodeWav, readWav } from '../media/wav.js';

export const PREVIEW_SUBDIR = 'preview';
export const PREVIEW_FILE = 'preview.json';

export interface RunPreviewOptions {
  /** Longest thumbnail side in pixels (smaller frames keep their size). */
  maxSide: number;
  /** Sample rate of the audio excerpt (Hz). */
  audioRate: number;
  /** Seconds of audio kept from the start. */
  audioSeconds: number;
}

export const RUN_PREVIEW_DEFAULTS: RunPreviewOptions = { maxSide: 128, audioRate: 16000, audioSeconds: 3 };

/** preview.json: file names relative to the preview folder. */
export interface RunPreview {
  schemaVersion: 1;
  /** The run's full frame size, and the thumbnails'. */
  frameSize: { width: number; height: number };
  thumbSize: { width: number; height: number };
  frameCount: number;
  frames: { index: number; file: string }[];
  audio?: { file: string; sampleRate: number; seconds: number; sourceSeconds: number; sourceRate: number };
}

/** First, middle and last frame indices (deduplicated). */
export function previewFrameIndices(count: number): number[] {
  if (count <= 0) return [];
  return [...new Set([0, Math.floor((count - 1) / 2), count - 1])];
}

function readFrame(file: string, index: number, width: number, height: number): Uint8Array {
  const size = width * height * 3;
  const buf = new Uint8Array(size);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, size, index * size);
  } finally {
    closeSync(fd);
  }
  return buf;
}

/**
 * Writes `<runDir>/preview/` from the run's frames.rgb and audio.wav and returns what it wrote; undefined
 * when the folder holds no run.json (nothing to preview).
 */
export function writeRunPreview(runDir: string, options: Partial<RunPreviewOptions> = {}): RunPreview | undefined {
  const o = { ...RUN_PREVIEW_DEFAULTS, ...options };
  const runFile = join(runDir, 'run.json');
  if (!existsSync(runFile)) return undefined;
  const run = JSON.parse(readFileSync(runFile, 'utf8')) as RunResult;
  const dir = join(runDir, PREVIEW_SUBDIR);
  mkdirSync(dir, { recursive: true });
  const { width, height, frames: count } = run.video;
  const scale = Math.min(1, o.maxSide / Math.max(width, height, 1));
  const thumb = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
  const preview: RunPreview = { schemaVersion: 1, frameSize: { width, height }, thumbSize: thumb, frameCount: count, frames: [] };
  const framesFile = join(runDir, run.files.frames);
  if (existsSync(framesFile)) {
    for (const index of previewFrameIndices(count)) {
      const full = { width, height, data: readFrame(framesFile, index, width, height) };
      const img = scale < 1 ? resizeRgb(full, thumb.width, thumb.height) : full;
      const file = `frame-${index}.png`;
      writeFileSync(join(dir, file), encodePng(img));
      preview.frames.push({ index, file });
    }
  }
  const audioFile = join(runDir, run.files.audio);
  if (existsSync(audioFile)) {
    const a = readWav(audioFile);
    const head = a.samples.subarray(0, Math.min(a.samples.length, Math.round(o.audioSeconds * a.sampleRate)));
    const samples = a.sampleRate === o.audioRate ? head : resample(head, a.sampleRate, o.audioRate);
    writeFileSync(join(dir, 'audio.wav'), encodeWav({ sampleRate: o.audioRate, samples }));
    preview.audio = {
      file: 'audio.wav',
      sampleRate: o.audioRate,
      seconds: samples.length / o.audioRate,
      sourceSeconds: a.samples.length / a.sampleRate,
      sourceRate: a.sampleRate,
    };
  }
  writeFileSync(join(dir, PREVIEW_FILE), `${JSON.stringify(preview, null, 2)}\n`);
  return preview;
}

/** Reads `<runDir>/preview/preview.json`, or undefined when the run has no preview. */
export function readRunPreview(runDir: string): RunPreview | undefined {
  const f = join(runDir, PREVIEW_SUBDIR, PREVIEW_FILE);
  if (!existsSync(f)) return undefined;
  try {
    const p = JSON.parse(readFileSync(f, 'utf8')) as RunPreview;
    return p.schemaVersion === 1 ? p : undefined;
  } catch {
    return undefined;
  }
}
