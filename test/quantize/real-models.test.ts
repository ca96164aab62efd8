/**
 * The rewrite passes on real trained models that npm packages ship (silero VADs with If subgraphs, PaddleOCR
 * detector and classifier): each variant loads in onnxruntime-node and stays within tolerance of the float32
 * model (fp16 relative L2 ≤ 1e-2, int8 cosine ≥ 0.99, no NaN/Inf). Where the plain fp16 pass misses the
 * tolerance (the recurrent VAD), `mixed auto` must meet it — that is its job.
 *
 * fp16 and int8 are judged on each model's workload (test/helpers/real-models.ts): the VADs stream 3 s of
 * speech-like audio the way @ricky0123/vad-web does (context window, carried state) and every output is
 * compared over the whole stream; the OCR models run text-line images. One arbitrary frame is no test of a
 * VAD: its output is one probability, whose cosine against another positive number is always 1, so only the
 * state was compared, for a pure tone fed without the context window (that frame gave v5 state cosine
 * 0.986, the legacy model 0.877 — of a tone both models call non-speech). The detector's old input gave an
 * all-zero map both ways (cosine 1 by definition); on text it was 0.966 (cuda) / 0.845 (cpu) before
 * per-channel scales below opset 13 and `qoperatorMinReduction`.
 */
import { describe, expect, it } from 'vitest';
import { readModel } from '../../src/onnx/read-model.js';
import type { Model } from '../../src/onnx/types.js';
import { fp16WithReport } from '../../src/quantize/fp16.js';
import { int8DynamicWithReport } from '../../src/quantize/int8.js';
import { mixedPrecision } from '../../src/quantize/mixed.js';
import { feedsSource } from '../../src/quantize/calibrate.js';
import { compareArrays, worst, type ErrorStats } from '../../src/quantize/metrics.js';
import { availableRealModels, type RealModel } from '../helpers/real-models.js';

/** Worst error over the workload's outputs (each concatenated over the whole workload). */
async function workloadError(m: RealModel, ref: Record<string, Float32Array>, cand: Model): Promise<ErrorStats> {
  const got = await m.workload(cand);
  return worst(Object.keys(ref).map((k) => compareArrays(ref[k] as Float32Array, got[k] ?? new Float32Array(0))));
}

const models = availableRealModels();

describe('rewrites of real trained models', () => {
  it('has the real models', () => expect(models.length).toBeGreaterThanOrEqual(5));
  for (const m of models) {
    it(`${m.name}: fp16 (mixed auto where plain fp16 misses)`, async () => {
      const model = readModel(m.path).model;
      const ref = await m.workload(model);
      const h = fp16WithReport(model, { keepIoTypes: true });
      let e16 = await workloadError(m, ref, h.model);
      if (e16.relL2 > 1e-2) {
        const mx = await mixedPrecision(model, { target: 'fp16', maxError: 1e-2, fp16: { keepIoTypes: true }, samples: feedsSource([m.inputs()]) });
        e16 = await workloadError(m, ref, mx.model);
        console.log(`${m.name}: plain fp16 misses 1e-2; mixed keeps ${mx.report.stats.nodesKept} nodes → ${e16.relL2.toExponential(2)}`);
      }
      expect(e16.nonFinite).toBe(0);
      expect(e16.relL2).toBeLessThanOrEqual(1e-2);
    });

    it(`${m.name}: int8 for cuda (QDQ) and cpu (QOperator) within cosine 0.99 on its workload`, async () => {
      const model = readModel(m.path).model;
      const ref = await m.workload(model);
      for (const targetEp of ['cuda', 'cpu'] as const) {
        const q = int8DynamicWithReport(model, { targetEp });
        const e8 = await workloadError(m, ref, q.model);
        console.log(`${m.name}: int8 ${targetEp} cos ${e8.cosine.toFixed(5)} relL2 ${e8.relL2.toExponential(2)} (${q.report.stats.nodesQuantized} nodes)`);
        expect(e8.nonFinite, targetEp).toBe(0);
        expect(e8.cosine, targetEp).toBeGreaterThanOrEqual(0.99);
      }
    });
  }
});
