/**
 * The frames and audio a variant's detail shows, as data URIs (the page stays offline): each preview
 * frame (run-preview.ts) beside the baseline's and an amplified |difference| map, and the audio excerpt.
 * Baseline frames are embedded once for the whole page (SweepReport.baselineFrames).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resizeRgb } from '../media/image.js';
import { decodePng, encodePng, type RgbImage } from '../media/png.js';
import { psnr } from '../runner/quality.js';
import { PREVIEW_SUBDIR, readRunPreview } from '../sweep/run-preview.js';
import type { VariantResult } from '../sweep/types.js';

/** Difference maps multiply |a − b| by this, so small errors are visible (255 caps). */
export const DIFF_GAIN = 4;

export interface MediaFrame {
  index: number;
  /** data:image/png;base64,… */
  src: string;
  /** Whether the baseline has this frame (SweepReport.baselineFrames[index]). */
  baseline?: string;
  diff?: string;
  /** PSNR of this thumbnail against the baseline's (dB), as a guide; the table's PSNR is on full frames. */
  psnr?: number;
}

export interface VariantMedia {
  note?: string;
  diffGain: number;
  frames: MediaFrame[];
  audio?: { src: string; note: string };
}

const pngUri = (bytes: Uint8Array): string => `data:image/png;base64,${Buffer.from(bytes).toString('base64')}`;

function diffMap(a: RgbImage, b: RgbImage): RgbImage {
  const out = new Uint8Array(a.data.length);
  for (let i = 0; i < a.data.length; i += 3) {
    const d =
      (Math.abs((a.data[i] ?? 0) - (b.data[i] ?? 0)) +
        Math.abs((a.data[i + 1] ?? 0) - (b.data[i + 1] ?? 0)) +
        Math.abs((a.data[i + 2] ?? 0) - (b.data[i + 2] ?? 0))) /
      3;
    const v = Math.min(255, Math.round(d * DIFF_GAIN));
    out[i] = v;
    out[i + 1] = v;
    out[i + 2] = v;
  }
  return { width: a.width, height: a.height, data: out };
}

interface LoadedFrames {
  byIndex: Map<number, { bytes: Uint8Array; img: RgbImage }>;
}

function loadFrames(runDir: string): LoadedFrames | undefined {
  const p = readRunPreview(runDir);
  if (!p) return undefined;
  const byIndex = new Map<number, { bytes: Uint8Array; img: RgbImage }>();
  for (const f of p.frames) {
    const bytes = new Uint8Array(readFileSync(join(runDir, PREVIEW_SUBDIR, f.file)));
    byIndex.set(f.index, { bytes, img: decodePng(bytes, f.file) });
  }
  return { byIndex };
}

export interface ReportMedia {
  /** Baseline frame thumbnails by frame index (data URIs). */
  baselineFrames: Record<string, string>;
  byId: Map<string, VariantMedia>;
}

/** Media of every result whose run folder holds a preview; results without one get none. */
export function buildReportMedia(results: readonly VariantResult[], baselineId: string | undefined): ReportMedia {
  const base = results.find((r) => r.id === baselineId);
  const baseFrames = base?.metrics?.runDir ? loadFrames(base.metrics.runDir) : undefined;
  const baselineFrames: Record<string, string> = {};
  for (const [i, f] of baseFrames?.byIndex ?? []) baselineFrames[String(i)] = pngUri(f.bytes);
  const byId = new Map<string, VariantMedia>();
  for (const r of results) {
    const dir = r.metrics?.runDir;
    if (r.status !== 'ok' || !dir) continue;
    const p = readRunPreview(dir);
    if (!p) continue;
    const mine = loadFrames(dir);
    const frames: MediaFrame[] = [];
    for (const [index, f] of mine?.byIndex ?? []) {
      const frame: MediaFrame = { index, src: pngUri(f.bytes) };
      const b = baseFrames?.byIndex.get(index);
      if (b && r.id !== baselineId) {
        // A lower-resolution variant is compared as shown: scaled to the baseline's thumbnail size.
        const a = f.img.width === b.img.width && f.img.height === b.img.height ? f.img : resizeRgb(f.img, b.img.width, b.img.height);
        frame.baseline = String(index);
        frame.diff = pngUri(encodePng(diffMap(a, b.img)));
        const q = psnr(a.data, b.img.data);
        if (Number.isFinite(q)) frame.psnr = q;
      }
      frames.push(frame);
    }
    const m: VariantMedia = { diffGain: DIFF_GAIN, frames };
    if (p.frameSize.width !== p.thumbSize.width)
      m.note = `Thumbnails ${p.thumbSize.width}×${p.thumbSize.height} of ${p.frameSize.width}×${p.frameSize.height} frames; the difference map is |variant − baseline| × ${DIFF_GAIN} on the thumbnails.`;
    if (p.audio) {
      const bytes = readFileSync(join(dir, PREVIEW_SUBDIR, p.audio.file));
      m.audio = {
        src: `data:audio/wav;base64,${bytes.toString('base64')}`,
        note: `Audio: the first ${p.audio.seconds.toFixed(1)} s of ${p.audio.sourceSeconds.toFixed(1)} s, ${p.audio.sampleRate / 1000} kHz mono 16-bit (synthesized at ${p.audio.sourceRate / 1000} kHz).`,
      };
    }
    byId.set(r.id, m);
  }
  return { baselineFrames, byId };
}
