/**
 * A decode-loop gpt_decode in the pipeline (tiny set, CPU): one session call per streaming chunk, and the
 * run is bit-identical to the one-token graph's (same tokens from the same seeded uniforms, so the same
 * audio, motion and frames); a loop built with other sampling settings than the runner's is refused; the
 * sweep's `decodeLoop` shorthand puts the pass last on gpt_decode.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { readModel } from '../../src/onnx/read-model.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { decodeLoopWithReport } from '../../src/quantize/decode-loop.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import type { RunResult } from '../../src/runner/run-result.js';
import { STREAM_CHUNK_TOKENS } from '../../src/runner/tts-stage.js';
import { passesForRole } from '../../src/sweep/pipeline-driver.js';
import { expandVariants, parseSweepSpec } from '../../src/sweep/spec.js';
import { TINY_DIR, tinyManifest } from './tiny-set.js';
import { SHARED_TEXT, sharedRun } from '../helpers/shared-run.js';
import { DB_CAP } from '../../src/runner/quality.js';

const ROOT = join(tmpdir(), `wb-decode-loop-${process.pid}`);
const TEXT = SHARED_TEXT;
let manifest: string;
let steps: RunResult;
let loop: RunResult;
let loopFile: string;

beforeAll(async () => {
  mkdirSync(ROOT, { recursive: true });
  manifest = await tinyManifest();
  loopFile = join(ROOT, 'gpt_decode.loop.onnx');
  writeModel(decodeLoopWithReport(readModel(join(TINY_DIR, 'xtts', 'gpt_decode.onnx')).model).model, loopFile);
  const common = { manifest, text: TEXT, steps: 2, seed: 0, mp4: false } as const;
  const base = await sharedRun({ manifest, text: TEXT, steps: 2, seed: 0 });
  steps = base.run;
  loop = await runPipeline({ ...common, out: join(ROOT, 'loop'), roleFiles: { gpt_decode: loopFile }, baseline: base.dir });
}, 120_000);

describe('decode loop in the pipeline', () => {
  test('one gpt_decode call per streaming chunk instead of one per token', () => {
    const tokens = steps.counts.audioTokens ?? 0;
    expect(tokens).toBeGreaterThan(STREAM_CHUNK_TOKENS);
    expect(steps.roles.gpt_decode?.calls).toBe(tokens - 1);
    expect(loop.roles.gpt_decode?.calls).toBe(Math.ceil(tokens / STREAM_CHUNK_TOKENS));
    // Each call runs several one-token steps; the run says how many (projections scale GPU work by them).
    expect(loop.roles.gpt_decode?.steps).toBe(tokens - 1);
    expect(steps.roles.gpt_decode?.steps).toBeUndefined();
    expect(loop.counts.vocoderCalls).toBe(steps.counts.vocoderCalls);
  });

  test('same tokens, so the same audio, motion and frames as the one-token graph', () => {
    const q = loop.quality;
    expect(q?.warnings).toEqual([]);
    expect(q?.audio?.snrDb).toBe(DB_CAP);
    expect(q?.motion?.rmse).toBe(0);
    expect(q?.frames?.psnrMean).toBe(DB_CAP);
    // The first call's logits and latent, cut to the first step, match the one-token graph's.
    expect(q?.roles.gpt_decode).toEqual({ logits: 0, latent: 0 });
    expect(q?.firstDivergentRole).toBeNull();
  });

  test('a loop that samples differently from the runner is refused', async () => {
    const other = join(ROOT, 'gpt_decode.topk10.onnx');
    writeModel(
      decodeLoopWithReport(readModel(join(TINY_DIR, 'xtts', 'gpt_decode.onnx')).model, {
        sampling: { temperature: 0.75, topK: 10, topP: 0.85, repetitionPenalty: 10 },
      }).model,
      other,
    );
    await expect(
      runPipeline({ manifest, text: TEXT, steps: 2, seed: 0, mp4: false, out: join(ROOT, 'other'), roleFiles: { gpt_decode: other } }),
    ).rejects.toThrow(/decode loop samples with .*"topK":10.* the runner with .*"topK":50/);
  });

  test('the sweep shorthand decodeLoop puts the pass last on gpt_decode', () => {
    const [, v] = expandVariants(parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ precision: { '*': 'fp16' }, decodeLoop: true }] }));
    expect(v?.name).toBe('fp16+loop');
    expect(passesForRole(v as NonNullable<typeof v>, 'gpt_decode').map((p) => p.pass)).toEqual(['fp16', 'decode-loop']);
    expect(passesForRole(v as NonNullable<typeof v>, 'gpt_prefill').map((p) => p.pass)).toEqual(['fp16']);
    expect(() => parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ passes: { decoder: [{ pass: 'decode-loop' }] } }] })).toThrow(
      /'decode-loop' rewrites gpt_decode only/,
    );
  });
});
