/**
 * The static-kv pass and the fixed-buffer decode loop (tiny set, CPU):
 * - the pass: past/present get the fixed capacity, `attention_mask` gives way to `cache_position`, one step
 *   gives the one-token graph's logits and latent and writes its key/value at row `cache_position`; a decode
 *   loop, a graph that is static already and a bad capacity are refused, naming the reason;
 * - the pipeline: on the node backend (host-held buffers) and the native one (device buffers, two sets
 *   alternating) the run draws the same tokens as the one-token graph, so the same audio and frames; an
 *   utterance longer than the capacity is refused with the count.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { readModel } from '../../src/onnx/read-model.js';
import type { Model } from '../../src/onnx/types.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { decodeLoopWithReport } from '../../src/quantize/decode-loop.js';
import { readStaticKvRecord, STATIC_KV_INPUTS, staticKv, staticKvWithReport } from '../../src/quantize/static-kv.js';
import { DB_CAP } from '../../src/runner/quality.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import type { RunResult } from '../../src/runner/run-result.js';
import { readWav } from '../../src/media/wav.js';
import { StaticKvDecoder } from '../../src/runner/static-kv-decode.js';
import { createSession, isDeviceTensor, nativeUnavailable, type HostTensor, type Tensor } from '../../src/runtime/index.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { SHARED_TEXT, sharedRun } from '../helpers/shared-run.js';
import { TINY_DIR, tinyManifest } from './tiny-set.js';

const ROOT = join(tmpdir(), `wb-static-kv-${process.pid}`);
const TEXT = SHARED_TEXT;
const CAPACITY = 128;
let decode: Model;
let staticFile: string;
let manifest: string;

beforeAll(async () => {
  mkdirSync(ROOT, { recursive: true });
  manifest = await tinyManifest();
  decode = readModel(join(TINY_DIR, 'xtts', 'gpt_decode.onnx')).model;
  staticFile = join(ROOT, 'gpt_decode.static.onnx');
  writeModel(staticKv(decode, { capacity: CAPACITY }), staticFile);
}, 120_000);

const rand = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);

describe('the static-kv pass', () => {
  test('fixed shapes, cache_position instead of attention_mask, a record', () => {
    const r = staticKvWithReport(decode, { capacity: CAPACITY });
    const names = r.model.graph.inputs.map((v) => v.name);
    expect(names).toContain(STATIC_KV_INPUTS.position);
    expect(names).not.toContain('attention_mask');
    const past = r.model.graph.inputs.find((v) => v.name === 'past_key_0');
    const present = r.model.graph.outputs.find((v) => v.name === 'present_value_0');
    expect(past?.tensorType?.shape?.[2]).toBe(CAPACITY);
    expect(present?.tensorType?.shape?.[2]).toBe(CAPACITY);
    expect(r.report.stats.caches).toBe(names.filter((n) => n.startsWith('past_')).length);
    expect(readStaticKvRecord(r.model)).toEqual({ capacity: CAPACITY });
  });

  test('refuses a decode loop, a static graph and a bad capacity', () => {
    expect(() => staticKv(decodeLoopWithReport(decode).model)).toThrow(/decode loop .*sample_uniforms/);
    expect(() => staticKv(staticKv(decode, { capacity: CAPACITY }))).toThrow(/already has 'cache_position'/);
    expect(() => staticKv(decode, { capacity: 1.5 })).toThrow(/capacity must be an integer ≥ 2, got 1.5/);
    // In a sweep spec: gpt_decode only, and the capacity checked where the field is.
    const spec = (role: string, p: object) => ({ schemaVersion: 1, name: 'x', variants: [{ passes: { [role]: [{ pass: 'static-kv', ...p }] } }] });
    expect(parseSweepSpec(spec('gpt_decode', { capacity: 256 }), 's.json').variants?.[0]?.passes?.gpt_decode).toEqual([{ pass: 'static-kv', capacity: 256 }]);
    expect(() => parseSweepSpec(spec('gpt_decode', { capacity: 1 }), 's.json')).toThrow(/gpt_decode\[0\]\.capacity: expected an integer ≥ 2, got 1/);
    expect(() => parseSweepSpec(spec('decoder', {}), 's.json')).toThrow(/'static-kv' rewrites gpt_decode only/);
  });

  test('one step equals the growing-cache step; the new row lands at cache_position', async () => {
    const dyn = await createSession(join(TINY_DIR, 'xtts', 'gpt_decode.onnx'), { ep: 'cpu' });
    const fix = await createSession(staticFile, { ep: 'cpu' });
    try {
      const shape = decode.graph.inputs.find((v) => v.name === 'past_key_0')?.tensorType?.shape ?? [];
      const [H, D] = [shape[1] as number, shape[3] as number];
      const L = 7;
      const layers = decode.graph.inputs.filter((v) => v.name.startsWith('past_')).map((v) => v.name);
      const dynFeeds: Record<string, HostTensor> = {
        input_ids: { type: 'int64', dims: [1, 1], data: BigInt64Array.of(5n) },
        mel_position: { type: 'int64', dims: [1, 1], data: BigInt64Array.of(BigInt(L)) },
        attention_mask: { type: 'int64', dims: [1, L + 1], data: new BigInt64Array(L + 1).fill(1n) },
      };
      const fixFeeds: Record<string, HostTensor> = { ...dynFeeds, cache_position: { type: 'int64', dims: [1], data: BigInt64Array.of(BigInt(L)) } };
      delete fixFeeds.attention_mask;
      layers.forEach((name, k) => {
        const data = rand(H * L * D, k);
        dynFeeds[name] = { type: 'float32', dims: [1, H, L, D], data };
        const padded = new Float32Array(H * CAPACITY * D);
        for (let h = 0; h < H; h++) padded.set(data.subarray(h * L * D, (h + 1) * L * D), h * CAPACITY * D);
        fixFeeds[name] = { type: 'float32', dims: [1, H, CAPACITY, D], data: padded };
      });
      const a = await dyn.run(dynFeeds);
      const b = await fix.run(fixFeeds);
      const relL2 = (x: Float32Array, y: Float32Array): number =>
        Math.sqrt(
          x.reduce((s, v, i) => s + (v - (y[i] as number)) ** 2, 0) /
            Math.max(
              x.reduce((s, v) => s + v * v, 0),
              1e-30,
            ),
        );
      expect(relL2(a.logits?.data as Float32Array, b.logits?.data as Float32Array)).toBeLessThan(1e-6);
      expect(relL2(a.latent?.data as Float32Array, b.latent?.data as Float32Array)).toBeLessThan(1e-6);
      // present row L of head 0 is the step's key; rows < L are the past; rows > L stay zero.
      const grown = a.present_key_0?.data as Float32Array;
      const fixed = b.present_key_0?.data as Float32Array;
      expect(Array.from(fixed.subarray(0, (L + 1) * D))).toEqual(Array.from(grown.subarray(0, (L + 1) * D)));
      expect(fixed.subarray((L + 1) * D, CAPACITY * D).every((v) => v === 0)).toBe(true);
    } finally {
      await dyn.release();
      await fix.release();
    }
  });
});

const why = nativeUnavailable();
if (why && process.env.CI) throw new Error(`CI: the native addon is missing (${why})`);

describe('static-kv in the pipeline', () => {
  let base: RunResult;
  let onNode: RunResult;
  let onNative: RunResult | undefined;
  /** Per StaticKvDecoder made on the native backend: whether the prefill's cache came as device tensors. */
  const prefillOnDevice: boolean[] = [];
  beforeAll(async () => {
    const common = { manifest, text: TEXT, steps: 2, seed: 0, mp4: false } as const;
    // The base run is the plain run of TEXT with these options that other test files compare against too.
    const shared = await sharedRun({ manifest, text: TEXT, steps: common.steps, seed: common.seed });
    base = shared.run;
    onNode = await runPipeline({ ...common, out: join(ROOT, 'node'), roleFiles: { gpt_decode: staticFile }, baseline: shared.dir });
    const create = vi.spyOn(StaticKvDecoder, 'create');
    if (!why)
      onNative = await runPipeline({
        ...common,
        out: join(ROOT, 'native'),
        // As the GPU's best path runs it: the vocoder's calls beside the static-KV steps, Ditto beside the TTS.
        settings: { backend: 'native', overlap: true, vocoderOverlap: true },
        roleFiles: { gpt_decode: staticFile },
        baseline: shared.dir,
      });
    prefillOnDevice.push(...create.mock.calls.map(([, , prefill]) => isDeviceTensor(prefill.past_key_0 as Tensor)));
    create.mockRestore();
  }, 180_000);

  test('same tokens as the one-token graph on both backends: same audio and frames', () => {
    for (const r of [onNode, onNative]) {
      if (!r) continue;
      expect(r.counts.audioTokens).toBe(base.counts.audioTokens);
      expect(r.roles.gpt_decode?.calls).toBe((base.counts.audioTokens ?? 0) - 1);
      expect(r.quality?.audio?.snrDb).toBeGreaterThan(60);
      expect(r.quality?.frames?.psnrMean).toBeGreaterThan(60);
    }
    expect(onNative?.quality?.audio?.snrDb ?? DB_CAP).toBeGreaterThan(60);
    if (onNative) expect(onNative.appliedSettings.vocoderOverlap).toBe(true);
  });

  test("native: the prefill's cache stays on the device and is padded there, with the host-padded run's audio", () => {
    if (!onNative) return;
    expect(prefillOnDevice.length).toBeGreaterThan(0);
    expect(prefillOnDevice.every(Boolean)).toBe(true);
    const audio = (dir: string): Float32Array => readWav(join(ROOT, dir, 'audio.wav')).samples;
    expect(Array.from(audio('native'))).toEqual(Array.from(audio('node')));
  });

  test('an utterance longer than the capacity is refused with the count', async () => {
    const small = join(ROOT, 'gpt_decode.small.onnx');
    writeModel(staticKv(decode, { capacity: 8 }), small);
    await expect(
      runPipeline({ manifest, text: TEXT, steps: 2, seed: 0, mp4: false, out: join(ROOT, 'small'), roleFiles: { gpt_decode: small } }),
    ).rejects.toThrow(/static KV cache holds 8 rows; this utterance needs \d+ \(prefill \d+ \+ \d+ steps\): rebuild it with static-kv --capacity ≥ \d+/);
  });
});
