/**
 * Quality of one run against another (same inputs and seeds, another variant): per-frame PSNR and SSIM,
 * audio SNR and log-mel distance, motion RMSE, and the relative L2 of every role's first-call outputs,
 * with the earliest divergent role named so a regression is traced to the stage that caused it.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ALL_ROLES, type Role } from '../models/manifest.js';
import { InputError } from '../core/input-error.js';
import { capDb, logMelDistance, psnr, relativeL2, rmse, snr, ssimRgb } from './quality.js';
import { decodeSample, type RoleFingerprint } from './role-sessions.js';
import type { FrameQuality, QualityReport, RunResult } from './run-result.js';
import { readWav } from '../media/wav.js';

/** Run order of the roles (a divergence is blamed on the earliest). */
export const PIPELINE_ORDER: readonly Role[] = [
  'cond_encoder',
  'speaker_encoder',
  'gpt_prefill',
  'gpt_decode',
  'hifigan',
  'appearance_extractor',
  'motion_extractor',
  'hubert',
  'lmdm',
  'stitch_network',
  'warp_network',
  'decoder',
];

export function readRun(dir: string): RunResult {
  const f = join(resolve(dir), 'run.json');
  if (!existsSync(f)) throw new InputError(dir, 'run.json', 'not a run directory (no run.json)');
  const r = JSON.parse(readFileSync(f, 'utf8')) as RunResult;
  if (r.schemaVersion !== 1 || r.kind !== 'workbench.run') throw new InputError(f, 'schemaVersion', 'not a workbench run.json (schemaVersion 1)');
  return r;
}

