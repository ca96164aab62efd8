/**
 * Issue 14 finding 4: every share and ratio `profile` prints on the CPU must hold, on the tiny reference
 * models (decoder: ORT's NCHWc transformer renames its convs). Shares are of the summed node time (each ≤ 1,
 * together 1); coverage is taken within the profiled runs (Σ nodes ≤ model_run); a CPU has no device
 * memory; renamed nodes map back to the model.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hostCoverage } from '../../src/profiler/host-coverage.js';
import { profileTarget } from '../../src/profiler/profile.js';
import type { ProfileReport } from '../../src/profiler/profile-report.js';
import { renderProfileConsole } from '../../src/profiler/render-console.js';
import { parseTrace } from '../../src/profiler/trace.js';
import { tinyManifest } from '../runner/tiny-set.js';
import { ev, nodeEv } from './helpers.js';

describe('profile of the tiny decoder on the CPU', () => {
  let report: ProfileReport;
  beforeAll(async () => {
    report = await profileTarget({ target: await tinyManifest(), roles: ['decoder'], ep: 'cpu', runs: 4, warmup: 1 });
  }, 240_000);

  it('prints shares that hold: each at most 100%, together 100%', () => {
    const r = report.roles[0]!;
    for (const o of r.opTypes) expect(o.share).toBeLessThanOrEqual(1);
    expect(r.opTypes.reduce((s, o) => s + o.share, 0)).toBeCloseTo(1, 9);
    expect(r.nodes.reduce((s, n) => s + n.share, 0)).toBeCloseTo(1, 9);
  });

  it('measures coverage within the profiled runs: Σ node time ≤ model_run', () => {
    const c = report.roles[0]!.coverage;
    expect(c.against).toBe('model_run');
    expect(c.ratio).toBeGreaterThan(0.3);
    expect(c.ratio).toBeLessThanOrEqual(1);
    expect(renderProfileConsole(report)).toMatch(/Σ nodes \/ model_run of the same runs \d+\.\d%/);
  });

  it('prints no device memory for a CPU run', () => {
    const r = report.roles[0]!;
    expect(r.memory.device.peakBytes).toBeNull();
    expect(r.memory.host.cpuArenaPeakBytes).toBeGreaterThan(0);
    const text = renderProfileConsole(report);
    expect(text).not.toContain('device peak');
    expect(text).toContain('ORT CPU arena peak');
  });

  it('maps the convs ORT renamed (…_nchwc) back to the model, with their costs', () => {
    const r = report.roles[0]!;
    const convs = r.nodes.filter((n) => n.opType === 'Conv');
    expect(convs.length).toBeGreaterThan(10);
    expect(convs.filter((n) => n.costSource === 'trace-only')).toEqual([]);
    expect(convs.every((n) => n.flops > 0)).toBe(true);
    // What stays trace-only is ORT's own: layout reorders it inserted, and its NCHWc Upsample (a Resize).
    const left = new Set(r.nodes.filter((n) => n.costSource === 'trace-only').map((n) => n.opType));
    expect([...left].filter((op) => !['ReorderInput', 'ReorderOutput', 'Upsample'].includes(op))).toEqual([]);
    // No warning per renamed node (once: up to 387 'no node of that name' per role).
    expect(r.warnings.filter((w) => /no node of that name|ReorderInput|ReorderOutput/.test(w))).toEqual([]);
  });
});

describe('hostCoverage', () => {
  const trace = (overlap: boolean): string =>
    JSON.stringify([
      ev('Session', 'model_run', 0, 100),
      nodeEv('a', 'Conv', 'CPUExecutionProvider', 5, 40, { node_index: '0' }),
      nodeEv('b', 'Conv', 'CPUExecutionProvider', overlap ? 20 : 50, 40, { node_index: '1' }),
    ]);
  it('is Σ nodes / model_run of the same run', () => {
    const c = hostCoverage(parseTrace(trace(false)), [0]);
    expect(c.overlapping).toBe(false);
    expect(c.ratio).toBeCloseTo(0.8, 9);
    expect(c.modelRunMs).toBeCloseTo(0.1, 9);
  });
  it('gives no ratio when node events overlap in time (parallel execution)', () => {
    const c = hostCoverage(parseTrace(trace(true)), [0]);
    expect(c.overlapping).toBe(true);
    expect(c.ratio).toBeNaN();
  });
});
