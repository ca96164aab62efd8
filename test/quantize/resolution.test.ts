import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { makeTensor, readFloats } from '../../src/onnx/tensor.js';
import type { Model } from '../../src/onnx/types.js';
import { randomFeeds, runModel } from '../../src/quantize/execute.js';
import { resolutionWithReport } from '../../src/quantize/resolution.js';
import { convNet, gridSampleModel } from './models.js';

/** Exercises every rewrite: flatten/unflatten Reshape, Resize sizes, identity grid, Expand, ConstantOfShape, Slice. */
function shapeHeavy(s = 16): Model {
  const b = new GraphBuilder('shapes', { seed: 8 });
  const x = b.input('x', DataType.FLOAT, [1, 4, s, s]);
  const c = b.op('Conv', [x, b.weight('c.w', [4, 4, 3, 3])], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] });
  const flat = b.op('Reshape', [c, b.constInt64('flat', [1, 4, s * s])]);
  const sm = b.op('Softmax', [flat], { axis: -1 });
  const back = b.op('Reshape', [sm, b.constInt64('unflat', [1, 4, s, s])]);
  const grid = new Float32Array(s * s * 2);
  for (let i = 0; i < s; i++)
    for (let j = 0; j < s; j++) {
      grid[(i * s + j) * 2] = (2 * j + 1) / s - 1;
      grid[(i * s + j) * 2 + 1] = (2 * i + 1) / s - 1;
    }
  const g = b.init(makeTensor('grid', DataType.FLOAT, [1, s, s, 2], grid));
  const warped = b.op('GridSample', [back, g], { align_corners: 0 });
  const bias = b.op('Expand', [b.constFloat('one', [0.1], [1, 1, 1, 1]), b.constInt64('eshape', [1, 1, s, s])]);
  const zeros = b.op('ConstantOfShape', [b.constInt64('zshape', [1, 4, s, s])], { value: makeTensor('v', DataType.FLOAT, [1], new Float32Array([0.5])) });
  const sum = b.op('Add', [b.op('Add', [warped, bias]), zeros]);
  const up = b.op('Resize', [sum, undefined, undefined, b.constInt64('sizes', [1, 4, 2 * s, 2 * s])], { mode: 'nearest' });
  const cropped = b.op('Slice', [up, b.constInt64('st', [2]), b.constInt64('en', [2 * s - 4]), b.constInt64('axes', [3])]);
  b.output(cropped, 'y', [1, 4, 2 * s, 2 * s - 6]);
  return b.finish();
}

describe('resolution pass', () => {
  it('rewrites every shape constant and the grid; output shape as expected; runs', async () => {
    const m = shapeHeavy(16);
    const { model: r, report } = resolutionWithReport(m, { size: 12 });
    expect(r.graph.inputs[0]?.tensorType?.shape).toEqual([1, 4, 12, 12]);
    expect(r.graph.outputs[0]?.tensorType?.shape).toEqual([1, 4, 24, 24 - 5]);
    expect(report.stats.gridsRegenerated).toBe(1);
    expect(report.stats['rewritten.Reshape']).toBe(2);
    expect(report.stats['rewritten.Resize']).toBe(1);
    // The identity grid is regenerated exactly.
    const gs = r.graph.nodes.find((n) => n.opType === 'GridSample');
    const g = gs?.inputs[1]?.initializer;
    expect(g?.dims).toEqual([1, 12, 12, 2]);
    const gv = readFloats(g as NonNullable<typeof g>);
    expect(gv[0]).toBeCloseTo(1 / 12 - 1, 5);
    expect(gv[(11 * 12 + 11) * 2 + 1]).toBeCloseTo(23 / 12 - 1, 5);
    const feeds = randomFeeds(r, 1);
    const out = await runModel(r, feeds);
    expect(out[0]?.y?.length).toBe(4 * 24 * 19);
  });

  it('conv net 16² → 8² and a GridSample warp with --input', async () => {
    const { model: r } = resolutionWithReport(convNet(16), { size: 8 });
    expect(r.graph.outputs[0]?.tensorType?.shape).toEqual([1, 3, 8, 8]);
    const o = await runModel(r, randomFeeds(r, 1));
    expect(o[0]?.y?.length).toBe(3 * 64);
    const { model: w } = resolutionWithReport(gridSampleModel(16, 16), { inputs: { x: [1, 4, 24, 20] } });
    expect(w.graph.outputs[0]?.tensorType?.shape).toEqual([1, 4, 24, 20]);
    const o2 = await runModel(w, randomFeeds(w, 1));
    expect(o2[0]?.y?.length).toBe(4 * 24 * 20);
  });
});
