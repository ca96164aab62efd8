import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aggregateTrace } from '../../src/profiler/aggregate.js';
import { flagsOf, isLayoutTranspose, totalFlags } from '../../src/profiler/flags.js';
import { parseTrace, readTrace } from '../../src/profiler/trace.js';
import { createSession } from '../../src/runtime/index.js';
import { ev, nodeEv, tempDir, writeConvModel } from './helpers.js';

describe('fallback detection on a session that asked for CUDA', () => {
  // What ORT writes when NonZero has no CUDA kernel: it runs on the CPU with Memcpy nodes around it.
  const events = [
    ev('Session', 'model_run', 0, 200),
    nodeEv('conv', 'Conv', 'CUDAExecutionProvider', 1, 30),
    nodeEv('Memcpy_token_0', 'MemcpyToHost', 'CUDAExecutionProvider', 40, 12),
    nodeEv('nonzero', 'NonZero', 'CPUExecutionProvider', 60, 20),
    nodeEv('ConvInteger_0', 'ConvInteger', 'CPUExecutionProvider', 85, 50),
    nodeEv('Memcpy_token_1', 'MemcpyFromHost', 'CUDAExecutionProvider', 140, 9),
    nodeEv('cast', 'Cast', 'CUDAExecutionProvider', 150, 4),
    nodeEv('tr', 'Transpose', 'CUDAExecutionProvider', 160, 6, { input_type_shape: [{ float: [1, 3, 8, 5] }], output_type_shape: [{ float: [1, 8, 5, 3] }] }),
  ];
  const agg = aggregateTrace(parseTrace(JSON.stringify(events)), { warmupRuns: 0 });
  const rows = agg.nodes.map((n) => ({ name: n.name, flags: flagsOf(n, 'cuda'), medianMs: n.stats.median / 1000 }));

  it('flags CPU fallback, Memcpy, Cast and layout transposes per node', () => {
    const by = Object.fromEntries(rows.map((r) => [r.name, r.flags]));
    expect(by.conv).toEqual([]);
    expect(by.nonzero).toEqual(['cpu-fallback']);
    expect(by.ConvInteger_0).toEqual(['cpu-fallback']);
    expect(by.Memcpy_token_0).toEqual(['memcpy']);
    expect(by.Memcpy_token_1).toEqual(['memcpy']);
    expect(by.cast).toEqual(['cast']);
    expect(by.tr).toEqual(['layout-transpose']);
  });

  it('totals each flag', () => {
    const t = totalFlags(rows, 0.131);
    expect(t['cpu-fallback'].count).toBe(2);
    expect(t['cpu-fallback'].ms).toBeCloseTo(0.07, 9);
    expect(t['cpu-fallback'].nodes).toEqual(['ConvInteger_0', 'nonzero']);
    expect(t.memcpy.count).toBe(2);
    expect(t.memcpy.ms).toBeCloseTo(0.021, 9);
    expect(t.cast.count).toBe(1);
    expect(t['layout-transpose'].count).toBe(1);
    expect(t['cpu-fallback'].share).toBeCloseTo(0.07 / 0.131, 6);
  });

  it('does not call CPU nodes a fallback when the CPU was asked for', () => {
    const n = agg.nodes.find((x) => x.name === 'nonzero');
    expect(n && flagsOf(n, 'cpu')).toEqual([]);
  });
});

describe('layout transposes', () => {
  it('uses the perm when known and infers it from unambiguous shapes otherwise', () => {
    expect(isLayoutTranspose([0, 2, 3, 1], undefined, undefined)).toBe(true);
    expect(isLayoutTranspose([0, 2, 1, 3], undefined, undefined)).toBe(false);
    expect(isLayoutTranspose(undefined, { type: 'float', dims: [1, 64, 32, 16] }, { type: 'float', dims: [1, 32, 16, 64] })).toBe(true);
    // Ambiguous (equal dims): not claimed.
    expect(isLayoutTranspose(undefined, { type: 'float', dims: [1, 8, 8, 8] }, { type: 'float', dims: [1, 8, 8, 8] })).toBe(false);
  });
});

describe('on the CPU EP', () => {
  it('every node of a real trace reports CPUExecutionProvider and nothing is a fallback', async () => {
    const dir = tempDir('flags-cpu');
    try {
      const model = writeConvModel(dir, 8);
      const s = await createSession(model, { ep: 'cpu', enableProfiling: true, profileFilePrefix: join(dir, 't'), intraOpThreads: 1 });
      await s.run({ x: { type: 'float32', dims: [1, 16, 8, 8], data: new Float32Array(16 * 64) } });
      const file = s.endProfiling();
      await s.release();
      const t = readTrace(file as string);
      expect(t.nodes.length).toBeGreaterThan(0);
      expect(new Set(t.nodes.map((n) => n.provider))).toEqual(new Set(['CPUExecutionProvider']));
      expect(t.nodes.flatMap((n) => flagsOf(n, 'cpu')).filter((f) => f === 'cpu-fallback' || f === 'memcpy')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
