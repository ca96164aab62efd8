import { describe, expect, it } from 'vitest';
import { XTTS_ROLES } from '../../src/models/manifest.js';
import { XTTS_BUILDERS, XTTS_PUBLISHED, clearXttsWeightCache, hifiganOutputSamples } from '../../src/models/xtts/index.js';
import { listNodeCosts, totalCost } from '../../src/analysis/model-cost.js';
import { xttsProfileDims } from '../../src/models/build.js';
import { DataType } from '../../src/onnx/dtype.js';
import { countParameters } from '../../src/onnx/graph-utils.js';
import type { Model } from '../../src/onnx/types.js';

const full = { scale: 'full', seed: 1, weights: 'none' } as const;
const models = Object.fromEntries(XTTS_ROLES.map((r) => [r, XTTS_BUILDERS[r](full)])) as Record<(typeof XTTS_ROLES)[number], Model>;
clearXttsWeightCache();

const params = (m: Model, skip = (_: string): boolean => false): number => {
  let n = 0;
  for (const v of m.graph.initializers) if (!skip(v.name)) n += (v.initializer?.dims ?? []).reduce((a, d) => a * d, 1);
  return n;
};
const within = (actual: number, expected: number, tol = 0.02): void => {
  expect(Math.abs(actual - expected) / expected).toBeLessThan(tol);
};
const io = (vs: Model['graph']['inputs']): Record<string, [number | undefined, (string | number | undefined)[]]> =>
  Object.fromEntries(vs.map((v) => [v.name, [v.tensorType?.elemType, v.tensorType?.shape ?? []]]));

describe('XTTS-v2 reference graphs at full scale (placeholder weights)', () => {
  it('match the published parameter counts within 2%', () => {
    const p = XTTS_PUBLISHED.params;
    within(params(models.cond_encoder), p.condEncoder.value + p.perceiver.value);
    within(params(models.hifigan), p.hifigan.value);
    // The fixed DFT basis / mel filterbank of the in-graph front end are constants, not learned weights.
    within(
      params(models.speaker_encoder, (n) => n.startsWith('torch_spec.')),
      p.speakerEncoder.value,
    );
    // gpt_decode's weights are a subset of gpt_prefill's (no text embeddings): the union is prefill.
    const decodeNames = new Set(models.gpt_decode.graph.initializers.filter((v) => v.initializer?.placeholder).map((v) => v.name));
    const prefillNames = new Set(models.gpt_prefill.graph.initializers.map((v) => v.name));
    expect(decodeNames.size).toBe(30 * 12 + 6); // blocks + mel embedding/positions + final LN + mel_head
    for (const n of decodeNames) expect(prefillNames.has(n)).toBe(true);
    const gpt = params(models.gpt_prefill);
    within(gpt, p.gptCore.value + p.gptEmbeddingsAndHeads.value - XTTS_PUBLISHED.textHeadParams.value);
    within(gpt + params(models.cond_encoder), p.gptModule.value);
    const core = params(models.gpt_prefill, (n) => !n.startsWith('gpt.h.'));
    within(core, p.gptCore.value, 0.005);
  });

  it('gpt_decode costs ≈ 379 M dense MACs per token', () => {
    // One position: every MatMul against a weight costs K·N MACs.
    let macs = 0;
    for (const n of models.gpt_decode.graph.nodes) {
      const w = n.inputs[1]?.initializer;
      if (n.opType === 'MatMul' && w && w.dims.length === 2) macs += (w.dims[0] ?? 0) * (w.dims[1] ?? 0);
    }
    within(macs, XTTS_PUBLISHED.macs.gptDecodeDensePerToken.value);
  });

  it('costs what models.md §2.9 computes (shape-inferred MACs at the profile dims)', () => {
    const dims = xttsProfileDims('full');
    const macs = (role: (typeof XTTS_ROLES)[number], d: Record<string, number>): number => totalCost(listNodeCosts(models[role], { dims: d })).macs;
    const m = XTTS_PUBLISHED.macs;
    const L = dims.gpt_decode.L ?? 0;
    within(macs('gpt_decode', dims.gpt_decode), m.gptDecodeDensePerToken.value + (L + 1) * m.gptDecodePerCachedPosition.value);
    const perPosition = macs('gpt_decode', { L: 1023, L1: 1024 }) - macs('gpt_decode', { L: 511, L1: 512 });
    within(perPosition / 512, m.gptDecodePerCachedPosition.value, 0.001);
    const W = dims.hifigan.W ?? 1;
    within(macs('hifigan', dims.hifigan) / (W / 24000), m.hifiganPerSecond.value, 0.02);
  });

  it('keeps the I/O contract the runner codes against', () => {
    expect(io(models.cond_encoder.graph.inputs)).toEqual({ mel: [DataType.FLOAT, [1, 80, 'T']] });
    expect(io(models.cond_encoder.graph.outputs)).toEqual({ gpt_cond_latent: [DataType.FLOAT, [1, 32, 1024]] });
    expect(io(models.speaker_encoder.graph.inputs)).toEqual({ wav_16k: [DataType.FLOAT, [1, 'N']] });
    expect(io(models.speaker_encoder.graph.outputs)).toEqual({ speaker_embedding: [DataType.FLOAT, [1, 512, 1]] });
    expect(io(models.hifigan.graph.inputs)).toEqual({ latent_codes: [DataType.FLOAT, [1, 'T', 1024]], speaker_embedding: [DataType.FLOAT, [1, 512, 1]] });
    expect(io(models.hifigan.graph.outputs)).toEqual({ waveform: [DataType.FLOAT, [1, 'W']] });
    const pre = io(models.gpt_prefill.graph.inputs);
    expect(pre).toEqual({ input_ids: [DataType.INT64, [1, 'S']], gpt_cond_latent: [DataType.FLOAT, [1, 32, 1024]] });
    const preOut = io(models.gpt_prefill.graph.outputs);
    expect(Object.keys(preOut)).toHaveLength(2 + 60);
    expect(preOut.logits).toEqual([DataType.FLOAT, [1, 1, 1026]]);
    expect(preOut.latent).toEqual([DataType.FLOAT, [1, 1, 1024]]);
    expect(preOut.present_value_29).toEqual([DataType.FLOAT, [1, 16, 'P', 64]]);
    const dec = io(models.gpt_decode.graph.inputs);
    expect(Object.keys(dec)).toHaveLength(3 + 60);
    expect(dec.input_ids).toEqual([DataType.INT64, [1, 1]]);
    expect(dec.mel_position).toEqual([DataType.INT64, [1, 1]]);
    expect(dec.attention_mask).toEqual([DataType.INT64, [1, 'L1']]);
    expect(dec.past_key_0).toEqual([DataType.FLOAT, [1, 16, 'L', 64]]);
    expect(io(models.gpt_decode.graph.outputs).present_key_29).toEqual([DataType.FLOAT, [1, 16, 'L1', 64]]);
  });

  it('HiFi-GAN makes ≈ 1114.6 samples per latent', () => {
    const t = 2153; // 100 s of tokens
    expect(hifiganOutputSamples(t) / t).toBeCloseTo(XTTS_PUBLISHED.rates.samplesPerToken.value, 0);
    expect(hifiganOutputSamples(20)).toBe(256 * Math.floor(80 * (24000 / 22050)));
  });
});
