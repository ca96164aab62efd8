/**
 * Seed models of the CLI fuzz target: small graphs that still exercise the decoder's paths (typed and raw
 * tensors, int64 constants, attributes of several types, a symbolic dim, metadata) and one model whose
 * weights live in an external-data file.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import type { Model } from '../onnx/types.js';
import { writeModel } from '../onnx/write-model.js';

export interface FuzzSeed {
  name: string;
  /** The model file's bytes (what is mutated). */
  bytes: Uint8Array;
  /** File name the mutated model is written under (its external data refers to `<file>.data`). */
  file: string;
  /** External-data bytes written next to it unchanged, when the seed has them. */
  data?: Uint8Array;
}

function mlp(): Model {
  const b = new GraphBuilder('mlp', { seed: 1 });
  const x = b.input('x', DataType.FLOAT, ['batch', 16]);
  const h = b.op('Relu', [b.op('Add', [b.op('MatMul', [x, b.weight('w1', [16, 32])]), b.weight('b1', [32])])]);
  const y = b.op('Gemm', [h, b.weight('w2', [8, 32]), b.weight('b2', [8])], { transB: 1, alpha: 1.0 });
  b.output(b.op('Softmax', [y], { axis: -1 }), 'y');
  return b.finish({ producerName: 'fuzz-seed', metadata: { purpose: 'fuzz' } });
}

function conv(): Model {
  const b = new GraphBuilder('conv', { seed: 2 });
  const x = b.input('image', DataType.FLOAT, [1, 3, 16, 16]);
  const c = b.op('Conv', [x, b.weight('conv.w', [8, 3, 3, 3], { fanIn: 27 }), b.weight('conv.b', [8])], { pads: [1, 1, 1, 1], strides: [2, 2] });
  const r = b.op('Reshape', [b.op('Relu', [c]), b.constInt64('shape', [1, -1])]);
  b.output(b.op('Mul', [r, b.constFloat('scale', [0.5])]), 'features');
  return b.finish();
}

/** Writes the seed models under `dir` and returns their bytes. */
export function buildFuzzSeeds(dir: string): FuzzSeed[] {
  mkdirSync(dir, { recursive: true });
  const seeds: FuzzSeed[] = [];
  for (const [name, model] of [
    ['mlp', mlp()],
    ['conv', conv()],
  ] as const) {
    const f = join(dir, `${name}.onnx`);
    writeModel(model, f);
    seeds.push({ name, file: `${name}.onnx`, bytes: readFileSync(f) });
  }
  const ext = join(dir, 'ext.onnx');
  writeModel(mlp(), ext, { externalDataThreshold: 64 });
  seeds.push({ name: 'ext', file: 'ext.onnx', bytes: readFileSync(ext), data: readFileSync(`${ext}.data`) });
  return seeds;
}
