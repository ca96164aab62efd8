/**
 * compose and render-graph on the tiny Ditto renderer roles (ORT, CPU EP): the composed renderer — with the
 * source as inputs or baked in — gives the three-call path's frame; invariants hold; a composed model
 * round-trips byte for byte through the writer; bad links through the CLI are one line, exit 2, no file.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDecoder } from '../../src/models/ditto/decoder.js';
import { buildStitchNetwork } from '../../src/models/ditto/stitch-network.js';
import { buildWarpNetwork } from '../../src/models/ditto/warp-network.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { createRng } from '../../src/onnx/rng.js';
import { parseModel, readModel } from '../../src/onnx/read-model.js';
import type { Model } from '../../src/onnx/types.js';
import { verifyModel } from '../../src/onnx/verify.js';
import { serializeModel, writeModel } from '../../src/onnx/write-model.js';
import { readPassRecords } from '../../src/quantize/common.js';
import { compose } from '../../src/quantize/compose.js';
import { fp16 } from '../../src/quantize/fp16.js';
import { runModel, type Feeds } from '../../src/quantize/execute.js';
import { compareArrays } from '../../src/quantize/metrics.js';
import { readRenderGraphRecord, renderGraph } from '../../src/quantize/render-graph.js';
import { runCli } from '../helpers/capture.js';

const opts = { scale: 'tiny' as const, seed: 1, weights: 'random' as const };
let stitch: Model;
let warp: Model;
let decoder: Model;
let feeds: Feeds;
let reference: Float32Array;

function rand(dims: number[], seed: number, std: number): { type: 'float32'; dims: number[]; data: Float32Array } {
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  createRng(seed).fillUniform(data, std, 0);
  return { type: 'float32', dims, data };
}

beforeAll(async () => {
  stitch = buildStitchNetwork(opts);
  warp = buildWarpNetwork(opts);
  decoder = buildDecoder(opts);
  const fdims = (warp.graph.inputs[0]?.tensorType?.shape ?? []) as number[];
  feeds = { kp_source: rand([1, 21, 3], 2, 0.3), kp_driving: rand([1, 21, 3], 3, 0.3), feature_3d: rand(fdims, 4, 1) };
  // The per-frame path: three calls.
  const st = (await runModel(stitch, [{ kp_source: feeds.kp_source!, kp_driving: feeds.kp_driving! }]))[0]!;
  const wp = (
    await runModel(warp, [{ feature_3d: feeds.feature_3d!, kp_source: feeds.kp_source!, kp_driving: { type: 'float32', dims: [1, 21, 3], data: st.out! } }])
  )[0]!;
  const outDims = (warp.graph.outputs[0]?.tensorType?.shape ?? []) as number[];
  reference = (await runModel(decoder, [{ feature: { type: 'float32', dims: outDims, data: wp.out! } }]))[0]!.output!;
});

describe('render-graph (compose of stitch, warp, decoder)', () => {
  it('gives the per-frame path’s frame, with the source as inputs', async () => {
    const m = renderGraph({ stitch, warp, decoder });
    verifyModel(m);
    expect(m.graph.inputs.map((v) => v.name).sort()).toEqual(['feature_3d', 'kp_driving', 'kp_source']);
    expect(m.graph.outputs.map((v) => v.name)).toEqual(['output']);
    expect(m.opsetImports.find((o) => o.domain === '')?.version).toBe(20);
    const got = (await runModel(m, [feeds]))[0]!.output!;
    expect(compareArrays(reference, got).relL2).toBeLessThan(1e-6);
    expect(readPassRecords(m).map((r) => r.pass)).toEqual(['compose', 'render-graph']);
  });

  it('with the source baked: only kp_driving goes in; same frame; round-trips byte for byte', async () => {
    const m = renderGraph(
      { stitch, warp, decoder },
      {
        bakeSource: {
          feature3d: feeds.feature_3d as unknown as { dims: number[]; data: Float32Array },
          kpSource: feeds.kp_source as unknown as { dims: number[]; data: Float32Array },
        },
      },
    );
    expect(m.graph.inputs.filter((v) => !v.initializer).map((v) => v.name)).toEqual(['kp_driving']);
    expect(readRenderGraphRecord(m)?.baked).toBe(true);
    const got = (await runModel(m, [{ kp_driving: feeds.kp_driving! }]))[0]!.output!;
    expect(compareArrays(reference, got).relL2).toBeLessThan(1e-6);
    const bytes = serializeModel(m);
    const back = parseModel(bytes, 'mem');
    verifyModel(back);
    expect(Buffer.compare(Buffer.from(serializeModel(back)), Buffer.from(bytes))).toBe(0);
  });
});

describe('render-graph with a float16 decoder', () => {
  it('links float32 → float16 through a Cast (castFloatLinks); the frame stays close', async () => {
    const m = renderGraph({ stitch, warp, decoder: fp16(decoder) });
    verifyModel(m);
    expect(m.graph.nodes.some((n) => n.opType === 'Cast' && n.name.startsWith('decoder/'))).toBe(true);
    const got = (await runModel(m, [feeds]))[0]!.output!;
    expect(compareArrays(reference, got).relL2).toBeLessThan(1e-2);
    expect(() => compose([stitch, fp16(stitch)], { links: [{ from: 'out', fromModel: 0, to: 'kp_driving', toModel: 1 }] })).toThrow(/element types differ/);
  });
});

/** x [1,4] float → y; with another name or type for the mismatch cases. */
function small(name: string, inName: string, outName: string, type: number = DataType.FLOAT, dims = [1, 4]): Model {
  const b = new GraphBuilder(name, { seed: 1 });
  const x = b.input(inName, type, dims);
  b.output(b.op('Identity', [b.op('Identity', [x], {}, { name: 'same_node' })]), outName, dims);
  return b.finish();
}

