/**
 * The passes on the reference tiny models (Ditto + XTTS stand-ins, built here into a temp dir): fp16 rel. L2
 * ≤ 1e-2 — or, where plain fp16 misses that budget (LMDM at timestep 999, where the DDIM terms are ~1e3),
 * `mixed auto` meets it — int8 cos ≥ 0.99, no NaN/Inf.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReferenceSet } from '../../src/models/build.js';
import { mixedPrecision } from '../../src/quantize/mixed.js';
import { describe, expect, it } from 'vitest';
import { readModel } from '../../src/onnx/read-model.js';
import type { Model } from '../../src/onnx/types.js';
import { randomFeeds, runModel, type Feeds } from '../../src/quantize/execute.js';
import { fp16WithReport } from '../../src/quantize/fp16.js';
import { int8DynamicWithReport } from '../../src/quantize/int8.js';
import { compareArrays, worst } from '../../src/quantize/metrics.js';
import { hasCastPair } from './models.js';

const root = mkdtempSync(join(tmpdir(), 'wb-qref-'));
const built = buildReferenceSet({ scale: 'tiny', seed: 0, outDir: root });
const files = Object.values(built.manifest.roles).map((r) => join(root, r?.file ?? ''));

/** The candidate's worst error against the reference model's outputs on the same feeds (`a`, run once per model). */
async function err(a: Record<string, Float32Array>[], cand: Model, feeds: Feeds[]): Promise<ReturnType<typeof worst>> {
  const b = await runModel(cand, feeds);
  return worst(
    a.flatMap((o, i) =>
      Object.keys(o)
        .filter((k) => o[k]?.length)
        .map((k) => compareArrays(o[k] as Float32Array, b[i]?.[k] as Float32Array)),
    ),
  );
}

describe('reference tiny models', () => {
  it('has all 12 roles', () => expect(files).toHaveLength(12));
  for (const file of files) {
    it(`${file}: fp16 and int8`, async () => {
      const m = readModel(file).model;
      const feeds = randomFeeds(m, 1, { seed: 5, std: 0.5, dims: { T: 16, S: 16, L: 8, L1: 9, N: 4000 } });
      // The float32 model's outputs, computed once: fp16, int8 and mixed are each compared against them.
      const ref = await runModel(m, feeds);
      const h = fp16WithReport(m, { keepIoTypes: true });
      expect(hasCastPair(h.model.graph)).toBe(false);
      const e16 = await err(ref, h.model, feeds);
      const q = int8DynamicWithReport(m, { targetEp: 'cpu' });
      const e8 = await err(ref, q.model, feeds);
      console.log(
        `${file}: fp16 relL2 ${e16.relL2.toExponential(2)} casts +${h.report.stats.castsInserted}/-${h.report.stats.castsRemoved} kept ${h.report.stats.nodesKept}; int8 cos ${e8.cosine.toFixed(5)} (${q.report.stats.nodesQuantized} nodes)`,
      );
      expect(e16.nonFinite).toBe(0);
      if (e16.relL2 > 1e-2) {
        // One search sample (default 2): each search step is a run of the lowered model, and LMDM's ~1000
        // nodes make that the slowest part of this file; the budget is still checked on the test's own feed.
        const mixed = await mixedPrecision(m, { maxError: 1e-2, sampleCount: 1, fp16: { keepIoTypes: true } });
        const em = await err(ref, mixed.model, feeds);
        console.log(`${file}: plain fp16 misses the budget; mixed keeps ${JSON.stringify(mixed.report.stats)} → relL2 ${em.relL2.toExponential(2)}`);
        expect(em.nonFinite).toBe(0);
        expect(em.relL2).toBeLessThanOrEqual(1e-2);
      } else expect(e16.relL2).toBeLessThanOrEqual(1e-2);
      expect(e8.nonFinite).toBe(0);
      expect(e8.cosine).toBeGreaterThanOrEqual(0.99);
      // LMDM's search runs the lowered model ~18 times, and ONNX Runtime 1.29's CPU Gemm<float16> takes 1.7 s
      // of each 1.9 s run: ~50 s on an idle machine, past the default 120 s when other work shares the 2 cores.
    }, 300_000);
  }
});
