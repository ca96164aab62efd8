import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { type ExternalSource, deferExternalData, pendingExternalSource, tensorByteLength } from '../../src/onnx/lazy-data.js';
import { readModel } from '../../src/onnx/read-model.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import type { Model, Tensor } from '../../src/onnx/types.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { createSession } from '../../src/runtime/index.js';

// × 4 floats × 4 bytes = 720 MB per table, 2.16 GB in all: just over protobuf's 2 GiB limit.
const ROWS = 45_000_000;
const TABLE_BYTES = ROWS * 16;
const dir = mkdtempSync(join(tmpdir(), 'wb-large-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Three [ROWS, 4] tables, each gathered at the input's two rows and summed: held in memory (untouched zero
 * pages), or, with `source`, each deferred to its range of that file as a lazily read model's tables are.
 */
function build(source?: (k: number) => ExternalSource): Model {
  const b = new GraphBuilder('large', { seed: 0 });
  const idx = b.input('idx', DataType.INT64, [2]);
  let sum: ReturnType<typeof b.input> | undefined;
  for (let k = 0; k < 3; k++) {
    const name = `table${k}`;
    const g = b.op('Gather', [b.init(source ? deferred(name, source(k)) : makeTensor(name, DataType.FLOAT, [ROWS, 4], new Float32Array(ROWS * 4))), idx], {
      axis: 0,
    });
    sum = sum ? b.op('Add', [sum, g]) : g;
  }
  if (!sum) throw new Error('unreachable');
  b.output(sum, 'y', [2, 4]);
  return b.finish();
}

/** A [ROWS, 4] float table whose bytes are read from `source` only if asked for. */
function deferred(name: string, source: ExternalSource): Tensor {
  const t: Tensor = { name, dataType: DataType.FLOAT, dims: [ROWS, 4], data: new Uint8Array(0), storage: 'raw' };
  deferExternalData(t, source);
  return t;
}

/** Table k's values: row 0 all k + 1, the last row marked 10k + 1 … 10k + 4, every other row 0. */
const marks = (k: number): { first: Float32Array; last: Float32Array } => ({
  first: new Float32Array(4).fill(k + 1),
  last: Float32Array.from([10 * k + 1, 10 * k + 2, 10 * k + 3, 10 * k + 4]),
});

/**
 * The tables' bytes in one sparse file, only the marked rows written: writing a model of deferred tables copies
 * them file to file, chunk by chunk. Tables held in memory would cost their full 2.16 GB of RSS on that write,
 * which reads every page, untouched or not.
 */
function tableFile(file: string): (k: number) => ExternalSource {
  const fd = openSync(file, 'w');
  try {
    ftruncateSync(fd, 3 * TABLE_BYTES);
    for (let k = 0; k < 3; k++) {
      const { first, last } = marks(k);
      writeSync(fd, new Uint8Array(first.buffer), 0, 16, k * TABLE_BYTES);
      writeSync(fd, new Uint8Array(last.buffer), 0, 16, (k + 1) * TABLE_BYTES - 16);
    }
  } finally {
    closeSync(fd);
  }
  return (k) => ({ file, offset: k * TABLE_BYTES, length: TABLE_BYTES });
}

describe('a model over 2 GB', () => {
  it('is written with external data, read back and run by ONNX Runtime', async () => {
    // Inside one protobuf it cannot go: a clear error, nothing written. (In memory: encoding only sizes the
    // tables, so their untouched pages cost nothing here.)
    const inMemory = build();
    const inline = join(dir, 'inline.onnx');
    expect(() => writeModel(inMemory, inline)).toThrow(/over the 2 GiB limit: write it with external data/);
    expect(existsSync(inline)).toBe(false);

    const model = build(tableFile(join(dir, 'tables.bin')));
    const file = join(dir, 'large.onnx');
    const res = writeModel(model, file, { externalDataThreshold: 1024 });
    expect(res.externalTensors).toBe(3);
    expect(statSync(`${file}.data`).size).toBeGreaterThan(2 ** 31);
    expect(statSync(file).size).toBeLessThan(64 * 1024);

    // ONNX Runtime runs it before the read-back, so the session and the read-back copy never coexist.
    const s = await createSession(file, { ep: 'cpu', intraOpThreads: 1 });
    const out = await s.run({ idx: { type: 'int64', dims: [2], data: BigInt64Array.from([0n, BigInt(ROWS - 1)]) } });
    await s.release();
    // Row 0: 1 + 2 + 3; the last row: the marked values summed.
    expect(Array.from(out.y?.data as Float32Array)).toEqual([6, 6, 6, 6, 33, 36, 39, 42]);

    // Read back lazily: the 2 GiB of weights stay in their file (the eager read held every byte, 2.2 GB of RSS).
    const back = readModel(file, { loadExternalData: 'lazy' });
    const tables = back.model.graph.initializers.map((v) => v.initializer).filter((t): t is Tensor => t !== undefined);
    expect(tables.map(tensorByteLength)).toEqual([ROWS * 16, ROWS * 16, ROWS * 16]);
    expect(tables.every((t) => pendingExternalSource(t) !== undefined)).toBe(true);

    // Written again from what was read (copied file to file): the same data file, byte count for byte count, and
    // it runs the same (byte-exact copies are proven on a small model in lazy-external.test.ts; comparing these
    // 2 × 2.16 GB here would cost 12 s).
    const again = join(dir, 'again.onnx');
    const r2 = writeModel(back.model, again, { externalDataThreshold: 1024 });
    expect(r2.externalBytes).toBe(res.externalBytes);
    const s2 = await createSession(again, { ep: 'cpu', intraOpThreads: 1 });
    const out2 = await s2.run({ idx: { type: 'int64', dims: [2], data: BigInt64Array.from([0n, BigInt(ROWS - 1)]) } });
    await s2.release();
    expect(Array.from(out2.y?.data as Float32Array)).toEqual([6, 6, 6, 6, 33, 36, 39, 42]);
  });
});
