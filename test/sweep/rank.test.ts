import { describe, expect, it } from 'vitest';
import { paretoFront, rankResults, type Objective } from '../../src/sweep/rank.js';
import type { VariantResult } from '../../src/sweep/types.js';
import { metricsFor } from './helpers/fake-driver.js';

interface P {
  name: string;
  rtf: number;
  psnr?: number;
}
const objectives: Objective<P>[] = [
  { name: 'rtf', value: (p) => p.rtf, better: 'lower' },
  { name: 'psnr', value: (p) => p.psnr, better: 'higher' },
];

function result(name: string, rtf: number, psnr: number | undefined, baseline = false): VariantResult {
  const m = metricsFor({ passes: {}, spec: {}, baseline }, 4);
  m.rtf = rtf;
  m.wallSeconds = rtf * m.audioSeconds;
  if (!baseline) m.quality = psnr === undefined ? {} : { framePsnrMean: psnr, ssimMean: 0.99 };
  return {
    schemaVersion: 1,
    id: name,
    index: 0,
    name,
    baseline,
    spec: {},
    passes: {},
    status: 'ok',
    metrics: m,
    env: { ep: 'cpu', node: 'v20' },
    startedAt: '',
    finishedAt: '',
    totalSeconds: 1,
  };
}

describe('paretoFront', () => {
  it('keeps exactly the non-dominated points', () => {
    const pts: P[] = [
      { name: 'base', rtf: 2, psnr: 100 },
      { name: 'fast-bad', rtf: 0.5, psnr: 20 },
      { name: 'mid', rtf: 1, psnr: 40 },
      { name: 'dominated', rtf: 1.2, psnr: 35 },
      { name: 'slow-worse', rtf: 2.5, psnr: 90 },
    ];
    expect(paretoFront(pts, objectives).map((i) => pts[i]?.name)).toEqual(['base', 'fast-bad', 'mid']);
  });
  it('keeps ties on the front (neither dominates the other)', () => {
    const pts: P[] = [
      { name: 'a', rtf: 1, psnr: 40 },
      { name: 'b', rtf: 1, psnr: 40 },
    ];
    expect(paretoFront(pts, objectives)).toEqual([0, 1]);
  });
  it('treats a missing objective as the worst value', () => {
    const pts: P[] = [
      { name: 'a', rtf: 1 },
      { name: 'b', rtf: 1, psnr: 10 },
    ];
    expect(paretoFront(pts, objectives)).toEqual([1]);
  });
  it('is empty for no points', () => {
    expect(paretoFront([], objectives)).toEqual([]);
  });
});

describe('rankResults', () => {
  const results = [result('base', 2, undefined, true), result('fp16', 1, 45), result('int8', 0.6, 30), result('worse', 1.5, 40)];
  results.push({ ...result('broken', 0, undefined), status: 'error', error: 'boom', metrics: undefined } as VariantResult);

  it('marks the front, ranks feasible variants first and lists failures last', () => {
    const r = rankResults(results, { minPsnr: 35 });
    expect(r.front.sort()).toEqual(['base', 'fp16', 'int8']);
    expect(r.variants.map((v) => [v.name, v.rank])).toEqual([
      ['fp16', 1],
      ['base', 2],
      ['worse', 3],
      ['int8', undefined],
      ['broken', undefined],
    ]);
    const int8 = r.variants.find((v) => v.name === 'int8');
    expect(int8?.violations).toEqual(['psnr 30.000 < 35']);
    expect(r.baselineId).toBe('base');
  });

  it('applies an RTF limit and explains speedups by role', () => {
    const r = rankResults(results, { maxRtf: 1 });
    expect(r.variants.filter((v) => v.rank !== undefined).map((v) => v.name)).toEqual(['int8', 'fp16']);
    const fp16 = r.variants.find((v) => v.name === 'fp16');
    expect(fp16?.why.speedup).toBeCloseTo(2);
    expect(fp16?.why.text).toMatch(/2\.00× faster end to end/);
  });

  it('explains which roles and op types got faster from profiles', () => {
    const b = result('base', 1, undefined, true);
    b.metrics = metricsFor({ passes: {}, spec: {}, baseline: true }, 4, true);
    const v = result('fp16-dec', 1, 50);
    v.metrics = metricsFor({ passes: { decoder: [{ pass: 'fp16' }] }, spec: {}, baseline: false }, 4, true);
    const why = rankResults([b, v]).variants.find((x) => x.name === 'fp16-dec')?.why;
    expect(why?.roles[0]?.role).toBe('decoder');
    expect(why?.roles[0]?.deltaSeconds).toBeCloseTo(-0.12);
    expect(why?.opTypes[0]?.opType).toBe('MatMul');
    expect(why?.text).toMatch(/faster: decoder −120\.0 ms/);
    expect(why?.text).toMatch(/op types: MatMul/);
  });
});
