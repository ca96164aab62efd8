/**
 * Benchmark: the int8 weight quantization of the full-scale Ditto decoder (55 M conv weights, per output
 * channel), on the WebAssembly SIMD kernels and on the JavaScript reference, over the same weights in one
 * process (medians of 5 after a warm-up), plus the whole `int8-dynamic` pass. The comparison with ORT's
 * `quantize_dynamic` needs Python with onnxruntime, which only the GPU host has: scripts/gpu/phase-rewrites2.sh.
 */
import { builderFor } from '../src/models/build.js';
import { DataType } from '../src/onnx/dtype.js';
import { readFloats } from '../src/onnx/tensor.js';
import type { Tensor } from '../src/onnx/types.js';
import { int8DynamicWithReport } from '../src/quantize/int8.js';
import { loadInt8Kernels } from '../src/quantize/kernels/int8-kernels.js';
import { quantizeWeightInt8 } from '../src/quantize/qmath.js';
import { median } from '../src/core/stats.js';

export interface Int8BenchResult {
  schemaVersion: 1;
  bench: 'int8-convert';
  createdAt: string;
  node: string;
  model: string;
  kernelsAvailable: boolean;
  tensors: number;
  weights: number;
  /** Median ms over all conv weights. */
  kernelsMs: number;
  referenceMs: number;
  speedup: number;
  kernelsNsPerWeight: number;
  referenceNsPerWeight: number;
  /** The whole pass on the in-memory model (clone, quantize, graph rewrite, verify), median ms. */
  passMs: number;
  bitIdentical: boolean;
}

export function benchInt8Convert(reps = 5): Int8BenchResult {
  const model = builderFor('decoder')({ scale: 'full', seed: 1, weights: 'random' });
  const convs = model.graph.nodes
    .filter((n) => n.opType === 'Conv')
    .map((n) => n.inputs[1]?.initializer)
    .filter((t): t is Tensor => t !== undefined && t.dataType === DataType.FLOAT);
  const weights = convs.map((t) => ({ w: readFloats(t), dims: [...t.dims] }));
  const total = weights.reduce((a, x) => a + x.w.length, 0);
  const run = (useKernels: boolean): { ms: number; q: Int8Array[] } => {
    const t0 = performance.now();
    const q = weights.map((x) => quantizeWeightInt8(x.w, x.dims, 0, useKernels).q);
    return { ms: performance.now() - t0, q };
  };
  run(true);
  run(false);
  const k: number[] = [];
  const r: number[] = [];
  let same = true;
  for (let i = 0; i < reps; i++) {
    const a = run(true);
    const b = run(false);
    k.push(a.ms);
    r.push(b.ms);
    if (i === 0) same = a.q.every((q, j) => Buffer.from(q.buffer).equals(Buffer.from((b.q[j] as Int8Array).buffer)));
  }
  const pass: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    int8DynamicWithReport(model, { targetEp: 'cuda' });
    pass.push(performance.now() - t0);
  }
  const km = median(k);
  const rm = median(r);
  return {
    schemaVersion: 1,
    bench: 'int8-convert',
    createdAt: new Date().toISOString(),
    node: process.version,
    model: 'reference decoder, full scale (SPADE decoder to 512×512)',
    kernelsAvailable: loadInt8Kernels() !== undefined,
    tensors: weights.length,
    weights: total,
    kernelsMs: km,
    referenceMs: rm,
    speedup: rm / km,
    kernelsNsPerWeight: (km * 1e6) / total,
    referenceNsPerWeight: (rm * 1e6) / total,
    passMs: median(pass),
    bitIdentical: same,
  };
}
