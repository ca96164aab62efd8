import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileTarget } from '../../src/profiler/profile.js';
import type { ProfileReport } from '../../src/profiler/profile-report.js';
import { renderProfileConsole } from '../../src/profiler/render-console.js';
import { writeProfile } from '../../src/profiler/write-profile.js';
import { tempDir, writeConvModel, writeTokenModel } from './helpers.js';

describe('profile of a small built model on the CPU', () => {
  let dir: string;
  let report: ProfileReport;
  beforeAll(async () => {
    dir = tempDir('profile');
    const model = writeConvModel(dir, 48);
    report = await profileTarget({
      target: model,
      ep: 'cpu',
      runs: 8,
      warmup: 2,
      sessionOptions: ['intra_op_num_threads=1', 'graph_optimization_level=disabled'],
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('labels the method and measures coverage: per-node times sum to most of the end-to-end time', () => {
    const r = report.roles[0];
    expect(r?.method.nodeTime).toBe('host');
    expect(r?.method.countedRuns).toBe(8);
    expect(r?.method.warmupRuns).toBe(2);
    expect(r?.method.childProcess).toBe(false);
    expect(r?.endToEnd.time.n).toBe(8);
    // Against the separate unprofiled pass (2 shared cores: loose bounds) ...
    expect(r?.coverage.ratio).toBeGreaterThan(0.25);
    expect(r?.coverage.ratio).toBeLessThan(1.5);
    // ... and, noise-free, within the same runs: node times lie inside model_run and are most of it.
    const modelRun = r!.profiledRun.modelRun.median;
    expect(r!.coverage.perNodeSumMs).toBeLessThanOrEqual(modelRun);
    expect(r!.coverage.perNodeSumMs / modelRun).toBeGreaterThan(0.7);
  });

  it('has complete per-node rows: op, provider, shapes, FLOPs, bytes, times', () => {
    const r = report.roles[0];
    expect(r?.nodes).toHaveLength(8);
    const conv = r?.nodes.find((n) => n.name === 'conv1');
    expect(conv?.opType).toBe('Conv');
    expect(conv?.provider).toBe('CPUExecutionProvider');
    expect(conv?.inputShapes[0]?.dims).toEqual([1, 16, 48, 48]);
    // MACs = numel(Y) × Cin × 3 × 3.
    expect(conv?.macs).toBe(16 * 48 * 48 * 16 * 9);
    expect(conv?.flops).toBe(2 * conv!.macs);
    expect(conv?.parameterBytes).toBe(16 * 16 * 9 * 4);
    expect(conv?.costSource).toBe('graph');
    expect(conv?.time.median).toBeGreaterThan(0);
    expect(conv!.time.p10).toBeLessThanOrEqual(conv!.time.median);
    expect(conv!.time.p90).toBeGreaterThanOrEqual(conv!.time.median);
    // No device peaks on the CPU: no roofline claim.
    expect(conv?.roofline).toBeNull();
    const shares = r!.nodes.reduce((s, n) => s + n.share, 0);
    expect(shares).toBeCloseTo(1, 6);
    // The three convs dominate.
    expect(r?.opTypes[0]?.opType).toBe('Conv');
    expect(r?.opTypes[0]?.nodes).toBe(3);
  });

  it('flags the Cast and the layout transpose, records the session options and memory', () => {
    const r = report.roles[0]!;
    expect(r.flags.cast.nodes).toEqual(['to_fp16']);
    expect(r.flags['layout-transpose'].nodes).toEqual(['to_nhwc']);
    expect(r.flags['cpu-fallback'].count).toBe(0);
    expect(r.session.config).toMatchObject({ ep: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'disabled' });
    expect(r.session.applied.find((a) => a.key === 'graph_optimization_level')).toMatchObject({ value: 'disabled', applied: 'yes' });
    // A CPU has no device memory; the trace's arena figure is host memory (issue 14 finding 4).
    expect(r.memory.device).toEqual({ peakBytes: null, source: 'unavailable' });
    expect(r.memory.host.cpuArenaPeakBytes).toBeGreaterThan(0);
    expect(r.memory.host.nodes.maxRssBytes).toBeGreaterThan(10e6);
    expect(r.inputs).toEqual([{ name: 'x', type: 'float32', dims: [1, 16, 48, 48], fill: 'normal', note: 'seeded standard normal' }]);
  });

  it('writes profile.json and a self-contained HTML page with the data and plotly inlined', () => {
    const out = join(dir, 'out');
    const w = writeProfile(report, out);
    const json = JSON.parse(readFileSync(w.json, 'utf8')) as ProfileReport;
    expect(json.schemaVersion).toBe(1);
    expect(json.roles[0]?.nodes[0]?.name).toBe(report.roles[0]?.nodes[0]?.name);
    const html = readFileSync(w.html as string, 'utf8');
    expect(html).toContain('<script type="application/json" id="report-data">');
    const data = html.slice(html.indexOf('id="report-data">') + 'id="report-data">'.length, html.indexOf('</script>', html.indexOf('id="report-data">')));
    expect((JSON.parse(data) as ProfileReport).roles[0]?.coverage.ratio).toBe(report.roles[0]?.coverage.ratio);
    expect(html).toMatch(/plotly\.js v\d/i);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain('Roofline');
    expect(renderProfileConsole(report)).toContain('conv');
  });
});

describe('profile of a manifest', () => {
  it('profiles every role with its pipeline shapes (profileDims) and sensible int64 inputs', async () => {
    const dir = tempDir('manifest');
    try {
      writeConvModel(dir, 8, 'a.onnx');
      writeTokenModel(dir, 'b.onnx');
      const manifest = {
        schemaVersion: 1,
        name: 'test',
        scale: 'tiny',
        source: 'reference',
        roles: {
          decoder: { file: 'a.onnx', component: 'ditto', calls: 'per_frame', inputs: { x: { type: 'float32', shape: [1, 16, 8, 8] } }, outputs: {} },
          gpt_prefill: {
            file: 'b.onnx',
            component: 'xtts',
            calls: 'per_utterance',
            inputs: { input_ids: { type: 'int64', shape: [1, 'N'] }, attention_mask: { type: 'int64', shape: [1, 'N'] } },
            outputs: {},
            profileDims: { N: 12 },
          },
        },
        config: {},
      };
      const file = join(dir, 'manifest.json');
      writeFileSync(file, JSON.stringify(manifest));
      const r = await profileTarget({ target: file, ep: 'cpu', runs: 3, warmup: 1 });
      expect(r.targetKind).toBe('manifest');
      expect(r.roles.map((x) => x.role)).toEqual(['decoder', 'gpt_prefill']);
      const g = r.roles[1]!;
      expect(g.inputs.map((i) => [i.name, i.dims, i.fill])).toEqual([
        ['input_ids', [1, 12], 'token-ids'],
        ['attention_mask', [1, 12], 'ones'],
      ]);
      expect(g.nodes.find((n) => n.opType === 'MatMul')?.inputShapes[0]?.dims).toEqual([1, 12, 8]);
      expect(g.warnings).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