describe('workbench compose', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wb-compose-'));
  const a = join(dir, 'a.onnx');
  const b = join(dir, 'b.onnx');
  const c = join(dir, 'c.onnx');
  const d = join(dir, 'd.onnx');
  beforeAll(() => {
    writeModel(small('a', 'x', 'y'), a);
    writeModel(small('b', 'y_in', 'z'), b);
    writeModel(small('c', 'y_in', 'z', DataType.INT64), c);
    writeModel(small('d', 'y_in', 'z', DataType.FLOAT, [1, 5]), d);
  });

  it('writes one graph, renaming clashing node names', async () => {
    const o = join(dir, 'ab.onnx');
    const r = await runCli(['compose', a, b, '--map', 'y:y_in', '-o', o]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = readModel(o).model;
    expect(m.graph.inputs.map((v) => v.name)).toEqual(['x']);
    expect(m.graph.outputs.map((v) => v.name)).toEqual(['z']);
    expect(m.graph.nodes.map((n) => n.name)).toContain('b/same_node');
    const x = rand([1, 4], 5, 1);
    expect((await runModel(m, [{ x }]))[0]!.z).toEqual(x.data);
  });

  it('reads external data and writes the composed weights where --external-data says', async () => {
    const ext = join(dir, 'stitch-ext.onnx');
    writeModel(stitch, ext, { externalDataThreshold: 256 });
    const id = join(dir, 'kp-id.onnx');
    writeModel(small('kp', 'kp_in', 'kp_out', DataType.FLOAT, [1, 21, 3]), id);
    const o = join(dir, 'stitch-kp.onnx');
    const r = await runCli(['compose', ext, id, '--map', 'out:kp_in', '-o', o, '--external-data', '256']);
    expect(r.stderr).toBe('');
    expect(existsSync(`${o}.data`)).toBe(true);
    const m = readModel(o).model;
    const f = { kp_source: feeds.kp_source!, kp_driving: feeds.kp_driving! };
    expect((await runModel(m, [f]))[0]!.kp_out).toEqual((await runModel(stitch, [f]))[0]!.out);
  });

  it.each([
    ['a missing output', () => [a, b, '--map', 'nope:y_in'], /output 'nope' is in none of the models/],
    ['a missing input', () => [a, b, '--map', 'y:nope'], /input 'nope' is in none of the models/],
    ['mismatched dtypes', () => [a, c, '--map', 'y:y_in'], /output 'y' → input 'y_in'.*element types differ/],
    ['mismatched shapes', () => [a, d, '--map', 'y:y_in'], /output 'y' → input 'y_in'.*shapes differ \(\[1,4\] vs \[1,5\]\)/],
  ])('%s: one line, exit 2, no output file', async (_what, args, message) => {
    const o = join(dir, `bad-${Math.random().toString(36).slice(2)}.onnx`);
    const r = await runCli(['compose', ...args(), '-o', o]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(o)).toBe(false);
  });

  it('refuses to write over an input (output guard): exit 2, input unchanged', async () => {
    const before = readFileSync(a);
    const r = await runCli(['compose', a, b, '--map', 'y:y_in', '-o', a]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to overwrite the input/);
    expect(readFileSync(a).equals(before)).toBe(true);
  });

  it('merges an input the models share and refuses one whose shape differs', async () => {
    const two = (dims: number[]): Model => {
      const g = new GraphBuilder('f', { seed: 1 });
      g.output(g.op('Add', [g.input('x', DataType.FLOAT, dims), g.input('y_in', DataType.FLOAT, [1, 4])]), 'w', [1, 4]);
      return g.finish();
    };
    const m = compose([small('a', 'x', 'y'), two([1, 4])], { links: [{ from: 'y', to: 'y_in' }] });
    expect(m.graph.inputs.map((v) => v.name)).toEqual(['x']);
    const x = rand([1, 4], 6, 1);
    expect((await runModel(m, [{ x }]))[0]!.w).toEqual(x.data.map((v) => v + v));
    expect(() => compose([small('a', 'x', 'y'), two([1, 1])], { links: [{ from: 'y', to: 'y_in' }] })).toThrow(/shared input 'x'.*shapes differ/);
  });

  it('raises a lower opset only where no op changed meaning, else names the op', () => {
    const reduce = (opset: number): Model => {
      const g = new GraphBuilder('r', { seed: 1, opset });
      g.output(g.op('ReduceMean', [g.input('x', DataType.FLOAT, [1, 4])], { axes: [1], keepdims: 1 }, { name: 'mean17' }), 'y', [1, 1]);
      return g.finish();
    };
    const at20 = (): Model => {
      const g = new GraphBuilder('t', { seed: 1, opset: 20 });
      g.output(g.op('Relu', [g.input('y_in', DataType.FLOAT, [1, 1])]), 'z', [1, 1]);
      return g.finish();
    };
    expect(() => compose([reduce(17), at20()], { links: [{ from: 'y', to: 'y_in' }] })).toThrow(/node 'mean17': op ReduceMean changed meaning at opset 18/);
    const ok = compose([small('a', 'x', 'y', DataType.FLOAT, [1, 1]), at20()], { links: [{ from: 'y', to: 'y_in' }] });
    expect(ok.opsetImports).toEqual([{ domain: '', version: 20 }]);
  });
});
