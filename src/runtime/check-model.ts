/** The one-MatMul model that `setup-cuda`'s provider check and the native backend's check both run. */
import { join } from 'node:path';
import { GraphBuilder } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import { writeModel } from '../onnx/write-model.js';

/** Writes `<dir>/check.onnx`: y = x[1,64] · w[64,64], the MatMul named `check_matmul`; returns its path. */
export function writeMatMulCheckModel(dir: string, graphName: string): string {
  const b = new GraphBuilder(graphName, { seed: 1 });
  const x = b.input('x', DataType.FLOAT, [1, 64]);
  const w = b.weight('w', [64, 64], { fanIn: 64 });
  b.output(b.op('MatMul', [x, w], {}, { name: 'check_matmul' }), 'y');
  const model = join(dir, 'check.onnx');
  writeModel(b.finish(), model);
  return model;
}
