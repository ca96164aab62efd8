import { describe, expect, it } from 'vitest';
import { listNodeCosts, totalCost } from '../../src/analysis/model-cost.js';
import { DITTO_BUILDERS, DITTO_FULL_CONFIG, DITTO_PUBLISHED, hubertMacs, hubertParams } from '../../src/models/ditto/index.js';
import { DITTO_ROLES } from '../../src/models/manifest.js';
import { countParameters } from '../../src/onnx/graph-utils.js';

const full = Object.fromEntries(DITTO_ROLES.map((r) => [r, DITTO_BUILDERS[r]({ scale: 'full', seed: 1, weights: 'none' })]));

describe('full-scale Ditto graphs match the published parameter and MAC counts (weights: none)', () => {
  for (const role of DITTO_ROLES) {
    const pub = DITTO_PUBLISHED[role];
    const model = full[role];
    if (!model) throw new Error(role);

    it(`${role}: built without materializing weights`, () => {
      let materialized = 0;
      for (const v of model.graph.initializers) if (!v.initializer?.placeholder) materialized += v.initializer?.data.length ?? 0;
      // Only shape constants, grids and schedule tables are real bytes (the warp's identity grid is the largest, 0.8 MB).
      expect(materialized).toBeLessThan(2e6);
    });

    it(`${role}: params within 2% of ${pub.params}`, () => {
      const { count } = countParameters(model.graph);
      expect(pub.params).toBeDefined();
      expect(Math.abs(count / (pub.params ?? 1) - 1)).toBeLessThan(0.02);
    });

    it(`${role}: MACs per call within 2% of ${pub.macs}`, () => {
      const rows = listNodeCosts(model, { dims: { N: 6480 } });
      const { macs } = totalCost(rows);
      expect(pub.macs).toBeDefined();
      expect(Math.abs(macs / (pub.macs ?? 1) - 1)).toBeLessThan(0.02);
    });
  }

  it('hubert derivation: 315.4 M params, 7.24 G MACs per 6480-sample call', () => {
    // HuBERT-Large-class: 24 × 12.5952 M transformer + 4.21 M conv front end + 8.39 M positional conv + 0.53 M projection.
    expect(hubertParams(DITTO_FULL_CONFIG.hubert)).toBe(315_437_568);
    expect(hubertMacs(DITTO_FULL_CONFIG.hubert, 6480)).toBe(7_236_561_920);
    // The same derivation scales with the input: 12960 samples give 40 frames.
    expect(hubertMacs(DITTO_FULL_CONFIG.hubert, 12960)).toBeGreaterThan(1.9 * 7_236_561_920);
  });
});
