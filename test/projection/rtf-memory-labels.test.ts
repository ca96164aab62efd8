import { describe, expect, it } from 'vitest';
import { REAL_PIPELINE_CONFIG } from '../../src/models/manifest.js';
import type { RunResult } from '../../src/runner/run-result.js';
import { errorBandFor, type ValidationEntry } from '../../src/projection/error-band.js';
import { memoryFit } from '../../src/projection/memory-fit.js';
import { aggregateRtf, projectProfile, projectRole, roleRates } from '../../src/projection/project-profile.js';
import { renderProjectionConsole, renderProjectionHtml } from '../../src/projection/render-projection.js';
import { profile, role, row, SRC, TGT } from './helpers.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const unvalidated = errorBandFor(undefined, []);

describe('call rates and RTF aggregation', () => {
  it('derives calls per audio second from the pipeline config', () => {
    const { rates, warnings } = roleRates(['decoder', 'hubert', 'lmdm', 'gpt_decode', 'gpt_prefill', 'model'], { audioSeconds: 10 });
    const by = Object.fromEntries(rates.map((r) => [r.role, r.callsPerAudioSecond]));
    expect(by.decoder).toBe(25);
    expect(by.hubert).toBe(16000 / 3200);
    expect(by.lmdm).toBeCloseTo((50 * 25) / 70, 12);
    expect(by.gpt_decode).toBeCloseTo(REAL_PIPELINE_CONFIG.tokensPerSecond, 12);
    expect(by.gpt_prefill).toBeCloseTo(0.1, 12);
    expect(by.model).toBe(0);
    expect(warnings.join(' ')).toMatch(/'model' has no call rate/);
    expect(roleRates(['lmdm'], { steps: 10 }).rates[0]?.callsPerAudioSecond).toBeCloseTo((10 * 25) / 70, 12);
  });

  it('RTF = Σ calls per audio second × per-call time, per stage and end to end', () => {
    const dec = projectRole(
      role('decoder', [row({ name: 'mm', opType: 'MatMul', type: 'float16', ms: 0.2, flops: 1e10, bytes: 1e7 })], { e2eMs: 1.205 }),
      SRC,
      TGT,
      true,
      'ditto',
    );
    const gpt = projectRole(
      role('gpt_decode', [row({ name: 'add', opType: 'Add', ms: 0.125, flops: 1e6, bytes: 1e8 })], { e2eMs: 0.13 }),
      SRC,
      TGT,
      true,
      'tts',
    );
    // Decoder: model 0.205, residual 1.0 → 0.805 + 1.0 = 1.805 ms. GPT decode: 0.63 ms.
    expect(dec.callMs).toBeCloseTo(1.805, 12);
    expect(gpt.callMs).toBeCloseTo(0.63, 12);
    const { rates, audioSeconds } = roleRates(['decoder', 'gpt_decode'], {});
    const rtf = aggregateRtf([dec, gpt], rates, audioSeconds, unvalidated);
    const tps = REAL_PIPELINE_CONFIG.tokensPerSecond;
    expect(rtf.rtf).toBeCloseTo((25 * 1.805 + tps * 0.63) / 1000, 12);
    expect(rtf.sourceRtf).toBeCloseTo((25 * 1.205 + tps * 0.13) / 1000, 12);
    expect(rtf.stages.find((s) => s.stage === 'ditto')?.rtf).toBeCloseTo((25 * 1.805) / 1000, 12);
    expect(rtf.stages.find((s) => s.stage === 'tts')?.rtf).toBeCloseTo((tps * 0.63) / 1000, 12);
  });

  it('with a run.json: measured role totals × per-call ratio, host time between roles unscaled', () => {
    const dec = projectRole(
      role('decoder', [row({ name: 'mm', opType: 'MatMul', type: 'float16', ms: 0.2, flops: 1e10, bytes: 1e7 })], { e2eMs: 0.205 }),
      SRC,
      TGT,
      true,
      'ditto',
    );
    // ratio 0.805 / 0.205.
    const run = {
      kind: 'workbench.run',
      audio: { sampleRate: 24000, samples: 48000, seconds: 2 },
      roles: { decoder: { calls: 50, totalMs: 100, medianMs: 2, minMs: 2, maxMs: 2 } },
      timing: { totalMs: 150, loadMs: 0, stagesMs: {}, rtfDirection: '', rtf: { endToEnd: 0.075 }, timeToFirstAudioMs: null, timeToFirstFrameMs: null },
    } as unknown as RunResult;
    const { rates, audioSeconds } = roleRates(['decoder'], { run });
    expect(rates[0]).toEqual({ role: 'decoder', callsPerAudioSecond: 25, source: 'run.json' });
    const rtf = aggregateRtf([dec], rates, audioSeconds, unvalidated, run);
    expect(rtf.measuredSourceRtf).toBe(0.075);
    expect(rtf.sourceRtf).toBeCloseTo(0.075, 12);
    expect(rtf.rtf).toBeCloseTo((100 * (0.805 / 0.205) + 50) / 1000 / 2, 12);
    expect(rtf.stages.find((s) => s.stage === 'host (unscaled)')?.rtf).toBeCloseTo(0.025, 12);
  });
});

