/**
 * The FP16 warp network (issue 15): ORT's kernels bind GridSample's X and grid to one type, so a kept
 * GridSample must get a float32 grid, or no EP claims it and ORT's cast insertion moves it to the CPU.
 * Built from the tiny reference warp (opset 20, two 5-D GridSamples).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildWarpNetwork } from '../../src/models/ditto/warp-network.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import type { Model, Node } from '../../src/onnx/types.js';
import { verifyModel } from '../../src/onnx/verify.js';
import { propagateElemTypes } from '../../src/quantize/elem-types.js';
import { randomFeeds, runModel } from '../../src/quantize/execute.js';
import { fp16WithReport, mixedFloatInputNodes } from '../../src/quantize/fp16.js';
import { compareArrays } from '../../src/quantize/metrics.js';

function mixedFloatNodes(m: Model): Node[] {
  return mixedFloatInputNodes(m.graph);
}

describe('fp16 pass on the warp network', () => {
  let warp: Model;
  let chain: ReturnType<typeof fp16WithReport>;
  let noChain: ReturnType<typeof fp16WithReport>;
  beforeAll(() => {
    warp = buildWarpNetwork({ scale: 'tiny', seed: 1, weights: 'random' });
    chain = fp16WithReport(warp, { keepIoTypes: true });
    noChain = fp16WithReport(warp, { keepIoTypes: true, keepGridChain: false });
  });

  it('gives both inputs of every GridSample float32, with or without the grid chain', () => {
    for (const r of [chain, noChain]) {
      const types = propagateElemTypes(r.model.graph);
      const gs = r.model.graph.nodes.filter((n) => n.opType === 'GridSample');
      expect(gs.map((n) => n.name).sort()).toEqual(['/GridSample', '/dense_motion_network/GridSample']);
      for (const n of gs) expect(n.inputs.map((v) => v && types.get(v))).toEqual([DataType.FLOAT, DataType.FLOAT]);
      expect(mixedFloatNodes(r.model).map((n) => `${n.opType} ${n.name}`)).toEqual([]);
      expect(r.report.warnings.filter((w) => w.code === 'mixed-float-inputs')).toEqual([]);
      verifyModel(r.model, 'fp16 warp');
      expect(r.model.opsetImports).toEqual(warp.opsetImports);
    }
  });

  it('keeps the grid chain in float32: the grids are computed without float16 rounding', () => {
    const types = propagateElemTypes(chain.model.graph);
    const dense = chain.model.graph.nodes.find((n) => n.name === '/dense_motion_network/GridSample');
    // The sparse-motion grid comes from float32 keypoints and the identity grid: no Cast on its path.
    expect(dense?.inputs[1]?.producer?.opType).toBe('Reshape');
    const softmax = chain.model.graph.nodes.find((n) => n.opType === 'Softmax');
    expect(softmax && softmax.outputs[0] && types.get(softmax.outputs[0])).toBe(DataType.FLOAT);
    expect(chain.report.stats['kept.grid']).toBeGreaterThan(0);
    expect(chain.report.stats['kept.op']).toBe(2);
    // The heavy 3-D convolutions stay float16.
    const convs = chain.model.graph.nodes.filter((n) => n.opType === 'Conv');
    expect(convs.every((n) => n.outputs[0] && types.get(n.outputs[0]) === DataType.FLOAT16)).toBe(true);
    expect(noChain.report.stats['kept.grid']).toBeUndefined();
  });

  it('is as accurate as the float16 grid ORT cast at run time, or better', async () => {
    const feeds = randomFeeds(warp, 1, { seed: 3, std: 0.5 });
    const [ref] = await runModel(warp, feeds);
    const [a] = await runModel(chain.model, feeds);
    const [b] = await runModel(noChain.model, feeds);
    const err = (x: Record<string, Float32Array> | undefined): number => compareArrays(ref?.out as Float32Array, x?.out as Float32Array).relL2;
    const withChain = err(a);
    const castOnly = err(b);
    console.log(`tiny warp fp16 rel L2: grid chain fp32 ${withChain.toExponential(2)}, grid fp16 then cast ${castOnly.toExponential(2)}`);
    expect(withChain).toBeLessThan(1e-2);
    expect(withChain).toBeLessThanOrEqual(castOnly * 1.05);
  });

  it('warns when a node still mixes float types (a float16 grid the input model brought with it)', () => {
    const b = new GraphBuilder('mixed', { seed: 1, opset: 20 });
    const x = b.input('x', DataType.FLOAT, [1, 2, 4, 4]);
    const g = b.input('g', DataType.FLOAT16, [1, 4, 4, 2]);
    b.output(b.op('GridSample', [x, g], { mode: 'linear', padding_mode: 'zeros', align_corners: 0 }, { name: 'gs' }), 'y', [1, 2, 4, 4]);
    const r = fp16WithReport(b.finish(), { keepIoTypes: true });
    const w = r.report.warnings.find((x) => x.code === 'mixed-float-inputs');
    expect(w?.message).toMatch(/^1 node\(s\) take float inputs of different types, .*: gs \(GridSample\)$/);
    // Before the fix the pass itself made this: GridSample's grid was 'any type'.
    expect(mixedFloatNodes(warp)).toEqual([]);
  });
});
