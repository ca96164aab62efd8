/**
 * A float16-I/O GPT (the fp16 pass without keepIoTypes) in the pipeline: its KV cache comes back as
 * float16 and is fed back as it is, instead of being converted to float32 and back for every token.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadManifest } from '../../src/models/load-manifest.js';
import { readModel } from '../../src/onnx/read-model.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { fp16 } from '../../src/quantize/fp16.js';
import { RoleSessions, feed } from '../../src/runner/role-sessions.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import { TINY_DIR, tinyManifest } from './tiny-set.js';

const ROOT = join(tmpdir(), `wb-kv16-${process.pid}`);
let manifest: string;
const files: Record<'gpt_prefill' | 'gpt_decode', string> = { gpt_prefill: '', gpt_decode: '' };

beforeAll(async () => {
  mkdirSync(ROOT, { recursive: true });
  manifest = await tinyManifest();
  for (const role of ['gpt_prefill', 'gpt_decode'] as const) {
    files[role] = join(ROOT, `${role}.fp16.onnx`);
    writeModel(fp16(readModel(join(TINY_DIR, 'xtts', `${role}.onnx`)).model), files[role]);
  }
}, 60_000);

describe('float16 KV cache', () => {
  test('present_* stay float16 when asked and feed the next step as they are', async () => {
    const m = loadManifest(manifest, { requiredRoles: [], checkGraphs: false, checkHashes: false });
    const s = await RoleSessions.load({
      manifest: m,
      manifestDir: TINY_DIR,
      roles: ['gpt_decode'],
      session: { ep: 'cpu' },
      overrides: { gpt_decode: files.gpt_decode },
    });
    try {
      const spec = m.roles.gpt_decode;
      const past: Record<string, ReturnType<typeof feed.f32>> = {};
      for (const [name, t] of Object.entries(spec?.inputs ?? {}))
        if (name.startsWith('past_')) {
          const dims = t.shape.map((d) => (typeof d === 'number' ? d : 3));
          past[name] = feed.f32(dims, new Float32Array(dims.reduce((a, b) => a * b, 1)));
        }
      const step = { input_ids: feed.i64([1, 1], [5]), mel_position: feed.i64([1, 1], [4]), attention_mask: feed.i64([1, 4], [1, 1, 1, 1]) };
      const keep = (n: string): boolean => n.startsWith('present_');
      const a = await s.run('gpt_decode', { ...step, ...past }, keep);
      expect(a.present_key_0?.type).toBe('float16');
      expect(a.logits?.type).toBe('float32');
      const next: Record<string, NonNullable<(typeof a)[string]>> = {};
      for (const [k, v] of Object.entries(a)) if (k.startsWith('present_')) next[k.replace('present_', 'past_')] = v;
      const b = await s.run(
        'gpt_decode',
        { input_ids: feed.i64([1, 1], [6]), mel_position: feed.i64([1, 1], [5]), attention_mask: feed.i64([1, 5], [1, 1, 1, 1, 1]), ...next },
        keep,
      );
      expect(b.present_key_0?.type).toBe('float16');
      expect(b.present_key_0?.dims[2]).toBe((a.present_key_0?.dims[2] ?? 0) + 1);
      // Without the predicate everything comes back float32, as before.
      const c = await s.run('gpt_decode', { ...step, ...past });
      expect(c.present_key_0?.type).toBe('float32');
    } finally {
      await s.release();
    }
  });

  test('the pipeline runs a float16-I/O GPT end to end', async () => {
    const r = await runPipeline({ manifest, text: 'Hello there.', steps: 2, seed: 0, mp4: false, out: join(ROOT, 'run'), roleFiles: files });
    expect(r.audio.samples).toBeGreaterThan(0);
    expect(r.roles.gpt_decode?.calls).toBeGreaterThan(5);
  }, 60_000);
});
