import { afterAll, describe, expect, it } from 'vitest';
import { TINY_PIPELINE_CONFIG } from '../../src/models/manifest.js';
import { buildGptPrefill } from '../../src/models/xtts/gpt-prefill.js';
import { createGptWeights } from '../../src/models/xtts/gpt-weights.js';
import { XTTS_BUILDERS, clearXttsWeightCache, hifiganOutputSamples, xttsDims } from '../../src/models/xtts/index.js';
import { DataType } from '../../src/onnx/dtype.js';
import type { Model } from '../../src/onnx/types.js';
import { serializeModel } from '../../src/onnx/write-model.js';
import { createSession, type HostTensor } from '../../src/runtime/index.js';

const opts = { scale: 'tiny', seed: 7, weights: 'random' } as const;
const d = xttsDims('tiny');
const W = TINY_PIPELINE_CONFIG.gptWidth;

afterAll(() => clearXttsWeightCache());

async function run(model: Model, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const s = await createSession(serializeModel(model), { ep: 'cpu', intraOpThreads: 1 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

const wave = (n: number, amp: number): Float32Array => Float32Array.from({ length: n }, (_, i) => amp * Math.sin(i * 0.37) * Math.cos(i * 0.011));
const f32 = (t: HostTensor | undefined): Float32Array => t?.data as Float32Array;
const rms = (a: Float32Array): number => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
const allFinite = (a: Float32Array): boolean => a.every((v) => Number.isFinite(v));
const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] ?? NaN))), 0);
const ids = (xs: number[]): HostTensor => ({ type: 'int64', dims: [1, xs.length], data: BigInt64Array.from(xs.map(BigInt)) });
const cond = (): HostTensor => ({ type: 'float32', dims: [1, 32, W], data: wave(32 * W, 1) });

