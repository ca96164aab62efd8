/**
 * The decode-loop pass on the tiny XTTS gpt_decode (ORT, CPU EP): S tokens from one call of the loop graph
 * equal S steps of the one-token graph with the host sampler fed the same uniforms — tokens, latents and
 * the final KV cache — in float32 and after the fp16 pass; the graph round-trips through the writer; and
 * graphs that are not a decode step are refused with the missing field named.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGptDecode } from '../../src/models/xtts/gpt-decode.js';
import { buildDecoder } from '../../src/models/ditto/decoder.js';
import { PassError } from '../../src/errors.js';
import { createRng } from '../../src/onnx/rng.js';
import { parseModel } from '../../src/onnx/read-model.js';
import type { Model } from '../../src/onnx/types.js';
import { serializeModel } from '../../src/onnx/write-model.js';
import { decodeLoopWithReport, readDecodeLoopRecord } from '../../src/quantize/decode-loop.js';
import { fp16 } from '../../src/quantize/fp16.js';
import { optimize } from '../../src/quantize/optimize.js';
import { createSession, type HostTensor, type Session } from '../../src/runtime/index.js';
import { hostTensorToFloat32 } from '../../src/runtime/host-tensor.js';
import { sampleToken, XTTS_SAMPLING } from '../../src/runner/sampling.js';

const STEPS = 12;
const PAST = 5;
let step: Model;

beforeAll(() => {
  step = buildGptDecode({ scale: 'tiny', seed: 1, weights: 'random' });
});

const i64 = (dims: number[], v: number[]): HostTensor => ({ type: 'int64', dims, data: BigInt64Array.from(v.map(BigInt)) });

function randomPast(s: Session, fill: 'float32' | 'float16'): Record<string, HostTensor> {
  const rng = createRng(3);
  const past: Record<string, HostTensor> = {};
  for (const m of s.inputMetadata.filter((x) => x.name.startsWith('past_'))) {
    const dims = (m.shape ?? []).map((d) => (typeof d === 'number' ? d : PAST));
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    rng.fillUniform(data, 1, 0);
    past[m.name] = fill === 'float32' ? { type: 'float32', dims, data } : { type: 'float16', dims, data: toHalf(data) };
  }
  return past;
}

function toHalf(x: Float32Array): Uint16Array {
  // Through ORT's own conversion would need a session; a simple round-to-nearest for values in ±1.
  const out = new Uint16Array(x.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < x.length; i++) {
    f[0] = x[i] as number;
    const b = u[0] as number;
    const sign = (b >>> 16) & 0x8000;
    const exp = ((b >>> 23) & 0xff) - 127 + 15;
    if (exp <= 0) out[i] = sign;
    else out[i] = sign | (exp << 10) | ((b >>> 13) & 0x3ff);
  }
  return out;
}

/** S host-sampled steps of the one-token graph; returns tokens, latents and the last present_*. */
async function hostSteps(
  s: Session,
  past0: Record<string, HostTensor>,
  first: number,
  uniforms: Float32Array,
  candidates: number,
): Promise<{ tokens: number[]; latents: number[][]; present: Record<string, HostTensor> }> {
  const tokens = [first];
  const latents: number[][] = [];
  let past = past0;
  let present: Record<string, HostTensor> = {};
  let k = 0;
  const rng = { next: (): number => uniforms[k++] as number, fillUniform: (): void => undefined };
  for (let i = 0; i < uniforms.length; i++) {
    const len = PAST + i + 1;
    const out = await s.run({
      input_ids: i64([1, 1], [tokens[tokens.length - 1] as number]),
      mel_position: i64([1, 1], [3 + i]),
      attention_mask: i64([1, len], new Array<number>(len).fill(1)),
      ...past,
    });
    tokens.push(sampleToken(hostTensorToFloat32(out.logits as HostTensor), tokens, rng as unknown as ReturnType<typeof createRng>, XTTS_SAMPLING, candidates));
    latents.push(Array.from(hostTensorToFloat32(out.latent as HostTensor)));
    present = {};
    past = {};
    for (const [name, t] of Object.entries(out))
      if (name.startsWith('present_')) {
        present[name] = t;
        past[name.replace('present_', 'past_')] = t;
      }
  }
  return { tokens: tokens.slice(1), latents, present };
}

