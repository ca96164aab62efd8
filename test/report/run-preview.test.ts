/**
 * Run previews (src/sweep/run-preview.ts) and their place in the report (src/report/variant-media.ts):
 * first/middle/last thumbnails, a 16 kHz excerpt, the baseline frames once, a difference map per frame.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSweepReport } from '../../src/report/build-sweep-report.js';
import { decodeWav } from '../../src/media/wav.js';
import { previewFrameIndices, writeRunPreview } from '../../src/sweep/run-preview.js';
import type { VariantResult } from '../../src/sweep/types.js';
import { okResult } from './helpers/synthetic-results.js';
import { writeSyntheticRun } from './helpers/synthetic-run.js';

function resultWithRun(id: string, runDir: string, baseline: boolean, psnr: number): VariantResult {
  return okResult(
    id,
    {
      audioSeconds: 6,
      wallSeconds: 3,
      rtf: baseline ? 0.5 : 0.4,
      stages: [],
      roles: [],
      memory: {},
      samples: { rtf: [0.5], stageSeconds: {} },
      runDir,
      ...(baseline ? {} : { quality: { framePsnrMean: psnr, ssimMean: 0.99, logMelDistance: 0.1 } }),
    },
    { baseline },
  );
}

describe('run previews in the report', () => {
  it('keeps three thumbnails and a short 16 kHz mono excerpt beside the run', () => {
    expect(previewFrameIndices(1)).toEqual([0]);
    expect(previewFrameIndices(10)).toEqual([0, 4, 9]);
    const dir = writeSyntheticRun(mkdtempSync(join(tmpdir(), 'wb-prev-')), { size: 256, frames: 9, seconds: 6 });
    const p = writeRunPreview(dir);
    expect(p?.frames.map((f) => f.index)).toEqual([0, 4, 8]);
    expect(p?.thumbSize).toEqual({ width: 128, height: 128 });
    const wav = decodeWav(readFileSync(join(dir, 'preview', 'audio.wav')));
    expect(wav.sampleRate).toBe(16000);
    expect(wav.samples.length).toBe(3 * 16000);
  });

  it('embeds frames beside the baseline, difference maps and audio as data URIs', () => {
    const root = mkdtempSync(join(tmpdir(), 'wb-prev-'));
    const base = writeSyntheticRun(join(root, 'base'), { size: 64, frames: 5, seconds: 2 });
    const v = writeSyntheticRun(join(root, 'v'), { size: 48, frames: 5, seconds: 2, shift: 3 });
    writeRunPreview(base);
    writeRunPreview(v);
    const report = buildSweepReport([resultWithRun('base', base, true, 100), resultWithRun('v', v, false, 40)]);
    expect(Object.keys(report.baselineFrames ?? {})).toEqual(['0', '2', '4']);
    const m = report.details.find((d) => d.id === 'v')?.media;
    expect(m?.frames).toHaveLength(3);
    for (const f of m?.frames ?? []) {
      expect(f.src).toMatch(/^data:image\/png;base64,/);
      expect(f.diff).toMatch(/^data:image\/png;base64,/);
      expect(f.baseline).toBe(String(f.index));
    }
    expect(m?.audio?.src).toMatch(/^data:audio\/wav;base64,UklGR/);
    expect(report.details.find((d) => d.id === 'base')?.media?.frames[0]?.diff).toBeUndefined();
  });
});
