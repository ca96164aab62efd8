import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../src/onnx/proto/encode.js';
import { readModel } from '../../src/onnx/read-model.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { createSession, type HostTensor } from '../../src/runtime/index.js';
import { availableRealModels } from '../helpers/real-models.js';

// onnx-proto is an independent decoder (generated from ONNX 1.10): decoding the original and our rewrite
// with it must give the same objects.
const require = createRequire(import.meta.url);
const { onnx } = require('onnx-proto') as { onnx: { ModelProto: { decode(b: Uint8Array): { toJSON(): unknown } } } };

async function runAll(path: string, feeds: Record<string, HostTensor>): Promise<Record<string, Buffer>> {
  const s = await createSession(path, { ep: 'cpu', intraOpThreads: 1 });
  const out = await s.run(feeds);
  await s.release();
  const r: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(out)) r[k] = Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength);
  return r;
}

const models = availableRealModels();

describe('round trip of real trained models shipped by npm packages', () => {
  it('has the real models installed (dev dependencies)', () => {
    expect(models.length).toBeGreaterThanOrEqual(4);
    expect(models.some((m) => m.subgraphs)).toBe(true);
  });

  for (const m of models) {
    it(`${m.name}: read → write → read is lossless and runs to bit-identical outputs`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wb-real-'));
      const original = readFileSync(m.path);
      const first = readModel(m.path);
      const out1 = join(dir, 'rewritten.onnx');
      writeModel(first.model, out1);
      const rewritten = readFileSync(out1);
      // The graph compares equal: the independent decoder sees the same model...
      expect(onnx.ModelProto.decode(rewritten).toJSON()).toEqual(onnx.ModelProto.decode(original).toJSON());
      // ...and our own encoding of the re-read graph is the same (a second round trip changes nothing).
      const second = readModel(out1);
      expect(Buffer.compare(Buffer.from(encodeModel(second.model).finish()), rewritten)).toBe(0);
      // These exporters' files come back byte for byte.
      expect(Buffer.compare(rewritten, original)).toBe(0);
      // Outputs under ONNX Runtime are bit-identical, also with the weights moved to external data.
      const out2 = join(dir, 'external.onnx');
      const w = writeModel(second.model, out2, { externalDataThreshold: 256 });
      const feeds = m.inputs();
      const a = await runAll(m.path, feeds);
      const b = await runAll(out1, feeds);
      const c = await runAll(out2, feeds);
      expect(Object.keys(a).length).toBeGreaterThan(0);
      for (const k of Object.keys(a)) {
        expect(b[k]?.equals(a[k] as Buffer), `${k} after rewrite`).toBe(true);
        expect(c[k]?.equals(a[k] as Buffer), `${k} with external data`).toBe(true);
      }
      if (first.model.graph.initializers.some((v) => (v.initializer?.data.length ?? 0) >= 256)) expect(w.externalTensors).toBeGreaterThan(0);
    });
  }
});
