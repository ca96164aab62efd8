/**
 * The pad-channels pass (tiny warp network, CPU): the hourglass's 44-channel input and the mask conv's 22
 * outputs become 48 and 24 with zero weights; the warp's output stays within 1e-6 relative L2 of the
 * original; every padded conv is a multiple of 8; a second application changes nothing; the padded output
 * flows through the conv's BatchNormalization and Relu before it is sliced back; the FP16 pass runs after it;
 * bad options are refused naming the option, flag or spec field (exit 2, no output file).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readModel } from '../../src/onnx/read-model.js';
import type { Model } from '../../src/onnx/types.js';
import { readPassRecords } from '../../src/quantize/common.js';
import { randomFeeds, runModel } from '../../src/quantize/execute.js';
import { fp16 } from '../../src/quantize/fp16.js';
import { compareArrays } from '../../src/quantize/metrics.js';
import { padChannels, padChannelsWithReport } from '../../src/quantize/pad-channels.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import { runCli } from '../helpers/capture.js';
import { TINY_DIR, tinyManifest } from '../runner/tiny-set.js';

let warp: Model;
let warpFile: string;
beforeAll(async () => {
  await tinyManifest();
  warpFile = join(TINY_DIR, 'ditto', 'warp_network.onnx');
  warp = readModel(warpFile).model;
}, 120_000);

/** [Cout, Cin] of every group-1 Conv whose weight is an initializer, by node name. */
function convChannels(m: Model): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const n of m.graph.nodes) {
    const w = n.inputs[1]?.initializer;
    if (n.opType === 'Conv' && w) out.set(n.name, [w.dims[0] ?? 0, w.dims[1] ?? 0]);
  }
  return out;
}

describe('pad-channels pass', () => {
  it('pads the misaligned convs of the warp network and keeps its output', async () => {
    const before = convChannels(warp);
    const { model, report } = padChannelsWithReport(warp);
    const after = convChannels(model);
    expect(report.stats).toMatchObject({ convsPadded: 2, inputChannelsAdded: 4, outputChannelsAdded: 2 });
    for (const [name, [cout, cin]] of after) {
      const [c0 = 0, c1 = 0] = before.get(name) ?? [];
      for (const [was, now] of [
        [c0, cout],
        [c1, cin],
      ] as const)
        expect(now).toBe(was >= 16 && was % 8 !== 0 ? Math.ceil(was / 8) * 8 : was);
    }
    expect([...after.values()].filter(([o, i]) => (o >= 16 && o % 8) || (i >= 16 && i % 8))).toEqual([]);
    expect(readPassRecords(model).at(-1)).toEqual({ pass: 'pad-channels', options: { multiple: 8, minChannels: 16 } });
    // Feature volume and keypoints in the ranges the warp sees (keypoints inside the [-1, 1] grid). Also with
    // every hourglass conv padded (16, from 4 channels up), so padded BatchNormalizations run too.
    const feeds = randomFeeds(warp, 2, { seed: 3, std: 0.3 });
    const ref = await runModel(warp, feeds);
    for (const m of [model, padChannels(warp, { multiple: 16, minChannels: 4 })]) {
      const got = await runModel(m, feeds);
      for (let i = 0; i < feeds.length; i++) {
        const r = ref[i]?.out as Float32Array;
        expect(r.some((x) => x !== 0)).toBe(true);
        expect(compareArrays(r, got[i]?.out as Float32Array).relL2).toBeLessThan(1e-6);
      }
    }
  });

  it('slices after the conv’s BatchNormalization and Relu, and is a no-op the second time', () => {
    const slices = (m: Model): string[] =>
      m.graph.nodes
        .filter((n) => n.opType === 'Slice' && n.name.endsWith('slice_channels'))
        .map((n) => `${n.inputs[0]?.producer?.inputs[0]?.producer?.opType} ${n.inputs[0]?.producer?.opType}`);
    // The mask conv feeds a Softmax over the channels: sliced right after the conv.
    expect(slices(padChannels(warp)).map((s) => s.split(' ')[1])).toEqual(['Conv']);
    expect(slices(padChannels(warp, { multiple: 16, minChannels: 4 }))).toContain('BatchNormalization Relu');
    const once = padChannels(warp);
    const twice = padChannelsWithReport(once);
    expect(twice.report.stats).toEqual({});
    expect(twice.model.graph.nodes.length).toBe(once.graph.nodes.length);
  });

  it('leaves counts under minChannels and grouped convs alone, and takes other multiples', () => {
    expect(padChannelsWithReport(warp, { minChannels: 64 }).report.stats).toEqual({});
    const by16 = convChannels(padChannels(warp, { multiple: 16 }));
    expect([...by16.values()].filter(([o, i]) => (o >= 16 && o % 16) || (i >= 16 && i % 16))).toEqual([]);
  });

  it('is followed by the FP16 pass', () => {
    const m = fp16(padChannels(warp), { keepIoTypes: true });
    expect(readPassRecords(m).map((r) => r.pass)).toEqual(['pad-channels', 'fp16']);
    expect(m.graph.nodes.filter((n) => n.opType === 'Pad' || n.opType === 'Slice').length).toBeGreaterThanOrEqual(2);
  });

  it('refuses bad options naming the option, the flag or the spec field', async () => {
    expect(() => padChannels(warp, { multiple: 0 })).toThrow(/pass pad-channels: multiple must be a whole number ≥ 1, got 0/);
    const dir = mkdtempSync(join(tmpdir(), 'wb-pad-'));
    const dst = join(dir, 'w.onnx');
    const r = await runCli(['optimize', warpFile, '-o', dst, '--pad-channels', '2.5']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/multiple must be a whole number ≥ 1, got 2.5/);
    expect(existsSync(dst)).toBe(false);
    const ok = await runCli(['optimize', warpFile, '-o', dst, '--pad-channels']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/passes: pad-channels/);
    const json = { schemaVersion: 1, name: 'pad', variants: [{ name: 'p', passes: { warp_network: [{ pass: 'pad-channels', multiple: -8 }] } }] };
    expect(() => parseSweepSpec(json, join(dir, 'spec.json'))).toThrow(
      /variants\[0\]\.passes\.warp_network\[0\]\.multiple: expected a whole number ≥ 1, got -8/,
    );
  });
});
