import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import type { Model, Tensor } from '../../src/onnx/types.js';
import { readPassRecords } from '../../src/onnx/pass-record.js';
import { calibrate, entropyThreshold, feedsSource, percentileThreshold } from '../../src/quantize/calibrate.js';
import { randomFeeds, runModel } from '../../src/quantize/execute.js';
import { int8DynamicWithReport, int8StaticWithReport, staticCalibrationTensors } from '../../src/quantize/int8.js';
import { matMulNBitsWithReport, packMatMulNBits, unpackMatMulNBits } from '../../src/quantize/matmul-nbits.js';
import { compareArrays, worst } from '../../src/quantize/metrics.js';
import { dequantizeWeightInt8, quantizeWeightInt8 } from '../../src/quantize/qmath.js';
import { attentionBlock, convNet, countOps } from './models.js';

async function compare(ref: Model, cand: Model, n = 2): Promise<ReturnType<typeof worst>> {
  const feeds = randomFeeds(ref, n, { seed: 11 });
  const a = await runModel(ref, feeds);
  const b = await runModel(cand, feeds);
  const stats = [];
  for (let i = 0; i < a.length; i++) for (const k of Object.keys(a[i] ?? {})) stats.push(compareArrays(a[i]?.[k] as Float32Array, b[i]?.[k] as Float32Array));
  return worst(stats);
}

function fail(): never {
  throw new Error('missing initializer');
}

function tensorBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Largest |code| over the int8 weights that feed a DequantizeLinear. */
function maxWeightCode(m: Model): number {
  let widest = 0;
  for (const n of m.graph.nodes) {
    const t = n.opType === 'DequantizeLinear' ? n.inputs[0]?.initializer : undefined;
    if (t?.dataType !== DataType.INT8) continue;
    for (const b of tensorBytes(t)) widest = Math.max(widest, Math.abs(b > 127 ? b - 256 : b));
  }
  return widest;
}

function gptLike(layers = 2, dim = 64): Model {
  const b = new GraphBuilder('gpt', { seed: 9 });
  let x = b.input('x', DataType.FLOAT, [1, 4, dim]);
  for (let l = 0; l < layers; l++) {
    const h = b.op('MatMul', [x, b.weight(`l${l}.fc1`, [dim, 2 * dim], { fanIn: dim })], {}, { name: `l${l}/fc1` });
    const r = b.op('Relu', [h]);
    const o = b.op('MatMul', [r, b.weight(`l${l}.fc2`, [2 * dim, dim], { fanIn: 2 * dim })], {}, { name: `l${l}/fc2` });
    x = b.op('Add', [x, o]);
  }
  b.output(x, 'y', [1, 4, dim]);
  return b.finish();
}

describe('int8 weight math', () => {
  it('per-channel symmetric int8 round-trips within half a step per channel', () => {
    const w = new Float32Array(4 * 6).map((_, i) => Math.sin(i) * (1 + (i % 4)));
    const q = quantizeWeightInt8(w, [4, 6], 1);
    expect(q.scale.length).toBe(6);
    const d = dequantizeWeightInt8(q, [4, 6]);
    for (let i = 0; i < w.length; i++) expect(Math.abs((d[i] as number) - (w[i] as number))).toBeLessThanOrEqual((q.scale[i % 6] as number) / 2 + 1e-7);
  });
});

describe('int8 dynamic', () => {
  it('cuda target: weight-only QDQ per channel, conv net cos ≥ 0.99, no fallback warning', async () => {
    const m = convNet();
    const { model: q, report } = int8DynamicWithReport(m, { targetEp: 'cuda' });
    expect(countOps(q, 'DequantizeLinear')).toBe(4);
    expect(countOps(q, 'ConvInteger')).toBe(0);
    const dq = q.graph.nodes.find((n) => n.opType === 'DequantizeLinear');
    expect(dq?.attr('axis')).toEqual({ type: 'int', value: 0n });
    expect(report.warnings.map((w) => w.code)).not.toContain('no-kernel-on-target');
    expect(q.graph.initializers.some((v) => v.name === 'c1.w')).toBe(false);
    const e = await compare(m, q);
    expect(e.nonFinite).toBe(0);
    expect(e.cosine).toBeGreaterThanOrEqual(0.99);
  });

  it('cpu target: QOperator form (ConvInteger / MatMulInteger) runs on the CPU EP, cos ≥ 0.99', async () => {
    for (const m of [convNet(), attentionBlock()]) {
      // Integer ops for every node, the short-sum convs of convNet included (qoperatorMinReduction has its own test).
      const { model: q, report } = int8DynamicWithReport(m, { targetEp: 'cpu', qoperatorMinReduction: 0 });
      expect(countOps(q, 'DynamicQuantizeLinear')).toBeGreaterThan(0);
      expect(countOps(q, 'ConvInteger') + countOps(q, 'MatMulInteger')).toBe(report.stats.nodesQuantized);
      const e = await compare(m, q);
      expect(e.nonFinite).toBe(0);
      expect(e.cosine).toBeGreaterThanOrEqual(0.99);
    }
  });

  it('cpu target: MatMulInteger and ConvInteger take uint8 weights (zero point 128: the u8×u8 GEMM, no AVX2 saturation)', () => {
    for (const m of [convNet(), attentionBlock()]) {
      for (const reduceRange of [false, true]) {
        const q = int8DynamicWithReport(m, { targetEp: 'cpu', qoperatorMinReduction: 0, reduceRange }).model;
        const integer = q.graph.nodes.filter((n) => n.opType === 'MatMulInteger' || n.opType === 'ConvInteger');
        expect(integer.length).toBeGreaterThan(0);
        let widest = 0;
        for (const n of integer) {
          const w = n.inputs[1]?.initializer;
          const zp = n.inputs[3]?.initializer;
          expect(w?.dataType).toBe(DataType.UINT8);
          expect(zp && Array.from(tensorBytes(zp))).toEqual([128]);
          for (const b of tensorBytes(w ?? zp ?? fail())) widest = Math.max(widest, Math.abs(b - 128));
        }
        // Explicit reduceRange gives ORT's reduce_range=True codes (±63); the default keeps all 8 bits.
        expect(widest).toBe(reduceRange ? 63 : 127);
      }
    }
  });

  it('warns when the QOperator format is asked for on cuda', () => {
    const { report } = int8DynamicWithReport(convNet(), { targetEp: 'cuda', format: 'qoperator' });
    const w = report.warnings.find((x) => x.code === 'no-kernel-on-target');
    expect(w?.message).toMatch(/ConvInteger/);
  });

  it('attention/MLP block (MatMul per output column) cos ≥ 0.99', async () => {
    const m = attentionBlock();
    const { model: q } = int8DynamicWithReport(m);
    const dq = q.graph.nodes.find((n) => n.opType === 'DequantizeLinear');
    expect(dq?.attr('axis')).toEqual({ type: 'int', value: 1n });
    const e = await compare(m, q);
    expect(e.cosine).toBeGreaterThanOrEqual(0.99);
  });
});

