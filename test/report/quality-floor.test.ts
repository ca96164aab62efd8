/**
 * Issue 14 finding 3: a fast variant with broken frames (the default sweep's res-96: PSNR 15 dB, SSIM 0.10)
 * must not be ranked first nor be on the Pareto front; the report says why, says when the models are the
 * seeded reference set, words a not-comparable role error instead of printing 1.00e+6, and counts repeats.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSweepReport, summarizeSweepReport } from '../../src/report/build-sweep-report.js';
import { renderSweepConsole } from '../../src/report/render-console.js';
import { DEFAULT_QUALITY_FLOOR, resolveQualityFloor } from '../../src/sweep/rank.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import type { RunMetrics, VariantResult } from '../../src/sweep/types.js';
import { okResult } from './helpers/synthetic-results.js';

function result(id: string, rtf: number, quality: RunMetrics['quality'], baseline = false, manifest?: string): VariantResult {
  const metrics: RunMetrics = {
    audioSeconds: 2,
    wallSeconds: rtf * 2,
    rtf,
    stages: [],
    roles: [{ role: 'decoder', calls: 10, seconds: rtf }],
    memory: {},
    samples: { rtf: [rtf, rtf * 1.01, rtf * 0.99], stageSeconds: {} },
    ...(quality ? { quality } : {}),
  };
  return okResult(id, metrics, { baseline, ...(manifest ? { manifest } : {}) });
}

const good = { framePsnrMean: 44, framePsnrWorst: 40, ssimMean: 0.99, ssimWorst: 0.98, logMelDistance: 0.2 };
const broken = { framePsnrMean: 15.2, framePsnrWorst: 12, ssimMean: 0.1, ssimWorst: 0.05, logMelDistance: 0.2, roleError: { decoder: 1e6, hifigan: 3.2e-4 } };

describe('quality floor', () => {
  const results = [result('fp32-baseline', 1.0, undefined, true), result('res-96', 0.3, broken), result('fp16', 0.7, good)];

  it('keeps a broken fast variant off the front and out of the ranking, with the reason', () => {
    const report = buildSweepReport(results, { generatedAt: 'now' });
    const first = report.ranking.variants[0];
    expect(first?.name).not.toBe('res-96');
    const res = report.ranking.variants.find((v) => v.name === 'res-96');
    expect(res?.rank).toBeUndefined();
    expect(res?.onFront).toBe(false);
    expect(report.ranking.front).not.toContain('res-96');
    expect(report.ranking.front).toContain('fp16');
    expect(res?.belowFloor).toEqual(['frame PSNR 15.2 dB < 30 dB floor', 'SSIM 0.100 < 0.9 floor']);
    expect(res?.why.text).toMatch(/^below the quality floor: frame PSNR 15\.2 dB < 30 dB floor/);
    expect(report.ranking.floor).toEqual(DEFAULT_QUALITY_FLOOR);
    const s = summarizeSweepReport(report);
    expect(s.qualityFloor).toEqual(DEFAULT_QUALITY_FLOOR);
    expect(s.variants.find((v) => v.id === 'res-96')?.belowFloor.length).toBe(2);
    const text = renderSweepConsole(report);
    expect(text).toContain('frame PSNR 15.2 dB < 30 dB floor');
    expect(text).toContain('quality floor: PSNR ≥ 30 dB, SSIM ≥ 0.9, audio distance ≤ 1.5 dB');
  });

  it('a spec can change or disable the floor', () => {
    const spec = parseSweepSpec({ schemaVersion: 1, name: 'x', variants: [{}], qualityFloor: { minPsnr: 10, minSsim: null } }, 'x.json');
    const floor = resolveQualityFloor(spec.qualityFloor);
    expect(floor).toEqual({ minPsnr: 10, maxAudioDistance: 1.5 });
    expect(buildSweepReport(results, { qualityFloor: floor }).ranking.variants[0]?.name).toBe('res-96');
    expect(resolveQualityFloor(false)).toEqual({});
    expect(() => parseSweepSpec({ schemaVersion: 1, name: 'x', variants: [{}], qualityFloor: { minPnsr: 10 } }, 'x.json')).toThrow(
      /x\.json: qualityFloor\.minPnsr: unknown field/,
    );
  });

  it('says when the models are the seeded reference set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-floor-'));
    const manifest = join(dir, 'manifest.json');
    writeFileSync(manifest, JSON.stringify({ schemaVersion: 1, name: 'ref', scale: 'tiny', source: 'reference', roles: {}, config: {} }));
    const withRef = [result('fp32-baseline', 1, undefined, true, manifest), ...results.slice(1)];
    const report = buildSweepReport(withRef);
    expect(report.modelSource).toBe('reference');
    expect(report.notes.join(' ')).toMatch(/seeded reference set.*structural differences/);
    expect(buildSweepReport(results).notes).toEqual([]);
  });

  it('words a role error that cannot be compared, and counts the repeats', () => {
    const d = buildSweepReport(results).details.find((x) => x.id === 'res-96');
    const rows = new Map(d?.rows);
    const err = rows.get('per-role output error (max relative L2 vs FP32)') ?? '';
    expect(err).not.toContain('1.00e+6');
    expect(err).toMatch(/decoder not comparable \(output shapes differ/);
    expect(err).toContain('hifigan 3.20e-4');
    expect(rows.get('repeats')).toBe('3');
    expect(rows.get('RTF per repeat')).toBe('0.3000, 0.3030, 0.2970');
  });
});
