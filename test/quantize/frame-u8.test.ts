/**
 * The frame-u8 pass (tiny decoder, CPU): the frames come out of the graph as [N, H, W, 3] uint8 with exactly the
 * bytes the runner's own conversion (tensorToRgb) makes of the float frames; a missing output or one that is not
 * float [N, 3, H, W] frames is refused naming it; the pass is recorded.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tensorToRgb } from '../../src/media/image.js';
import { readModel } from '../../src/onnx/read-model.js';
import type { Model } from '../../src/onnx/types.js';
import { serializeModel } from '../../src/onnx/write-model.js';
import { frameU8, readFrameU8Record } from '../../src/quantize/frame-u8.js';
import { createSession, type HostTensor } from '../../src/runtime/index.js';
import { TINY_DIR, tinyManifest } from '../runner/tiny-set.js';

let decoder: Model;
beforeAll(async () => {
  await tinyManifest();
  decoder = readModel(join(TINY_DIR, 'ditto', 'decoder.onnx')).model;
}, 120_000);

async function run(m: Model, feed: Record<string, HostTensor>): Promise<HostTensor> {
  const s = await createSession(serializeModel(m), { ep: 'cpu' });
  try {
    return (await s.run(feed)).output as HostTensor;
  } finally {
    await s.release();
  }
}

describe('frame-u8 pass', () => {
  it("gives the runner's bytes for the float frames, NHWC uint8", async () => {
    const input = decoder.graph.inputs[0];
    const dims = (input?.tensorType?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
    // Values spread wide enough that the clamp at 0 and 1 and every rounding position are exercised.
    const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37) * 3);
    const feed = { [input?.name ?? 'feature']: { type: 'float32', dims, data } as HostTensor };
    const f = await run(decoder, feed);
    const u8model = frameU8(decoder);
    const u = await run(u8model, feed);
    const [, , h = 0, w = 0] = f.dims;
    expect(u.type).toBe('uint8');
    expect(u.dims).toEqual([1, h, w, 3]);
    expect(Array.from(u.data as Uint8Array)).toEqual(Array.from(tensorToRgb(f.data as Float32Array, w, h).data));
    expect(readFrameU8Record(u8model)).toEqual({ output: 'output', layout: 'NHWC' });
  });

  it('refuses a missing output and one that is not float frames', () => {
    expect(() => frameU8(decoder, { output: 'frames' })).toThrow(/graph output 'frames' missing \(outputs: output\)/);
    expect(() => frameU8(frameU8(decoder))).toThrow(/output 'output' must be float \[N, 3, H, W\] frames/);
  });
});
