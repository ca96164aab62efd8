/**
 * readModelMetadata: the metadata_props of a file read without decoding its graph, equal to what the full
 * reader finds; files that are not ModelProtos are refused with the file named.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { readModel, readModelMetadata } from '../../src/onnx/read-model.js';
import { writeModel } from '../../src/onnx/write-model.js';

const dir = mkdtempSync(join(tmpdir(), 'wb-meta-'));

function model(path: string): void {
  const b = new GraphBuilder('meta', { seed: 1 });
  const x = b.input('x', DataType.FLOAT, [1, 256]);
  b.output(b.op('MatMul', [x, b.weight('w', [256, 256])]), 'y');
  const m = b.finish({ metadata: { 'workbench.passes': '[{"pass":"fp16","options":{}}]', author: 'test' } });
  writeModel(m, path);
}

describe('readModelMetadata', () => {
  it('returns metadata_props as the full reader does, graph skipped', () => {
    const f = join(dir, 'm.onnx');
    model(f);
    const full = Object.fromEntries(readModel(f).model.metadataProps.map((e) => [e.key, e.value]));
    expect(readModelMetadata(f)).toEqual(full);
    expect(readModelMetadata(f).author).toBe('test');
  });

  it('refuses a truncated file and a file that is not a ModelProto, naming it', () => {
    const f = join(dir, 'm.onnx');
    const cut = join(dir, 'cut.onnx');
    const bytes = readFileSync(f);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    expect(() => readModelMetadata(cut)).toThrow(ModelFormatError);
    expect(() => readModelMetadata(cut)).toThrow(/cut\.onnx/);
    const text = join(dir, 'notes.onnx');
    writeFileSync(text, 'this is not a model\n'.repeat(10));
    expect(() => readModelMetadata(text)).toThrow(/notes\.onnx/);
    expect(() => readModelMetadata(join(dir, 'missing.onnx'))).toThrow(/no such file/);
  });
});