async function compareLoop(stepModel: Model, kv: 'float32' | 'float16'): Promise<void> {
  const loopModel = decodeLoopWithReport(stepModel).model;
  const one = await createSession(serializeModel(stepModel), { ep: 'cpu' });
  const loop = await createSession(serializeModel(loopModel), { ep: 'cpu' });
  try {
    const rng = createRng(9);
    const uniforms = new Float32Array(STEPS).map(() => rng.next());
    const candidates = 1024;
    const past = randomPast(one, kv);
    const host = await hostSteps(one, past, 7, uniforms, candidates);
    const seen = new Float32Array(candidates);
    seen[7] = 1;
    const out = await loop.run({
      input_ids: i64([1, 1], [7]),
      mel_position: i64([1, 1], [3]),
      attention_mask: i64([1, PAST + 1], new Array<number>(PAST + 1).fill(1)),
      ...past,
      sample_uniforms: { type: 'float32', dims: [STEPS], data: uniforms },
      seen_tokens: { type: 'float32', dims: [candidates], data: seen },
    });
    expect(Array.from(out.tokens?.data as BigInt64Array, Number)).toEqual(host.tokens);
    // The tokens must not be trivially constant (the sampler really ran).
    expect(new Set(host.tokens).size).toBeGreaterThan(3);
    const lat = hostTensorToFloat32(out.latent as HostTensor);
    expect(out.latent?.dims).toEqual([1, STEPS, host.latents[0]?.length]);
    expect(Array.from(lat)).toEqual(host.latents.flat());
    expect(out.logits?.dims.slice(0, 2)).toEqual([1, STEPS]);
    for (const [name, t] of Object.entries(host.present)) {
      expect(out[name]?.dims).toEqual(t.dims);
      expect(out[name]?.type).toBe(t.type);
      expect(Array.from(out[name]?.data as Float32Array)).toEqual(Array.from(t.data as Float32Array));
    }
  } finally {
    await one.release();
    await loop.release();
  }
}

describe('decode-loop pass', () => {
  it('S tokens in one call equal S host-sampled steps (tokens, latents, final KV cache)', async () => {
    await compareLoop(step, 'float32');
  });

  it('wraps an fp16 step too (float16 KV cache and logits)', async () => {
    const half = fp16(step);
    expect(half.graph.inputs.find((v) => v.name === 'past_key_0')?.tensorType?.elemType).toBe(10);
    await compareLoop(half, 'float16');
  });

  it('records its sampler, round-trips through the writer and runs through optimize', async () => {
    const r = await optimize(step, [{ pass: 'decode-loop' }]);
    expect(r.reports[0]?.stats.layers).toBe(step.graph.inputs.filter((v) => v.name.startsWith('past_key_')).length);
    expect(readDecodeLoopRecord(r.model)).toEqual({ sampling: XTTS_SAMPLING, candidates: 1024 });
    expect(readDecodeLoopRecord(step)).toBeUndefined();
    const bytes = serializeModel(r.model);
    const back = parseModel(bytes, 'loop.onnx');
    expect(Buffer.from(serializeModel(back)).equals(Buffer.from(bytes))).toBe(true);
    expect(back.graph.nodes.some((n) => n.opType === 'Loop')).toBe(true);
    expect(back.graph.inputs.map((v) => v.name)).toContain('sample_uniforms');
    // The input model is untouched.
    expect(step.graph.nodes.some((n) => n.opType === 'Loop')).toBe(false);
  });

  it('refuses graphs that are not a decode step, naming what is missing', () => {
    const dec = buildDecoder({ scale: 'tiny', seed: 1, weights: 'random' });
    expect(() => decodeLoopWithReport(dec)).toThrow(PassError);
    expect(() => decodeLoopWithReport(dec)).toThrow(/graph input 'input_ids' missing/);
    const loop = decodeLoopWithReport(step).model;
    expect(() => decodeLoopWithReport(loop)).toThrow(/already has 'sample_uniforms'/);
    expect(() => decodeLoopWithReport(step, { candidates: 5000 })).toThrow(/candidates must be an integer in 1\.\.1026/);
  });
});
