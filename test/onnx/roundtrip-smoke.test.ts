import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, f } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { readModel } from '../../src/onnx/read-model.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { createSession } from '../../src/runtime/index.js';

describe('round trip smoke', () => {
  it('builds, writes, runs, reads and rewrites a conv model identically', async () => {
    const b = new GraphBuilder('smoke', { seed: 3 });
    const x = b.input('x', DataType.FLOAT, [1, 3, 8, 8]);
    const w = b.weight('conv.w', [4, 3, 3, 3]);
    const bias = b.weight('conv.b', [4], { constant: 0.1 });
    const y = b.op('Conv', [x, w, bias], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] });
    const z = b.op('LeakyRelu', [y], { alpha: f(0.2) });
    b.output(z, 'y', [1, 4, 8, 8]);
    const model = b.finish();
    const dir = mkdtempSync(join(tmpdir(), 'wb-'));
    const p1 = join(dir, 'a.onnx');
    writeModel(model, p1);
    const back = readModel(p1);
    const p2 = join(dir, 'b.onnx');
    writeModel(back.model, p2);
    expect(Buffer.compare(readFileSync(p1), readFileSync(p2))).toBe(0);
    const p3 = join(dir, 'c.onnx');
    const r3 = writeModel(back.model, p3, { externalDataThreshold: 64 });
    expect(r3.externalTensors).toBe(1);
    const input = new Float32Array(3 * 64).map((_, i) => Math.sin(i));
    const outs = [];
    for (const p of [p1, p2, p3]) {
      const s = await createSession(p, { ep: 'cpu' });
      const o = await s.run({ x: { type: 'float32', dims: [1, 3, 8, 8], data: input } });
      outs.push(Buffer.from((o.y?.data as Float32Array).buffer));
      await s.release();
    }
    expect(outs[0]?.equals(outs[1] as Buffer)).toBe(true);
    expect(outs[0]?.equals(outs[2] as Buffer)).toBe(true);
  });
});