describe('memory fit', () => {
  it('one worker = sessions + CUDA context; workers by memory; real-time streams bounded by RTF', () => {
    const roles = [
      { memoryBytes: 3 * GiB, memorySource: 'trace' },
      { memoryBytes: 2 * GiB, memorySource: 'trace' },
    ];
    // 24 GiB card, 10% reserve → 21.6 GiB usable; 5 GiB + 600 MiB per worker → 3 workers.
    const m = memoryFit(roles, 24 * GiB, 0.3, 600 * MiB, 0.1);
    expect(m.perWorkerBytes).toBe(5 * GiB + 600 * MiB);
    expect(m.fits).toBe(true);
    expect(m.workersByMemory).toBe(3);
    expect(m.realtimeStreams).toBe(3);
    expect(memoryFit(roles, 24 * GiB, 0.6, 600 * MiB, 0.1).realtimeStreams).toBe(1);
    expect(memoryFit(roles, 24 * GiB, 1.5, 600 * MiB, 0.1).realtimeStreams).toBe(0);
    const small = memoryFit(roles, 4 * GiB, 0.3, 600 * MiB, 0.1);
    expect(small.fits).toBe(false);
    expect(small.workersByMemory).toBe(0);
    expect(m.projected).toBe(true);
  });
});

describe('labelling and real datasheets', () => {
  const p = profile('h100-sxm', [
    role('decoder', [row({ name: 'mm', opType: 'MatMul', type: 'float16', ms: 2, flops: 1e12, bytes: 1e8 })], { e2eMs: 2.01, memoryBytes: 3 * GiB }),
    role('hubert', [row({ name: 'ln', opType: 'LayerNormalization', ms: 0.5, flops: 1e7, bytes: 1e9 })], { e2eMs: 0.6, memoryBytes: 1 * GiB }),
  ]);

  it('an H100 FP16 compute-bound node on an L4 is slower by the dense FP16 tensor ratio 989.5 / 121', () => {
    const r = projectProfile(p, { targets: ['l4'], validations: [] });
    const n = r.targets[0]?.roles[0]?.nodes[0];
    expect(n?.precision).toBe('FP16 tensor');
    expect((n?.workMs ?? 0) / n!.sourceWorkMs).toBeCloseTo(989.5 / 121, 9);
    // LayerNorm at 1e9 B: memory-bound; bandwidth ratio 3350 / 300.
    const ln = r.targets[0]?.roles[1]?.nodes[0];
    expect(ln?.targetBound).toBe('memory');
    expect((ln?.workMs ?? 0) / ln!.sourceWorkMs).toBeCloseTo(3350 / 300, 9);
  });

  it('marks every projected number as projected and carries the error band (unvalidated until measured)', () => {
    const r = projectProfile(p, { targets: ['l4', 'a100-80gb'], validations: [] });
    expect(r.projected).toBe(true);
    expect(r.source.id).toBe('h100-sxm');
    expect(r.targets.map((t) => t.target.id)).toEqual(['l4', 'a100-80gb']);
    for (const t of r.targets) {
      expect(t.projected).toBe(true);
      expect(t.rtf.projected).toBe(true);
      expect(t.memory.projected).toBe(true);
      expect(t.roles.every((x) => x.projected)).toBe(true);
      expect(t.errorBand).toEqual(t.rtf.errorBand);
      expect(t.errorBand.status).toBe('unvalidated');
      expect(t.errorBand.label).toBe('unvalidated');
    }
    expect(r.targets[0]?.memory.fits).toBe(true);
    const text = renderProjectionConsole(r);
    expect(text).toMatch(/PROJECTED to NVIDIA L4 \(l4\).*error band: unvalidated/);
    expect(text).toMatch(/RTF \(PROJECTED, unvalidated\)/);
    const html = renderProjectionHtml(r);
    expect(html).toContain('PROJECTED — not measured');
    expect(html).toContain('"projected":true');
  });

  it('with validations the band is the largest error seen, and says when the target was never validated', () => {
    const entries: ValidationEntry[] = [
      {
        from: 'h100-sxm',
        to: 'h200',
        createdAt: '2026-01-02T00:00:00Z',
        endToEndRelError: -0.12,
        roles: [{ role: 'decoder', relError: 0.2 }],
        files: { fromProfile: 'a', measured: 'b' },
      },
      {
        from: 'h200',
        to: 'h100-sxm',
        createdAt: '2026-01-02T00:00:00Z',
        endToEndRelError: 0.08,
        roles: [{ role: 'decoder', relError: -0.25 }],
        files: { fromProfile: 'b', measured: 'a' },
      },
    ];
    const band = errorBandFor('l4', entries);
    expect(band.status).toBe('validated');
    expect(band.endToEnd).toBeCloseTo(0.12, 12);
    expect(band.perRole).toBeCloseTo(0.25, 12);
    expect(band.label).toBe('±12% (validated h100-sxm→h200, h200→h100-sxm; not on l4)');
    expect(errorBandFor('h200', entries).label).toBe('±12% (validated h100-sxm→h200, h200→h100-sxm)');
    const r = projectProfile(p, { targets: ['l4'], validations: entries });
    expect(r.targets[0]?.rtf.errorBand.endToEnd).toBeCloseTo(0.12, 12);
  });

  it('refuses a CPU profile without --from and unknown targets', () => {
    const cpu = { ...p, requestedEp: 'cpu' as const, device: { kind: 'cpu' as const, name: 'x', detectedBy: 'os', tf32: false } };
    expect(() => projectProfile(cpu, { targets: ['l4'] })).toThrow(/ran on the CPU/);
    expect(() => projectProfile(p, { targets: ['rtx9090'] })).toThrow(/unknown GPU.*l4/);
  });
});
