import { describe, expect, it } from 'vitest';
import { DITTO_BUILDERS, dittoIo } from '../../src/models/ditto/index.js';
import { DITTO_ROLES } from '../../src/models/manifest.js';
import { DataType } from '../../src/onnx/dtype.js';
import { feedsFor, runOnCpu, stats } from './helpers.js';

const io = dittoIo('tiny');

describe('tiny Ditto reference graphs run on onnxruntime-node (CPU)', () => {
  for (const role of DITTO_ROLES) {
    it(`${role}: contract shapes, finite non-trivial input-dependent outputs, < 1 s`, async () => {
      const model = DITTO_BUILDERS[role]({ scale: 'tiny', seed: 1, weights: 'random' });
      const spec = io[role];
      const dims = spec.profileDims ?? {};
      const { results, outputNames, ms } = await runOnCpu(model, feedsFor(spec.inputs, dims, 7), feedsFor(spec.inputs, dims, 8));
      const [a, b] = results;
      expect([...outputNames]).toEqual(Object.keys(spec.outputs));
      for (const [name, o] of Object.entries(spec.outputs)) {
        const t = a?.[name];
        const u = b?.[name];
        if (!t || !u) throw new Error(`missing output ${name}`);
        expect([...t.dims], name).toEqual(o.shape.map((d) => (typeof d === 'number' ? d : dims[d])));
        const x = t.data as Float32Array;
        const s = stats(x);
        expect(s.finite, name).toBe(true);
        expect(s.maxAbs, name).toBeLessThan(1e3);
        // Spread within the tensor (single-element outputs have none) and across inputs.
        if (x.length > 1) expect(s.std, name).toBeGreaterThan(1e-4);
        const y = u.data as Float32Array;
        let diff = 0;
        for (let i = 0; i < x.length; i++) diff = Math.max(diff, Math.abs((x[i] ?? 0) - (y[i] ?? 0)));
        expect(diff, `${name} ignores its inputs`).toBeGreaterThan(1e-5);
      }
      expect(ms).toBeLessThan(1000);
    });
  }

  it('warp_network: both GridSample grids stay mostly inside [-1, 1] for kp ~ N(0, 0.3)', async () => {
    const model = DITTO_BUILDERS.warp_network({ scale: 'tiny', seed: 1, weights: 'random' });
    const grids = model.graph.nodes.filter((n) => n.opType === 'GridSample').map((n) => n.inputs[1]);
    for (const g of grids)
      if (g) {
        g.type = { kind: 'tensor', elemType: DataType.FLOAT };
        model.graph.outputs.push(g);
      }
    const { results } = await runOnCpu(model, feedsFor(io.warp_network.inputs));
    for (const g of grids) {
      const data = results[0]?.[g?.name ?? '']?.data as Float32Array | undefined;
      if (!data) throw new Error('grid not fetched');
      let inside = 0;
      for (const v of data) if (v >= -1 && v <= 1) inside++;
      expect(inside / data.length).toBeGreaterThan(0.7);
    }
    expect(grids).toHaveLength(2);
  });

  it('same seed gives the same weights, another seed different ones', () => {
    const bytes = (seed: number): Uint8Array => {
      const m = DITTO_BUILDERS.stitch_network({ scale: 'tiny', seed, weights: 'random' });
      return m.graph.initializers.find((v) => v.name.endsWith('mlp.0.weight'))?.initializer?.data ?? new Uint8Array();
    };
    expect(bytes(3).length).toBe(126 * 128 * 4);
    expect(Buffer.from(bytes(3)).equals(Buffer.from(bytes(3)))).toBe(true);
    expect(Buffer.from(bytes(3)).equals(Buffer.from(bytes(4)))).toBe(false);
  });
});

describe('tiny hubert: dynamic sample count', () => {
  it('maps N samples to hubertFrames(N) frames over the TRT profile range', async () => {
    const { hubertFrames, DITTO_TINY_CONFIG } = await import('../../src/models/ditto/index.js');
    const model = DITTO_BUILDERS.hubert({ scale: 'tiny', seed: 1, weights: 'random' });
    const feeds = [3240, 6480, 12960].map((n) => feedsFor(io.hubert.inputs, { N: n }));
    const { results } = await runOnCpu(model, ...feeds);
    expect(results.map((r) => r.encoding_out?.dims)).toEqual([
      [hubertFrames(DITTO_TINY_CONFIG.hubert, 3240), 64],
      [20, 64],
      [hubertFrames(DITTO_TINY_CONFIG.hubert, 12960), 64],
    ]);
    expect(hubertFrames(DITTO_TINY_CONFIG.hubert, 12960)).toBe(40);
  });
});