describe('int8 static', () => {
  it('calibrates (minmax, percentile, entropy) and quantizes activations with QDQ, cos ≥ 0.99', async () => {
    const m = convNet();
    const names = staticCalibrationTensors(m);
    expect(names.length).toBe(4);
    const samples = feedsSource(randomFeeds(m, 4, { seed: 3 }));
    for (const method of ['minmax', 'percentile', 'entropy'] as const) {
      const ranges = await calibrate(m, names, samples, { method, chunkSize: 2 });
      expect(Object.keys(ranges).sort()).toEqual([...names].sort());
      for (const target of ['cpu', 'cuda'] as const) {
        const { model: q, report } = int8StaticWithReport(m, { ranges, targetEp: target });
        expect(report.stats.activationsQuantized).toBe(4);
        expect(countOps(q, 'QuantizeLinear')).toBe(4);
        const e = await compare(m, q);
        expect(e.cosine).toBeGreaterThanOrEqual(0.99);
      }
    }
  });

  it('reduceRange: 7-bit weights by default for the static CPU target only (ORT fuses it to the u8×s8 GEMM)', async () => {
    const m = convNet();
    const names = staticCalibrationTensors(m);
    const ranges = await calibrate(m, names, feedsSource(randomFeeds(m, 2, { seed: 3 })), { method: 'minmax' });
    const cpu = int8StaticWithReport(m, { ranges, targetEp: 'cpu' }).model;
    const cuda = int8StaticWithReport(m, { ranges, targetEp: 'cuda' }).model;
    const full = int8StaticWithReport(m, { ranges, targetEp: 'cpu', reduceRange: false }).model;
    expect(maxWeightCode(cpu)).toBe(63);
    expect(maxWeightCode(cuda)).toBe(127);
    expect(maxWeightCode(full)).toBe(127);
    expect(readPassRecords(cpu)[0]?.options.reduceRange).toBe(true);
    expect((await compare(m, cpu)).cosine).toBeGreaterThanOrEqual(0.99);
  });

  it('percentile and entropy thresholds clip outliers', () => {
    const h = new Float64Array(2048);
    for (let i = 0; i < 200; i++) h[i] = 1000;
    h[2047] = 1;
    expect(percentileThreshold(h, 10, 99.9)).toBeLessThan(1.1);
    expect(entropyThreshold(h, 10)).toBeLessThan(2);
  });
});

describe('MatMulNBits', () => {
  it('packs and unpacks per the contrib layout (4 and 8 bit, padded K)', () => {
    const K = 40;
    const N = 3;
    const w = new Float32Array(K * N).map((_, i) => Math.cos(i * 0.7));
    for (const bits of [4, 8] as const) {
      const p = packMatMulNBits(w, K, N, bits, 16, true);
      expect(p.nBlocks).toBe(3);
      expect(p.packed.length).toBe(N * 3 * ((16 * bits) / 8));
      expect(p.zeroPoints?.length).toBe(N * Math.ceil((3 * bits) / 8));
      const d = unpackMatMulNBits(p, K, N, bits, 16);
      const e = compareArrays(w, d);
      expect(e.relL2).toBeLessThan(bits === 4 ? 0.1 : 0.01);
    }
  });

  it('matches the float MatMul on the CPU EP (4 and 8 bit, symmetric and asymmetric)', async () => {
    const m = gptLike();
    for (const bits of [4, 8] as const)
      for (const asymmetric of [true, false]) {
        const { model: q, report } = matMulNBitsWithReport(m, { bits, asymmetric, blockSize: 32 });
        expect(countOps(q, 'MatMulNBits')).toBe(4);
        expect(q.opsetImports.some((o) => o.domain === 'com.microsoft')).toBe(true);
        expect(report.stats.weightBytesAfter).toBeLessThan((report.stats.weightBytesBefore ?? 0) / (bits === 4 ? 5 : 3));
        const e = await compare(m, q);
        expect(e.nonFinite).toBe(0);
        expect(e.cosine).toBeGreaterThanOrEqual(bits === 4 ? 0.99 : 0.999);
      }
  });
});
