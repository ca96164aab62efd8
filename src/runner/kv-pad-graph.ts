/**
 * The prefill's KV cache padded into the static-KV decoder's fixed buffers as a small ONNX graph, so the cache
 * need not come to the host and go back: each [1, H, P, D] input becomes [1, H, C, D] with zeros past row P,
 * what `padRows` does on the host (static-kv-decode.ts). At full scale that is 60 tensors, ~18 MB down and
 * ~94 MB of padded copies up, which round 8a's timeline put at ~22 ms between the prefill and the first step.
 *
 * Inputs: the given names, float [1, H, P, D] (P symbolic, the same for all); outputs `padded.<name>`,
 * float [1, H, C, D].
 */
import { GraphBuilder } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import type { Model } from '../onnx/types.js';

export const paddedName = (name: string): string => `padded.${name}`;

export function buildKvPadGraph(names: readonly string[], capacity: number, heads: number, headDim: number): Model {
  const b = new GraphBuilder('kv_pad', { opset: 17 });
  const inputs = names.map((n) => b.input(n, DataType.FLOAT, [1, heads, 'P', headDim]));
  const first = inputs[0];
  if (!first) throw new RangeError('kv pad graph: no cache tensors');
  // pads = [0, 0, 0, 0, 0, 0, C − P, 0]: begins of the 4 axes, then ends (rows on axis 2).
  const rows = b.op('Slice', [b.op('Shape', [first]), b.constInt64('from', [2]), b.constInt64('to', [3])]);
  const extra = b.op('Sub', [b.constInt64('capacity', [capacity]), rows]);
  const pads = b.op('Concat', [b.constInt64('lead', [0, 0, 0, 0, 0, 0]), extra, b.constInt64('tail', [0])], { axis: 0 });
  inputs.forEach((x, i) => b.output(b.op('Pad', [x, pads]), paddedName(names[i] as string), [1, heads, capacity, headDim]));
  return b.finish({ docString: `KV cache rows padded with zeros to ${capacity} (avatar-workbench runner)` });
}
