/**
 * The int8 dynamic pass's defaults that keep trained models within tolerance: per-channel weight scales
 * below opset 13 (DequantizeLinear + Mul), weight-only QDQ for short sums in the QOperator format, the
 * opset raised (with the ops whose form changed rewritten) when the format's ops need a newer one, and the
 * report saying which node kept or changed what and why.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, f } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { cloneModel } from '../../src/onnx/graph-utils.js';
import type { Model } from '../../src/onnx/types.js';
import { PassError } from '../../src/errors.js';
import { randomFeeds, runModel } from '../../src/quantize/execute.js';
import { int8DynamicWithReport, int8StaticWithReport } from '../../src/quantize/int8.js';
import type { SkippedNode } from '../../src/quantize/int8-weights.js';
import { compareArrays, worst } from '../../src/quantize/metrics.js';
import { upgradeOpset } from '../../src/quantize/opset-upgrade.js';
import { convNet, countOps } from './models.js';

async function compare(ref: Model, cand: Model): Promise<ReturnType<typeof worst>> {
  const feeds = randomFeeds(ref, 2, { seed: 11 });
  const a = await runModel(ref, feeds);
  const b = await runModel(cand, feeds);
  return worst(a.flatMap((o, i) => Object.keys(o).map((k) => compareArrays(o[k] as Float32Array, b[i]?.[k] as Float32Array))));
}

/** Conv whose output channels differ 1000× in range (what BatchNorm folding makes), at the given opset. */
function spreadConv(opset: number): Model {
  const b = new GraphBuilder('spread', { seed: 3, opset });
  const x = b.input('x', DataType.FLOAT, [1, 8, 6, 6]);
  const w = b.weight('w', [16, 8, 3, 3], { fanIn: 72 });
  const data = new Float32Array(w.initializer?.data.buffer as ArrayBuffer, w.initializer?.data.byteOffset, 16 * 72);
  for (let c = 0; c < 16; c++) for (let i = 0; i < 72; i++) data[c * 72 + i] = (data[c * 72 + i] as number) * 10 ** (-3 + (3 * c) / 15);
  b.output(b.op('Conv', [x, w], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, { name: 'conv' }), 'y', [1, 16, 6, 6]);
  return b.finish();
}

/** An opset-9 graph with the ops whose form changes by 11: Slice, Clip, Pad and TopK attributes, a Dropout. */
function opset9Model(): Model {
  const b = new GraphBuilder('old', { seed: 4, opset: 9 });
  const x = b.input('x', DataType.FLOAT, [1, 4, 8, 8]);
  const c = b.op('Conv', [x, b.weight('w', [8, 4, 3, 3])], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, { name: 'conv' });
  const clip = b.op('Clip', [c], { min: f(0), max: 1.5 });
  const pad = b.op('Pad', [clip], { pads: [0, 0, 1, 1, 0, 0, 1, 1], value: 0.25 });
  const sl = b.op('Slice', [pad], { starts: [1, 2], ends: [9, 10], axes: [2, 3] });
  const drop = b.op('Dropout', [sl], { ratio: 0.5 }, { outputs: 2 })[0];
  const flat = b.op('Reshape', [drop as NonNullable<typeof drop>, b.constInt64('shape', [1, 512])]);
  const mm = b.op('MatMul', [flat, b.weight('fc', [512, 16])], {}, { name: 'fc' });
  const [vals] = b.op('TopK', [mm], { k: 3, axis: 1 }, { outputs: 2 });
  b.output(vals as NonNullable<typeof vals>, 'y', [1, 3]);
  return b.finish();
}

describe('int8 dynamic: per-channel weights below opset 13', () => {
  it('QDQ uses DequantizeLinear + a per-channel Mul at opset 11, the same outputs as per-axis DequantizeLinear at 13', async () => {
    const m11 = spreadConv(11);
    const q11 = int8DynamicWithReport(m11, { targetEp: 'cuda' });
    expect(q11.report.stats.perChannelViaMul).toBe(1);
    const mul = q11.model.graph.nodes.find((n) => n.opType === 'Mul');
    expect(mul?.inputs[1]?.initializer?.dims).toEqual([16, 1, 1, 1]);
    const q13 = int8DynamicWithReport(spreadConv(13), { targetEp: 'cuda' });
    expect(q13.model.graph.nodes.find((n) => n.opType === 'DequantizeLinear')?.attr('axis')).toEqual({ type: 'int', value: 0n });
    const feeds = randomFeeds(m11, 1, { seed: 2 });
    const [a, b] = [await runModel(q11.model, feeds), await runModel(q13.model, feeds)];
    expect(compareArrays(a[0]?.y as Float32Array, b[0]?.y as Float32Array).maxAbs).toBeLessThan(1e-6);
    // The smallest channel (range 1e-3 of the largest) keeps its precision only with per-channel scales.
    const ref = (await runModel(m11, feeds))[0]?.y as Float32Array;
    const perTensor = (await runModel(int8DynamicWithReport(m11, { targetEp: 'cuda', perChannel: false }).model, feeds))[0]?.y as Float32Array;
    const channel0 = (y: Float32Array): Float32Array => y.subarray(0, 36);
    expect(compareArrays(channel0(ref), channel0(a[0]?.y as Float32Array)).relL2).toBeLessThan(1e-2);
    expect(compareArrays(channel0(ref), channel0(perTensor)).relL2).toBeGreaterThan(0.1);
  });

  it('QOperator and static QDQ are per channel at opset 11 too', async () => {
    const m = spreadConv(11);
    const q = int8DynamicWithReport(m, { targetEp: 'cpu' });
    expect(countOps(q.model, 'ConvInteger')).toBe(1);
    expect((await compare(m, q.model)).cosine).toBeGreaterThan(0.999);
    const s = int8StaticWithReport(m, { targetEp: 'cuda', ranges: { x: { min: -2, max: 2 } } });
    expect(s.report.stats.perChannelViaMul).toBe(1);
  });
});

