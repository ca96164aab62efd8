import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { aggregateTrace } from '../../src/profiler/aggregate.js';
import { timeStats } from '../../src/core/stats.js';
import { parseTrace } from '../../src/profiler/trace.js';
import { ev, nodeEv } from './helpers.js';

/** Runs r = 0..n-1 at ts 10000·r: conv takes convUs[r], relu 10 µs, and a Loop body node 'inner' twice per run. */
function syntheticTrace(convUs: number[]): string {
  const events: Record<string, unknown>[] = [];
  convUs.forEach((c, r) => {
    const t0 = 10000 * r;
    events.push(nodeEv('conv', 'Conv', 'CPUExecutionProvider', t0 + 1, c, { node_index: '0' }));
    events.push(nodeEv('relu', 'Relu', 'CPUExecutionProvider', t0 + 1 + c, 10, { node_index: '1' }));
    events.push(nodeEv('inner', 'Add', 'CPUExecutionProvider', t0 + 20 + c, 3, { node_index: '0' }));
    events.push(nodeEv('inner', 'Add', 'CPUExecutionProvider', t0 + 30 + c, 5, { node_index: '0' }));
    events.push(ev('Session', 'model_run', t0, c + 50));
  });
  return JSON.stringify(events);
}

describe('aggregateTrace', () => {
  // The first two runs are warm-up (cuDNN autotuning-like outliers: 5000 and 900 µs).
  const t = parseTrace(syntheticTrace([5000, 900, 100, 120, 110, 130, 90]), 'synthetic.json');

  it('drops the warm-up runs delimited by model_run events', () => {
    const a = aggregateTrace(t, { warmupRuns: 2 });
    expect(a.countedRuns).toEqual([2, 3, 4, 5, 6]);
    const conv = a.nodes.find((n) => n.name === 'conv');
    expect(conv?.perRunUs).toEqual([100, 120, 110, 130, 90]);
    expect(conv?.stats.median).toBe(110);
    expect(conv?.stats.p10).toBeCloseTo(94, 6);
    expect(conv?.stats.p90).toBeCloseTo(126, 6);
    expect(conv?.stats.max).toBe(130);
    expect(a.runStats.median).toBe(160);
    expect(a.runsFrom).toBe('model_run');
  });

  it('with no warm-up excluded the autotuning outlier dominates the spread', () => {
    const a = aggregateTrace(t, { warmupRuns: 0 });
    expect(a.nodes.find((n) => n.name === 'conv')?.stats.max).toBe(5000);
  });

  it('sums executions of one node within a run and counts them', () => {
    const a = aggregateTrace(t, { warmupRuns: 2 });
    const inner = a.nodes.find((n) => n.name === 'inner');
    expect(inner?.perRunUs).toEqual([8, 8, 8, 8, 8]);
    expect(inner?.executionsPerRun).toBe(2);
  });

  it('aggregates by op type and sorts by median time', () => {
    const a = aggregateTrace(t, { warmupRuns: 2 });
    expect(a.opTypes.map((o) => o.opType)).toEqual(['Conv', 'Relu', 'Add']);
    expect(a.opTypes[0]?.stats.median).toBe(110);
    expect(a.opTypes[2]?.nodes).toBe(1);
    expect(a.nodes.map((n) => n.name)).toEqual(['conv', 'relu', 'inner']);
    // Per-node sum per run: conv + 10 + 8.
    expect(a.perNodeSum.median).toBe(128);
  });

  it('refuses to drop every run', () => {
    expect(() => aggregateTrace(t, { warmupRuns: 7 })).toThrow(UsageError);
  });

  it('uses kernel time when asked, node time where a node has no kernels', () => {
    const events = [
      ev('Session', 'model_run', 0, 100),
      nodeEv('mm', 'MatMul', 'CUDAExecutionProvider', 1, 40),
      ev('Kernel', 'gemm', 5, 12, { op_name: 'MatMul' }),
      ev('Kernel', 'reduce', 20, 3, { op_name: 'MatMul' }),
      nodeEv('nz', 'NonZero', 'CPUExecutionProvider', 50, 7),
    ];
    const a = aggregateTrace(parseTrace(JSON.stringify(events)), { warmupRuns: 0, timeSource: 'kernel' });
    expect(a.nodes.map((n) => [n.name, n.stats.median, n.kernelsPerRun])).toEqual([
      ['mm', 15, 2],
      ['nz', 7, 0],
    ]);
  });

  it('infers runs from repeated executions when a trace has no model_run events', () => {
    const events = [1, 2, 3].flatMap((r) => [
      nodeEv('a', 'Add', 'CPUExecutionProvider', r * 100, r),
      nodeEv('b', 'Mul', 'CPUExecutionProvider', r * 100 + 10, 2 * r),
    ]);
    const a = aggregateTrace(parseTrace(JSON.stringify(events)), { warmupRuns: 1 });
    expect(a.runsFrom).toBe('occurrence');
    expect(a.nodes.find((n) => n.name === 'a')?.perRunUs).toEqual([2, 3]);
  });
});

describe('timeStats', () => {
  it('interpolates quantiles and handles empty input', () => {
    const s = timeStats([4, 1, 3, 2]);
    expect(s.median).toBe(2.5);
    expect(s.iqr).toBeCloseTo(1.5, 9);
    expect(Number.isNaN(timeStats([]).median)).toBe(true);
  });
});