describe('XTTS-v2 tiny reference graphs on ONNX Runtime (CPU)', () => {
  it('cond_encoder maps a mel of any length to 32 RMS-normalised latents', async () => {
    for (const T of [40, 97]) {
      const o = await run(XTTS_BUILDERS.cond_encoder(opts), { mel: { type: 'float32', dims: [1, 80, T], data: wave(80 * T, 3) } });
      expect(o.gpt_cond_latent?.dims).toEqual([1, 32, W]);
      expect(rms(f32(o.gpt_cond_latent))).toBeCloseTo(1, 2);
    }
  });

  it('speaker_encoder gives a unit-norm embedding that depends on the voice', async () => {
    const m = XTTS_BUILDERS.speaker_encoder(opts);
    const a = await run(m, { wav_16k: { type: 'float32', dims: [1, 16000], data: wave(16000, 0.3) } });
    const b = await run(m, { wav_16k: { type: 'float32', dims: [1, 12000], data: wave(12000, 0.1).map((v, i) => v + 0.05 * Math.sin(i * 0.05)) } });
    expect(a.speaker_embedding?.dims).toEqual([1, TINY_PIPELINE_CONFIG.speakerDim, 1]);
    expect(Math.hypot(...f32(a.speaker_embedding))).toBeCloseTo(1, 4);
    expect(maxDiff(f32(a.speaker_embedding), f32(b.speaker_embedding))).toBeGreaterThan(1e-3);
  });

  it('hifigan outputs 24 kHz samples in (-1, 1) of the computed length', async () => {
    const T = 20;
    const o = await run(XTTS_BUILDERS.hifigan(opts), {
      latent_codes: { type: 'float32', dims: [1, T, W], data: wave(T * W, 1) },
      speaker_embedding: { type: 'float32', dims: [1, d.speaker.projDim, 1], data: wave(d.speaker.projDim, 0.2) },
    });
    expect(o.waveform?.dims).toEqual([1, hifiganOutputSamples(T, d.hifigan)]);
    const w = f32(o.waveform);
    expect(allFinite(w)).toBe(true);
    expect(Math.max(...w.map(Math.abs))).toBeLessThan(1);
    expect(rms(w)).toBeGreaterThan(1e-3);
  });

  it('gpt_prefill is causal and gpt_decode extends its cache consistently', async () => {
    const prefill = XTTS_BUILDERS.gpt_prefill(opts);
    const decode = XTTS_BUILDERS.gpt_decode(opts);
    // The two graphs hold the very same weight bytes.
    const bytes = new Map(prefill.graph.initializers.map((v) => [v.name, v.initializer?.data]));
    const mel = decode.graph.initializers.find((v) => v.name === 'mel_embedding.weight');
    expect(mel?.initializer?.data).toBe(bytes.get('mel_embedding.weight'));

    const text = [261, 40, 41, 42, 43, 0];
    const a = await run(prefill, { input_ids: ids([...text, 1024]), gpt_cond_latent: cond() });
    const b = await run(prefill, { input_ids: ids([...text, 7]), gpt_cond_latent: cond() });
    const P = 32 + text.length + 1;
    expect(a.present_key_1?.dims).toEqual([1, 2, P, 16]);
    expect(a.logits?.dims).toEqual([1, 1, 1026]);
    // Changing the last token leaves every earlier position's keys unchanged (causal mask).
    const ka = f32(a.present_key_1);
    const kb = f32(b.present_key_1);
    for (let h = 0; h < 2; h++) {
      const off = h * P * 16;
      expect(maxDiff(ka.subarray(off, off + (P - 1) * 16), kb.subarray(off, off + (P - 1) * 16))).toBe(0);
      expect(maxDiff(ka.subarray(off + (P - 1) * 16, off + P * 16), kb.subarray(off + (P - 1) * 16, off + P * 16))).toBeGreaterThan(1e-4);
    }

    const step = (past: Record<string, HostTensor>, mask: number[], token: number, pos: number): Record<string, HostTensor> => {
      const feeds: Record<string, HostTensor> = {
        input_ids: ids([token]),
        mel_position: ids([pos]),
        attention_mask: { type: 'int64', dims: [1, mask.length], data: BigInt64Array.from(mask.map(BigInt)) },
      };
      for (let i = 0; i < d.gpt.layers; i++) {
        feeds[`past_key_${i}`] = past[`present_key_${i}`] as HostTensor;
        feeds[`past_value_${i}`] = past[`present_value_${i}`] as HostTensor;
      }
      return feeds;
    };
    const s1 = await run(decode, step(a, new Array<number>(P + 1).fill(1), 5, 1));
    expect(s1.present_value_0?.dims).toEqual([1, 2, P + 1, 16]);
    expect(allFinite(f32(s1.logits))).toBe(true);
    expect(rms(f32(s1.latent))).toBeCloseTo(1, 2);
    // The new cache is the old one with this step's entry appended.
    const v0 = f32(a.present_value_0);
    const v1 = f32(s1.present_value_0);
    expect(maxDiff(v0.subarray(0, P * 16), v1.subarray(0, P * 16))).toBe(0);
    // Masking a cached position out equals removing it from the cache.
    const mask = new Array<number>(P + 1).fill(1);
    mask[3] = 0;
    const masked = await run(decode, step(a, mask, 5, 1));
    const dropped: Record<string, HostTensor> = {};
    for (const [k, t] of Object.entries(a)) {
      if (!k.startsWith('present_')) continue;
      const src = f32(t);
      const out = new Float32Array((P - 1) * 2 * 16);
      for (let h = 0; h < 2; h++)
        for (let p = 0, q = 0; p < P; p++) if (p !== 3) out.set(src.subarray((h * P + p) * 16, (h * P + p + 1) * 16), (h * (P - 1) + q++) * 16);
      dropped[k] = { type: 'float32', dims: [1, 2, P - 1, 16], data: out };
    }
    const removed = await run(decode, step(dropped, new Array<number>(P).fill(1), 5, 1));
    expect(maxDiff(f32(masked.logits), f32(removed.logits))).toBeLessThan(1e-4);
  });

  it('keeps the residual stream bounded over 30 pre-LN layers', async () => {
    const dims = { ...d.gpt, layers: 30 };
    const m = buildGptPrefill(opts, createGptWeights(opts, dims));
    // Expose the residual stream that enters the final LayerNorm.
    const last = m.graph.nodes.find(
      (n) =>
        n.opType === 'Slice' &&
        n.inputs[0]?.producer?.opType === 'Add' &&
        n.outputs[0] &&
        m.graph.nodes.some((c) => c.opType === 'LayerNormalization' && c.inputs[0] === n.outputs[0]),
    );
    const resid = last?.inputs[0];
    expect(resid).toBeDefined();
    if (!resid) return;
    resid.type = { kind: 'tensor', elemType: DataType.FLOAT };
    m.graph.outputs.push(resid);
    const o = await run(m, { input_ids: ids([261, 40, 41, 0, 1024]), gpt_cond_latent: cond() });
    const r = rms(f32(o[resid.name]));
    expect(r).toBeGreaterThan(0.5);
    expect(r).toBeLessThan(4);
    expect(allFinite(f32(o.logits))).toBe(true);
  });
});
