import { it } from 'vitest';
import { writeModel, serializeModel } from '../../src/onnx/write-model.js';
import { readModel, parseModel } from '../../src/onnx/read-model.js';
import { fp16 } from '../../src/quantize/fp16.js';
import { randomFeeds, runModel } from '../../src/quantize/execute.js';
import { compareArrays } from '../../src/quantize/metrics.js';
import { convNet } from './models.js';
import { readFloats } from '../../src/onnx/tensor.js';
it('x', async () => {
  for (const inPlace of [false, true]) for (const fromFile of [false, true]) {
    const m0 = convNet();
    const m = fromFile ? parseModel(serializeModel(m0), 'x') : convNet();
    const h = fp16(m, { keepIoTypes: true, inPlace });
    const feeds = randomFeeds(m0, 1);
    const a = await runModel(m0, feeds);
    const b = await runModel(h, feeds);
    console.log(inPlace, fromFile, compareArrays(a[0]!.y!, b[0]!.y!).relL2, h.graph.initializers.map(v => `${v.name}:${v.initializer?.data.byteOffset}:${[...readFloats(v.initializer!).slice(0,2)].map(x=>x.toFixed(3))}`).join(' '));
  }
});
