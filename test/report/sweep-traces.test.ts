import { describe, expect, it } from 'vitest';
import { buildSweepReport, summarizeSweepReport } from '../../src/report/build-sweep-report.js';
import { renderSweepConsole } from '../../src/report/render-console.js';
import {
  memoryTraces,
  opTypeBreakdownTrace,
  paretoTraces,
  rooflineTraces,
  stageRtfTraces,
  stageSpanTrace,
  workerScalingTraces,
} from '../../src/report/sweep-traces.js';
import { rankResults } from '../../src/sweep/rank.js';
import { syntheticResults } from './helpers/synthetic-results.js';

describe('sweep trace builders', () => {
  const results = syntheticResults({ profile: true, workers: true });
  const ranking = rankResults(results);

  it('pareto: dominated, front (sorted by RTF) and baseline traces', () => {
    const [off, on, base] = paretoTraces(ranking);
    expect(on?.name).toBe('Pareto front');
    expect(on?.mode).toBe('lines+markers');
    const xs = on?.x as number[];
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    expect((on?.customdata as string[]).sort()).toEqual([...ranking.front].sort());
    expect((off?.x as number[]).length + xs.length).toBe(ranking.variants.filter((v) => v.status === 'ok').length);
    expect(base?.y).toEqual([100]);
  });

  it('stage bars: one trace per stage, one bar per ok variant', () => {
    const t = stageRtfTraces(results);
    expect(t.map((x) => x.name)).toEqual(['tts', 'ditto']);
    const ok = results.filter((r) => r.status === 'ok');
    expect(t[0]?.x).toEqual(ok.map((r) => r.name));
    const sum = (t[0]?.y as number[])[0]! + (t[1]?.y as number[])[0]!;
    expect(sum).toBeCloseTo(ok[0]!.metrics!.rtf);
  });

  it('stage spans: one horizontal bar per stage from its first start to its last end; none without them', () => {
    const r = results[1]!;
    const [t] = stageSpanTrace(r);
    const stages = r.metrics!.stages;
    expect(t?.orientation).toBe('h');
    expect(t?.y).toEqual(stages.map((s) => s.stage));
    expect(t?.base).toEqual(stages.map((s) => s.startSeconds));
    expect(t?.x).toEqual(stages.map((s) => s.endSeconds! - s.startSeconds!));
    const old = { ...r, metrics: { ...r.metrics!, stages: stages.map(({ stage, seconds, rtf }) => ({ stage, seconds, rtf })) } };
    expect(stageSpanTrace(old)).toEqual([]);
  });

  it('memory: only series that exist, in MiB', () => {
    const t = memoryTraces(results);
    expect(t.map((x) => x.name)).toEqual(['peak RSS', 'weights']);
    expect((t[1]?.y as number[])[0]).toBeCloseTo(100);
  });

  it('op-type breakdown: a consistent hierarchy whose root is the total', () => {
    const p = results[0]!.metrics!.profile!;
    const t = opTypeBreakdownTrace(p);
    const ids = t.ids as string[];
    const parents = t.parents as string[];
    const values = t.values as number[];
    expect(new Set(ids).size).toBe(ids.length);
    for (const par of parents) if (par) expect(ids).toContain(par);
    const total = p.opTypes.reduce((a, o) => a + o.seconds, 0) * 1000;
    expect(values[0]).toBeCloseTo(total);
    const rootChildren = values.filter((_, i) => parents[i] === 'total');
    expect(rootChildren.reduce((a, b) => a + b, 0)).toBeCloseTo(total);
  });

  it('roofline: points plus the roof through the ridge', () => {
    const p = results[0]!.metrics!.profile!;
    const [pts, roof] = rooflineTraces(p);
    expect((pts?.x as number[]).length).toBe(p.topOps.length);
    expect(roof?.y).toEqual([expect.any(Number), 1e11, 1e11]);
    expect((roof?.x as number[])[1]).toBeCloseTo(5);
  });

  it('worker scaling: a line per variant with scaling points', () => {
    const t = workerScalingTraces(results);
    expect(t.length).toBe(1);
    expect(t[0]?.x).toEqual([1, 2, 4]);
  });

  it('report data, summary and console table agree', () => {
    const report = buildSweepReport(results, { title: 't', generatedAt: 'now', constraints: { minPsnr: 40 } });
    expect(report.charts.map((c) => c.id)).toEqual(['chart-pareto', 'chart-stages', 'chart-memory', 'chart-optypes', 'chart-roofline', 'chart-workers']);
    expect(report.details.length).toBe(results.length);
    const s = summarizeSweepReport(report);
    expect(s.variants.map((v) => v.id)).toEqual(report.ranking.variants.map((v) => v.id));
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    const text = renderSweepConsole(report);
    for (const r of results) expect(text).toContain(r.name);
    expect(text).toMatch(/rank\s+variant\s+rtf/);
  });

  it('details say when a variant was timed warm and what the runner did differently', () => {
    const [first, second] = results;
    const warm = { ...first!, metrics: { ...first!.metrics!, warmupSeconds: 8.5 } };
    const runner = { ...second!, spec: { ...second!.spec, vocoderBucket: 128, overlap: true } };
    const report = buildSweepReport([warm, runner], { title: 't', generatedAt: 'now' });
    const rows = (id: string): Record<string, string> => Object.fromEntries(report.details.find((d) => d.id === id)!.rows);
    expect(rows(warm.id).timing).toBe('warm (after an untimed first pass of 8.50 s)');
    expect(rows(runner.id).runner).toBe('vocoder buckets of 128, TTS and Ditto overlapped');
    expect(rows(runner.id).timing).toBeUndefined();
    const pinned = { ...second!, spec: { ...second!.spec, shapeSessions: { hifigan: 5 }, renderOverlap: true } };
    const r2 = buildSweepReport([warm, pinned], { title: 't', generatedAt: 'now' });
    expect(Object.fromEntries(r2.details.find((d) => d.id === pinned.id)!.rows).runner).toBe(
      "sessions kept per input shape: hifigan ×5, Ditto's render in the background",
    );
  });

  it('details read the resolved settings: a spec-wide vocoder bucket and a grid renderBatch show on a variant whose own spec is empty', () => {
    const [, second] = results;
    const settings = { ...(second!.settings ?? {}), vocoderBucket: 128, overlap: false, renderBatch: 8 } as NonNullable<typeof second>['settings'];
    const v = { ...second!, spec: {}, settings };
    const report = buildSweepReport([results[0]!, v], { title: 't', generatedAt: 'now' });
    const rows = Object.fromEntries(report.details.find((d) => d.id === v.id)!.rows);
    expect(rows.runner).toBe('vocoder buckets of 128');
    expect(rows['Ditto calls']).toMatch(/^8 frames per render call/);
  });
});
