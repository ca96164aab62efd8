/**
 * The batch pass on the tiny Ditto renderer roles and the composed renderer (ORT, CPU EP): N samples in one
 * call equal N one-sample calls (relative L2 ≤ 1e-6 per sample); invariants hold; a graph whose batch
 * cannot be followed is refused naming the node, and through the CLI that is one line, exit 2, no file.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDecoder } from '../../src/models/ditto/decoder.js';
import { buildStitchNetwork } from '../../src/models/ditto/stitch-network.js';
import { buildWarpNetwork } from '../../src/models/ditto/warp-network.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { createRng } from '../../src/onnx/rng.js';
import type { Model } from '../../src/onnx/types.js';
import { verifyModel } from '../../src/onnx/verify.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { batch, readBatchSize } from '../../src/quantize/batch.js';
import { runModel, type Feeds } from '../../src/quantize/execute.js';
import { compareArrays } from '../../src/quantize/metrics.js';
import { renderGraph } from '../../src/quantize/render-graph.js';
import { runCli } from '../helpers/capture.js';

const opts = { scale: 'tiny' as const, seed: 1, weights: 'random' as const };
const N = 3;

function rand(dims: number[], seed: number, std: number): { type: 'float32'; dims: number[]; data: Float32Array } {
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  createRng(seed).fillUniform(data, std, 0);
  return { type: 'float32', dims, data };
}

/** Per-sample feeds for the batched inputs (others shared), their batched form, and the check. */
async function expectBatchMatches(m: Model, batched: string[], tolerance = 1e-6): Promise<void> {
  const shared: Feeds = {};
  const b = batch(m, { size: N, inputs: batched });
  verifyModel(b);
  expect(readBatchSize(b)).toBe(N);
  const samples: Feeds[] = [];
  for (let k = 0; k < N; k++) {
    const f: Feeds = { ...shared };
    for (const name of batched) {
      const dims = (m.graph.inputs.find((v) => v.name === name)?.tensorType?.shape ?? []) as number[];
      f[name] = rand(dims, 10 + k * 7 + name.length, name.startsWith('kp') ? 0.3 : 1);
    }
    samples.push(f);
  }
  const one = await runModel(m, samples);
  const joined: Feeds = { ...shared };
  for (const name of batched) {
    const first = samples[0]![name]!;
    const data = new Float32Array(first.data.length * N);
    samples.forEach((s, k) => data.set(s[name]!.data as Float32Array, k * first.data.length));
    joined[name] = { type: 'float32', dims: [N, ...first.dims.slice(1)], data };
  }
  const many = (await runModel(b, [joined]))[0]!;
  for (const [outName, ref0] of Object.entries(one[0]!)) {
    const all = many[outName]!;
    expect(all.length).toBe(ref0.length * N);
    for (let k = 0; k < N; k++) expect(compareArrays(one[k]![outName]!, all.subarray(k * ref0.length, (k + 1) * ref0.length)).relL2).toBeLessThan(tolerance);
  }
}

describe('batch pass', () => {
  let stitch: Model;
  let warp: Model;
  let decoder: Model;
  beforeAll(() => {
    stitch = buildStitchNetwork(opts);
    warp = buildWarpNetwork(opts);
    decoder = buildDecoder(opts);
  });

  it('stitch_network: N keypoint pairs per call', async () => expectBatchMatches(stitch, ['kp_source', 'kp_driving']));
  it('decoder: N features per call', async () => expectBatchMatches(decoder, ['feature']));
  it('warp_network: N frames per call (merged batch × motions through GridSample)', async () =>
    expectBatchMatches(warp, ['feature_3d', 'kp_source', 'kp_driving'], 2e-6));
  // (MLAS picks another Conv3d blocking for N = 3 than for 1 on the 9-channel volume: 1.2e-6 measured.)
  it('the baked renderer: only kp_driving batched; the baked volume is tiled in the graph', async () => {
    const fdims = (warp.graph.inputs[0]?.tensorType?.shape ?? []) as number[];
    const r = renderGraph({ stitch, warp, decoder }, { bakeSource: { feature3d: rand(fdims, 4, 1), kpSource: rand([1, 21, 3], 2, 0.3) } });
    await expectBatchMatches(r, ['kp_driving']);
  });
});

describe('batch pass, bad input', () => {
  /** x [1,4] → ReduceSum over every axis: the batch would be mixed. */
  function mixing(): Model {
    const b = new GraphBuilder('mix', { seed: 1, opset: 17 });
    const x = b.input('x', DataType.FLOAT, [1, 4]);
    b.output(b.op('ReduceSum', [x], { keepdims: 1 }, { name: 'sum_all' }), 'y', [1, 1]);
    return b.finish();
  }

  it('names the node that would mix the samples', () => {
    expect(() => batch(mixing(), { size: 4 })).toThrow(/node 'sum_all'.*mix the samples/);
  });

  it('workbench optimize --batch: one line, exit 2, no output file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-batch-'));
    const src = join(dir, 'mix.onnx');
    writeModel(mixing(), src);
    const o = join(dir, 'out.onnx');
    const r = await runCli(['optimize', src, '--batch', '4', '-o', o]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/pass batch, node 'sum_all'/);
    expect(existsSync(o)).toBe(false);
  });
});
