/** readModel's 'lazy' external data: bytes stay in their file until asked for, and a rewrite copies them exactly. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { pendingExternalSource, renamedTensor, tensorByteLength } from '../../src/onnx/lazy-data.js';
import { readModel } from '../../src/onnx/read-model.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import type { Model, Tensor } from '../../src/onnx/types.js';
import { writeModel } from '../../src/onnx/write-model.js';

const dir = mkdtempSync(join(tmpdir(), 'wb-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mlp(): Model {
  const b = new GraphBuilder('lazy', { seed: 5 });
  const x = b.input('x', DataType.FLOAT, [1, 64]);
  const h = b.op('Relu', [b.op('MatMul', [x, b.weight('w1', [64, 128])])]);
  const y = b.op('Add', [b.op('MatMul', [h, b.weight('w2', [128, 8])]), b.weight('b2', [8])]);
  b.output(y, 'y', [1, 8]);
  return b.finish();
}
const inits = (m: Model): Tensor[] => m.graph.initializers.map((v) => v.initializer).filter((t): t is Tensor => t !== undefined);
const bytes = (p: string): Buffer => readFileSync(p);

describe("readModel(…, { loadExternalData: 'lazy' })", () => {
  const src = join(dir, 'src.onnx');
  writeModel(mlp(), src, { externalDataThreshold: 1024 });

  it('defers the external tensors (lengths known, nothing read) and reads the same bytes on access', () => {
    const eager = inits(readModel(src).model);
    const lazy = inits(readModel(src, { loadExternalData: 'lazy' }).model);
    expect(lazy.map((t) => pendingExternalSource(t) !== undefined)).toEqual([true, true, false]);
    expect(lazy.map(tensorByteLength)).toEqual(eager.map((t) => t.data.length));
    expect(Buffer.from(lazy[0]?.data ?? []).equals(Buffer.from(eager[0]?.data ?? []))).toBe(true);
    expect(pendingExternalSource(lazy[0] as Tensor)).toBeUndefined();
    // Assigning replaces the bytes without reading the file.
    const t = lazy[1] as Tensor;
    t.data = new Uint8Array(t.external?.length ?? 0).fill(7);
    expect(pendingExternalSource(t)).toBeUndefined();
    expect(t.data[0]).toBe(7);
  });

  it('a renamed copy (GraphBuilder.init makes one) stays deferred, and both read the same bytes', () => {
    const eager = inits(readModel(src).model);
    const t = inits(readModel(src, { loadExternalData: 'lazy' }).model)[0] as Tensor;
    const copy = renamedTensor(t, 'renamed');
    expect(copy.name).toBe('renamed');
    expect(pendingExternalSource(copy)).toEqual(pendingExternalSource(t));
    expect(pendingExternalSource(t)).toBeDefined();
    expect(Buffer.from(copy.data).equals(Buffer.from(eager[0]?.data ?? []))).toBe(true);
    expect(pendingExternalSource(t)).toBeDefined();
    const b = new GraphBuilder('init', { seed: 0 });
    expect(pendingExternalSource(b.init(t).initializer as Tensor)).toBeDefined();
  });

  it('an unread model is written byte for byte as the eagerly read one, model file and data file', () => {
    mkdirSync(join(dir, 'e'));
    mkdirSync(join(dir, 'l'));
    const a = join(dir, 'e', 'm.onnx');
    const b = join(dir, 'l', 'm.onnx');
    writeModel(readModel(src).model, a, { externalDataThreshold: 1024 });
    const lazy = readModel(src, { loadExternalData: 'lazy' }).model;
    writeModel(lazy, b, { externalDataThreshold: 1024 });
    expect(bytes(b).equals(bytes(a))).toBe(true);
    expect(bytes(`${b}.data`).equals(bytes(`${a}.data`))).toBe(true);
    // Still unread after the write, and inline writing (no threshold) reads them: the same file as from eager.
    expect(inits(lazy).every((t) => t.external === undefined || pendingExternalSource(t) !== undefined)).toBe(true);
    writeModel(lazy, join(dir, 'inline-lazy.onnx'));
    writeModel(readModel(src).model, join(dir, 'inline-eager.onnx'));
    expect(bytes(join(dir, 'inline-lazy.onnx')).equals(bytes(join(dir, 'inline-eager.onnx')))).toBe(true);
  });

  it('a rewrite over its own files leaves the unread tensors reading their copy', () => {
    const p = join(dir, 'self.onnx');
    writeModel(mlp(), p, { externalDataThreshold: 1024 });
    const want = inits(readModel(p).model).map((t) => Buffer.from(t.data));
    const lazy = readModel(p, { loadExternalData: 'lazy' }).model;
    // A threshold that keeps w2 (4 KiB) inline changes the layout of the new data file under the same name.
    writeModel(lazy, p, { externalDataThreshold: 16 * 1024 });
    expect(inits(lazy).map((t) => Buffer.from(t.data).equals(want[inits(lazy).indexOf(t)] as Buffer))).toEqual([true, true, true]);
    expect(inits(readModel(p).model).map((t) => Buffer.from(t.data).equals(want[0] as Buffer))).toEqual([true, false, false]);
  });

  it('whole zero MiB blocks are written as holes and read back as zeros, trailing ones included', () => {
    const b = new GraphBuilder('sparse', { seed: 1 });
    const x = b.input('x', DataType.INT64, [1]);
    const data = new Float32Array((4 << 20) / 4); // 4 MiB: blocks 1 and 3 (the last) are zero
    data.fill(1.5, 0, 1000);
    data.fill(-2, (2 << 20) / 4, (2 << 20) / 4 + 3);
    b.output(b.op('Gather', [b.init(makeTensor('t', DataType.FLOAT, [data.length], data)), x], { axis: 0 }), 'y', [1]);
    const p = join(dir, 'sparse.onnx');
    writeModel(b.finish(), p, { externalDataThreshold: 1024 });
    const back = inits(readModel(p).model)[0] as Tensor;
    expect(Buffer.from(back.data).equals(Buffer.from(data.buffer))).toBe(true);
    const st = statSync(`${p}.data`);
    expect(st.size).toBe(data.byteLength);
    expect(st.blocks * 512).toBeLessThanOrEqual((2 << 20) + (64 << 10)); // two blocks on disk: ext4, xfs and tmpfs keep holes
  });
});
