/**
 * The composed, baked, batched renderer and the diffusion loop in the pipeline (tiny set, CPU, --audio):
 * the per-frame FP32 path's motion bit for bit and its frames (8-bit, batched convolutions may round a
 * pixel differently); one LMDM call per window and one render call per batch of 4, each batch's frames handed
 * out while the next batch's call runs; run.json records the
 * render plan; a renderer baked for another source image and a loop built for other steps are refused.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { readModel } from '../../src/onnx/read-model.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { diffusionLoop } from '../../src/quantize/diffusion-loop.js';
import { frameU8 } from '../../src/quantize/frame-u8.js';
import { buildRenderer } from '../../src/runner/build-renderer.js';
import { DeviceRenderPath } from '../../src/runner/device-io.js';
import { DB_CAP } from '../../src/runner/quality.js';
import { nativeUnavailable } from '../../src/runtime/index.js';
import { encodePng } from '../../src/media/png.js';
import { RoleSessions } from '../../src/runner/role-sessions.js';
import { FrameSink, runPipeline } from '../../src/runner/run-pipeline.js';
import type { RunResult } from '../../src/runner/run-result.js';
import { writeWav } from '../../src/media/wav.js';
import { writeFileSync } from 'node:fs';
import { TINY_DIR, tinyManifest } from './tiny-set.js';

const ROOT = join(tmpdir(), `wb-render-graph-${process.pid}`);
const STEPS = 2;
let manifest: string;
let base: RunResult;
let fast: RunResult;
let rendererFile: string;
let loopFile: string;
const wav = join(ROOT, 'in.wav');
const order: ('call' | 'frame')[] = [];

beforeAll(async () => {
  mkdirSync(ROOT, { recursive: true });
  manifest = await tinyManifest();
  const sr = 16000;
  const samples = new Float32Array(Math.round(sr * 0.4));
  for (let i = 0; i < samples.length; i++) samples[i] = 0.3 * Math.sin(i * 0.07) * Math.sin(i * 0.0009);
  writeWav(wav, { sampleRate: sr, samples });
  rendererFile = join(ROOT, 'renderer.baked.b4.onnx');
  writeModel((await buildRenderer({ manifest, bakeSource: 'synthetic', batch: 4 })).model, rendererFile);
  loopFile = join(ROOT, 'lmdm.loop.onnx');
  writeModel(diffusionLoop(readModel(join(TINY_DIR, 'ditto', 'lmdm.onnx')).model, { steps: STEPS }), loopFile);
  const common = { manifest, audio: wav, steps: STEPS, seed: 0, mp4: false } as const;
  base = await runPipeline({ ...common, out: join(ROOT, 'base') });
  // The order of the renderer's calls and the frames' hand-out (FrameSink.write) in the batched run.
  const run = RoleSessions.prototype.run;
  const calls = vi.spyOn(RoleSessions.prototype, 'run').mockImplementation(function (this: RoleSessions, role, ...rest) {
    if (role === 'renderer') order.push('call');
    return run.call(this, role, ...rest);
  });
  const write = FrameSink.prototype.write;
  const frames = vi.spyOn(FrameSink.prototype, 'write').mockImplementation(function (this: FrameSink, img) {
    order.push('frame');
    write.call(this, img);
  });
  fast = await runPipeline({ ...common, out: join(ROOT, 'fast'), roleFiles: { renderer: rendererFile, lmdm: loopFile }, baseline: join(ROOT, 'base') });
  calls.mockRestore();
  frames.mockRestore();
}, 180_000);

describe('renderer graph, batch and diffusion loop in the pipeline', () => {
  test('same motion bit for bit, same frames', () => {
    expect(fast.quality?.motion?.rmse).toBe(0);
    expect(fast.video.frames).toBe(base.video.frames);
    expect(fast.quality?.frames?.psnrWorst ?? 0).toBeGreaterThan(60);
  });

  test('one LMDM call per window, one render call per batch of 4; run.json says so', () => {
    expect(fast.roles.lmdm?.calls).toBe(base.counts.lmdmWindows);
    expect(fast.roles.lmdm?.steps).toBe(base.counts.lmdmWindows * STEPS);
    expect(base.roles.lmdm?.calls).toBe(base.counts.lmdmWindows * STEPS);
    expect(fast.roles.renderer?.calls).toBe(Math.ceil(fast.video.frames / 4));
    expect(fast.roles.decoder).toBeUndefined();
    expect(fast.config.render).toEqual({ batch: 4, graph: 'baked' });
    expect(fast.config.diffusionLoop).toBe(true);
    expect(base.config.render).toEqual({ batch: 1, graph: 'none' });
    expect(fast.counts.renderCalls).toBe(Math.ceil(fast.video.frames / 4));
  });

  test("a batch's frames go out while the next batch's call runs", () => {
    const calls = order.filter((e) => e === 'call').length;
    expect(calls).toBe(fast.counts.renderCalls);
    expect(order.filter((e) => e === 'frame').length).toBe(fast.video.frames);
    // Calls back to back: the next batch was started before the previous one's frames were handed out.
    expect(order.some((e, i) => e === 'call' && order[i + 1] === 'call')).toBe(true);
  });

  test('a renderer baked for another image and a loop for other steps are refused', async () => {
    const png = join(ROOT, 'other.png');
    const size = 64;
    const data = new Uint8Array(size * size * 3).map((_, i) => (i * 37) % 251);
    writeFileSync(png, encodePng({ width: size, height: size, data }));
    const common = { manifest, audio: wav, steps: STEPS, seed: 0, mp4: false } as const;
    await expect(runPipeline({ ...common, image: png, out: join(ROOT, 'other'), roleFiles: { renderer: rendererFile } })).rejects.toThrow(
      /baked for another source image/,
    );
    await expect(runPipeline({ ...common, steps: 3, out: join(ROOT, 'steps3'), roleFiles: { lmdm: loopFile } })).rejects.toThrow(
      /diffusion loop samples with .*"steps":2.*the runner with .*"steps":3/,
    );
  });
});

const why = nativeUnavailable();
if (why && process.env.CI) throw new Error(`CI: the native addon is missing (${why})`);

(why ? describe.skip : describe)('the renderer on the native backend: device IO for baked and composed, batched', () => {
  let bakedNative: RunResult;
  let composedNative: RunResult;
  let composedNode: RunResult;
  const made: boolean[] = [];
  beforeAll(async () => {
    const composedFile = join(ROOT, 'renderer.composed.b4.onnx');
    const composed = (await buildRenderer({ manifest, batch: 4 })).model;
    writeModel(composed, composedFile);
    // The native run's renderer hands back 8-bit frames (frame-u8, as the sweep's renderGraph builds it).
    const composedU8File = join(ROOT, 'renderer.composed.b4.u8.onnx');
    writeModel(frameU8(composed), composedU8File);
    const common = { manifest, audio: wav, steps: STEPS, seed: 0, mp4: false } as const;
    const spy = vi.spyOn(DeviceRenderPath, 'create');
    bakedNative = await runPipeline({
      ...common,
      out: join(ROOT, 'baked-native'),
      settings: { backend: 'native' },
      roleFiles: { renderer: rendererFile, lmdm: loopFile },
      baseline: join(ROOT, 'fast'),
    });
    composedNode = await runPipeline({ ...common, out: join(ROOT, 'composed-node'), roleFiles: { renderer: composedFile }, baseline: join(ROOT, 'fast') });
    composedNative = await runPipeline({
      ...common,
      out: join(ROOT, 'composed-native'),
      settings: { backend: 'native' },
      roleFiles: { renderer: composedU8File },
      baseline: join(ROOT, 'composed-node'),
    });
    made.push(...spy.mock.results.map((r) => r.value !== undefined));
    spy.mockRestore();
  }, 180_000);

  test('the device path served both native runs and not the node one', () => {
    expect(made).toEqual([true, false, true]);
  });

  test("frames equal the node backend's exactly (the native renderer's 8-bit frames from the graph too)", () => {
    expect(bakedNative.quality?.frames?.psnrMean).toBe(DB_CAP);
    expect(composedNative.quality?.frames?.psnrMean).toBe(DB_CAP);
    expect(composedNative.roles.renderer?.calls).toBe(Math.ceil(composedNative.video.frames / 4));
    expect(composedNative.config.render).toEqual({ batch: 4, graph: 'composed' });
  });
});