function compareFrames(a: string, ra: RunResult, b: string, rb: RunResult, warnings: string[]): FrameQuality | null {
  // A lower-resolution variant is judged as it would be shown: upscaled (bilinear) to the baseline's size.
  const sizeB = rb.video.width * rb.video.height * 3;
  const rescale = ra.video.width !== rb.video.width || ra.video.height !== rb.video.height;
  if (rescale)
    warnings.push(
      `frame sizes differ (${ra.video.width}x${ra.video.height} vs ${rb.video.width}x${rb.video.height}); candidate frames upscaled bilinearly to ${ra.video.width}x${ra.video.height} for PSNR/SSIM`,
    );
  const n = Math.min(ra.video.frames, rb.video.frames);
  if (ra.video.frames !== rb.video.frames) warnings.push(`frame counts differ (${ra.video.frames} vs ${rb.video.frames}); compared the first ${n}`);
  if (n === 0) return null;
  const { width: w, height: h } = ra.video;
  const size = w * h * 3;
  const fa = openSync(join(a, ra.files.frames), 'r');
  const fb = openSync(join(b, rb.files.frames), 'r');
  const ba = new Uint8Array(size);
  const bb = new Uint8Array(size);
  const braw = rescale ? new Uint8Array(sizeB) : bb;
  let seSum = 0;
  let psnrWorst = Infinity;
  let psnrWorstFrame = 0;
  let ssimSum = 0;
  let ssimWorst = Infinity;
  let ssimWorstFrame = 0;
  try {
    for (let i = 0; i < n; i++) {
      readSync(fa, ba, 0, size, i * size);
      readSync(fb, braw, 0, sizeB, i * sizeB);
      if (rescale) resizeRgbBilinear(braw, rb.video.width, rb.video.height, bb, w, h);
      let se = 0;
      for (let k = 0; k < size; k++) se += ((ba[k] as number) - (bb[k] as number)) ** 2;
      seSum += se / size;
      const p = psnr(ba, bb);
      if (p < psnrWorst) {
        psnrWorst = p;
        psnrWorstFrame = i;
      }
      const s = ssimRgb(ba, bb, w, h);
      ssimSum += s;
      if (s < ssimWorst) {
        ssimWorst = s;
        ssimWorstFrame = i;
      }
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
  const mse = seSum / n;
  return {
    compared: n,
    psnrMean: capDb(mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse)),
    psnrWorst: capDb(psnrWorst),
    psnrWorstFrame,
    ssimMean: ssimSum / n,
    ssimWorst,
    ssimWorstFrame,
  };
}

/**
 * Compares run `candidate` against run `baseline` (both run directories). `tolerance` is the relative L2
 * above which a role's outputs count as divergent.
 */
export function compareRuns(baseline: string, candidate: string, tolerance = 1e-6): QualityReport {
  const a = resolve(baseline);
  const b = resolve(candidate);
  const ra = readRun(a);
  const rb = readRun(b);
  const warnings: string[] = [];
  if (ra.config.seed !== rb.config.seed) warnings.push(`seeds differ (${ra.config.seed} vs ${rb.config.seed})`);
  if (ra.config.steps !== rb.config.steps) warnings.push(`diffusion steps differ (${ra.config.steps} vs ${rb.config.steps})`);
  if (ra.config.text !== rb.config.text) warnings.push('texts differ');
  const frames = compareFrames(a, ra, b, rb, warnings);
  const wa = readWav(join(a, ra.files.audio));
  const wb = readWav(join(b, rb.files.audio));
  if (wa.samples.length !== wb.samples.length) warnings.push(`audio lengths differ (${wa.samples.length} vs ${wb.samples.length}); compared the common part`);
  const n = Math.min(wa.samples.length, wb.samples.length);
  const audio =
    wa.sampleRate === wb.sampleRate && n > 0
      ? { snrDb: capDb(snr(wa.samples, wb.samples)), logMelDistanceDb: logMelDistance(wa.samples, wb.samples, wa.sampleRate), comparedSamples: n }
      : null;
  const readMotion = (dir: string, r: RunResult): Float32Array => {
    const buf = readFileSync(join(dir, r.files.motion));
    return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  };
  const ma = readMotion(a, ra);
  const mb = readMotion(b, rb);
  const motion = { rmse: rmse(ma, mb), frames: Math.min(ma.length, mb.length) / 265 };
  const fa = JSON.parse(readFileSync(join(a, ra.files.fingerprints), 'utf8')) as Partial<Record<Role, RoleFingerprint>>;
  const fb = JSON.parse(readFileSync(join(b, rb.files.fingerprints), 'utf8')) as Partial<Record<Role, RoleFingerprint>>;
  const roles: Partial<Record<Role, Record<string, number>>> = {};
  for (const role of ALL_ROLES) {
    const pa = fa[role];
    const pb = fb[role];
    if (!pa || !pb) continue;
    const r: Record<string, number> = {};
    for (const [name, ta] of Object.entries(pa)) {
      const tb = pb[name];
      if (!tb) continue;
      if (ta.dims.join('x') !== tb.dims.join('x')) {
        warnings.push(`${role}.${name}: shapes differ (${ta.dims.join('x')} vs ${tb.dims.join('x')})`);
        r[name] = Infinity;
        continue;
      }
      r[name] = relativeL2(decodeSample(ta), decodeSample(tb));
    }
    roles[role] = r;
  }
  const firstDivergentRole = PIPELINE_ORDER.find((role) => Object.values(roles[role] ?? {}).some((e) => e > tolerance)) ?? null;
  return { baseline: a, candidate: b, frames, audio, motion, roles, firstDivergentRole, warnings };
}

/** Bilinear resize of an interleaved RGB image (half-pixel centres, as image libraries do). */
export function resizeRgbBilinear(src: Uint8Array, sw: number, sh: number, dst: Uint8Array, dw: number, dh: number): void {
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(Math.max(((y + 0.5) * sh) / dh - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(Math.max(((x + 0.5) * sw) / dw - 0.5, 0), sw - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const a = src[(y0 * sw + x0) * 3 + c] as number;
        const b = src[(y0 * sw + x1) * 3 + c] as number;
        const d = src[(y1 * sw + x0) * 3 + c] as number;
        const e = src[(y1 * sw + x1) * 3 + c] as number;
        dst[(y * dw + x) * 3 + c] = Math.round((a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy);
      }
    }
  }
}
