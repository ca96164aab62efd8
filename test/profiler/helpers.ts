/** Small models and traces shared by the profiler tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { writeModel } from '../../src/onnx/write-model.js';

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `wb-prof-test-${tag}-`));
}

/**
 * A conv stack with enough compute to dominate run() overhead on one CPU thread, plus a layout Transpose and
 * a Cast: x [1,16,H,W] → conv×3 (+Relu) → Transpose NCHW→NHWC → Cast fp16 → y.
 */
export function writeConvModel(dir: string, size = 48, name = 'conv.onnx'): string {
  const b = new GraphBuilder('conv_stack', { seed: 3 });
  let x = b.input('x', DataType.FLOAT, [1, 16, size, size]);
  for (let i = 0; i < 3; i++) {
    const w = b.weight(`conv${i}.w`, [16, 16, 3, 3], { fanIn: 144 });
    x = b.op('Relu', [b.op('Conv', [x, w], { pads: [1, 1, 1, 1] }, { name: `conv${i}` })], {}, { name: `relu${i}` });
  }
  const t = b.op('Transpose', [x], { perm: [0, 2, 3, 1] }, { name: 'to_nhwc' });
  const y = b.output(b.op('Cast', [t], { to: DataType.FLOAT16 }, { name: 'to_fp16' }), 'y');
  y.type = { kind: 'tensor', elemType: DataType.FLOAT16 };
  const file = join(dir, name);
  writeModel(b.finish(), file);
  return file;
}

/** A model with a symbolic dim 'N' and an int64 token input: emb[ids] + x, then MatMul. */
export function writeTokenModel(dir: string, name = 'tokens.onnx'): string {
  const b = new GraphBuilder('tokens', { seed: 4 });
  const ids = b.input('input_ids', DataType.INT64, [1, 'N']);
  const mask = b.input('attention_mask', DataType.INT64, [1, 'N']);
  const emb = b.weight('emb', [32, 8], { std: 1 });
  const g = b.op('Gather', [emb, ids], { axis: 0 }, { name: 'embed' });
  const m = b.op('Cast', [b.op('Unsqueeze', [mask, b.constInt64('ax', [2])], {}, { name: 'unsq' })], { to: DataType.FLOAT }, { name: 'mask_cast' });
  const w = b.weight('proj', [8, 8], { fanIn: 8 });
  b.output(b.op('MatMul', [b.op('Mul', [g, m], {}, { name: 'apply_mask' }), w], {}, { name: 'proj' }), 'y');
  const file = join(dir, name);
  writeModel(b.finish(), file);
  return file;
}

/** One Chrome-trace event as ORT writes it. */
export function ev(cat: string, name: string, ts: number, dur: number, args: Record<string, unknown> = {}): Record<string, unknown> {
  return { cat, pid: 1, tid: 1, dur, ts, ph: 'X', name, args };
}

/** A node `_kernel_time` event with the usual args (strings, shapes as raw JSON). */
export function nodeEv(name: string, op: string, provider: string, ts: number, dur: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return ev('Node', `${name}_kernel_time`, ts, dur, {
    op_name: op,
    provider,
    activation_size: '1024',
    parameter_size: '0',
    output_size: '1024',
    input_type_shape: [{ float: [1, 256] }],
    output_type_shape: [{ float: [1, 256] }],
    thread_scheduling_stats: '',
    ...extra,
  });
}