describe('int8 dynamic: QOperator only for long sums', () => {
  it('convs summing fewer than 32 products take weight-only QDQ, listed with the reason', async () => {
    const m = convNet();
    const { model: q, report } = int8DynamicWithReport(m, { targetEp: 'cpu' });
    const weightOnly = (report.details?.weightOnly ?? []) as SkippedNode[];
    // c1: 3 channels × 3×3 = 27 products, c4: 16 channels × 1×1; c2/c3 sum 144 and 288.
    expect(weightOnly.map((w) => w.node).sort()).toEqual(['c1', 'c4']);
    expect(weightOnly[0]?.reason).toMatch(/sums \d+ products per output/);
    expect(countOps(q, 'ConvInteger')).toBe(2);
    expect(countOps(q, 'DequantizeLinear')).toBe(2);
    expect(report.stats.nodesQuantized).toBe(4);
    expect((await compare(m, q)).cosine).toBeGreaterThanOrEqual(0.99);
  });

  it('records why nodes kept their float weights', () => {
    const { report } = int8DynamicWithReport(convNet(), { nodesToExclude: ['c2'], minWeightElements: 100 });
    expect(report.details?.skipped).toEqual([
      { node: 'c2', opType: 'Conv', reason: 'in nodesToExclude' },
      { node: 'c4', opType: 'Conv', reason: 'weight has 48 elements, fewer than minWeightElements (100)' },
    ]);
  });
});

describe('int8 dynamic: raising the opset', () => {
  it('carries an opset-9 graph to 11 with the same outputs (Slice, Clip, Pad, TopK, Dropout rewritten)', async () => {
    const m = opset9Model();
    const up = cloneModel(m);
    const u = upgradeOpset(up, 11, 'test');
    expect(u).toEqual({ from: 9, to: 11, rewritten: { Clip: 1, Pad: 1, Slice: 1, Dropout: 1, TopK: 1 } });
    const feeds = randomFeeds(m, 2, { seed: 5 });
    const [a, b] = [await runModel(m, feeds), await runModel(up, feeds)];
    for (let i = 0; i < 2; i++) expect(Array.from(b[i]?.y ?? [])).toEqual(Array.from(a[i]?.y ?? []));
  });

  it('int8 on an opset-9 model: raised to 10 for QDQ, 11 for QOperator, reported; an error when not allowed', async () => {
    const m = opset9Model();
    for (const [targetEp, to] of [
      ['cuda', 10],
      ['cpu', 11],
    ] as const) {
      const { model: q, report } = int8DynamicWithReport(m, { targetEp });
      expect(q.opsetImports.find((o) => o.domain === '')?.version).toBe(to);
      expect(report.stats).toMatchObject({ opsetUpgradedFrom: 9, opsetUpgradedTo: to, nodesQuantized: 2 });
      expect(report.warnings.find((w) => w.code === 'opset-upgraded')?.message).toMatch(/9 → \d+.*Slice/);
      const e = await compare(m, q);
      expect(e.nonFinite).toBe(0);
      expect(e.cosine).toBeGreaterThanOrEqual(0.99);
    }
    expect(() => int8DynamicWithReport(m, { upgradeOpset: false })).toThrow(/opset 9 is below 10/);
  });

  it('refuses an op it cannot carry over, naming it', () => {
    const b = new GraphBuilder('up', { seed: 1, opset: 9 });
    const x = b.input('x', DataType.FLOAT, [1, 2, 4, 4]);
    const c = b.op('Conv', [x, b.weight('w', [2, 2, 1, 1])], { kernel_shape: [1, 1] });
    b.output(b.op('Upsample', [c, b.constFloat('scales', [1, 1, 2, 2])], { mode: 'nearest' }, { name: 'up2x' }), 'y', [1, 2, 8, 8]);
    const m = b.finish();
    expect(() => int8DynamicWithReport(m)).toThrow(PassError);
    expect(() => int8DynamicWithReport(m)).toThrow(/'up2x'.*Upsample/);
  });
});
