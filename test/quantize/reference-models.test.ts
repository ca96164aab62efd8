/**
 * The passes on the reference tiny models (Ditto + XTTS stand-ins built by `workbench models`), when they
 * have been generated (models/ is git-ignored): fp16 rel. L2 ≤ 1e-2, int8 cos ≥ 0.99, no NaN/Inf.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModel } from '../../src/onnx/read-model.js';
import type { Model } from '../../src/onnx/types.js';
import { randomFeeds, runModel, type Feeds } from '../../src/quantize/execute.js';
import { fp16WithReport } from '../../src/quantize/fp16.js';
import { int8DynamicWithReport } from '../../src/quantize/int8.js';
import { compareArrays, worst } from '../../src/quantize/metrics.js';
import { hasCastPair } from './models.js';

const root = 'models/reference/tiny';
const files = existsSync(root) ? readdirSync(root).flatMap((d) => (existsSync(join(root, d)) && !d.endsWith('.json') ? readdirSync(join(root, d)).filter((f) => f.endsWith('.onnx')).map((f) => join(root, d, f)) : [])) : [];

async function err(ref: Model, cand: Model, feeds: Feeds[]): Promise<ReturnType<typeof worst>> {
  const a = await runModel(ref, feeds);
  const b = await runModel(cand, feeds);
  return worst(a.flatMap((o, i) => Object.keys(o).filter((k) => o[k]?.length).map((k) => compareArrays(o[k] as Float32Array, b[i]?.[k] as Float32Array))));
}

describe.skipIf(files.length === 0)('reference tiny models', () => {
  for (const file of files) {
    it(`${file}: fp16 and int8`, async () => {
      const m = readModel(file).model;
      const feeds = randomFeeds(m, 1, { seed: 5, std: 0.5, dims: { T: 16, S: 16, L: 8, L1: 9, N: 4000 } });
      const h = fp16WithReport(m, { keepIoTypes: true });
      expect(hasCastPair(h.model.graph)).toBe(false);
      const e16 = await err(m, h.model, feeds);
      const q = int8DynamicWithReport(m, { targetEp: 'cpu' });
      const e8 = await err(m, q.model, feeds);
      console.log(`${file}: fp16 relL2 ${e16.relL2.toExponential(2)} casts +${h.report.stats.castsInserted}/-${h.report.stats.castsRemoved} kept ${h.report.stats.nodesKept}; int8 cos ${e8.cosine.toFixed(5)} (${q.report.stats.nodesQuantized} nodes)`);
      expect(e16.nonFinite).toBe(0);
      expect(e16.relL2).toBeLessThanOrEqual(1e-2);
      expect(e8.nonFinite).toBe(0);
      expect(e8.cosine).toBeGreaterThanOrEqual(0.99);
    });
  }
});
