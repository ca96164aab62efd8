import { test } from 'vitest';
import { readModel } from '../../src/onnx/read-model.js';
test('rt', async () => {
  const { model } = readModel('/tmp/workbench-runner-tests/tiny-seed1/ditto/decoder.onnx');
  for (const v of model.graph.initializers.slice(0, 8)) { const t = v.initializer!; console.log(v.name, t.dataType, t.dims, t.storage, t.data.length, t.data.byteOffset % 4); }
});
