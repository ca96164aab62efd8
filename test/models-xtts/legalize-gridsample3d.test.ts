import { describe, expect, it } from 'vitest';
import { PassError, RuntimeError } from '../../src/errors.js';
import { LEGALIZE_GRIDSAMPLE3D_DEFAULTS, NAME, legalizeGridSample3D } from '../../src/models/legalize-gridsample3d.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { getOpset } from '../../src/onnx/graph-utils.js';
import type { Model, Value } from '../../src/onnx/types.js';
import { serializeModel } from '../../src/onnx/write-model.js';
import { createSession, type HostTensor } from '../../src/runtime/index.js';

const FEAT = [1, 4, 4, 6, 6];
const GRID = [1, 4, 6, 6, 3];

/**
 * A warp-like graph: a feature volume sampled twice by tanh-bounded grids (the dense-motion and the final
 * warp), summed, and reduced over depth. `legacy` = GridSample3D custom nodes + ReduceMean with an axes
 * attribute at opset 17 (as the Ditto export); otherwise GridSample + ReduceMean with an axes input at 20.
 */
function warpLike(legacy: boolean, attrs: Record<string, number | string> = { align_corners: 0 }): Model {
  const b = new GraphBuilder('warp_like', { seed: 5, opset: legacy ? 17 : 20, irVersion: 10 });
  const feat = b.input('feature_3d', DataType.FLOAT, FEAT);
  const flow = b.input('flow', DataType.FLOAT, GRID);
  const grid1 = b.op('Tanh', [flow]);
  const grid2 = b.op('Tanh', [b.op('Mul', [flow, b.constFloat('k', [-0.7], [])])]);
  const sample = (grid: Value, name: string): Value =>
    legacy
      ? b.op('GridSample3D', [feat, grid], attrs, { name })
      : b.op('GridSample', [feat, grid], { mode: 'linear', padding_mode: 'zeros', align_corners: 0 }, { name });
  const s = b.op('Add', [sample(grid1, '/dense_motion_network/GridSample'), sample(grid2, '/GridSample')]);
  const reduced = legacy ? b.op('ReduceMean', [s], { axes: [2], keepdims: 0 }) : b.op('ReduceMean', [s, b.constInt64('axes', [2])], { keepdims: 0 });
  b.output(reduced, 'out', [1, 4, 6, 6]);
  return b.finish();
}

const feeds = (): Record<string, HostTensor> => ({
  feature_3d: { type: 'float32', dims: FEAT, data: Float32Array.from({ length: 4 * 4 * 36 }, (_, i) => Math.sin(i * 0.3)) },
  flow: { type: 'float32', dims: GRID, data: Float32Array.from({ length: 4 * 36 * 3 }, (_, i) => 1.5 * Math.cos(i * 0.17)) },
});

async function run(m: Model): Promise<Float32Array> {
  const s = await createSession(serializeModel(m), { ep: 'cpu', intraOpThreads: 1 });
  try {
    return (await s.run(feeds())).out?.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe('legalizeGridSample3D', () => {
  it('makes the Ditto-style warp graph loadable and numerically equal to the native GridSample graph', async () => {
    const legacy = warpLike(true);
    await expect(createSession(serializeModel(legacy), { ep: 'cpu' })).rejects.toThrow(RuntimeError);
    await expect(createSession(serializeModel(legacy), { ep: 'cpu' })).rejects.toThrow(/GridSample3D/);
    const fixed = legalizeGridSample3D(legacy, {});
    expect(getOpset(fixed)).toBe(20);
    expect(getOpset(legacy)).toBe(17); // pure: the input is untouched
    expect(legacy.graph.nodes.filter((n) => n.opType === 'GridSample3D')).toHaveLength(2);
    expect(fixed.graph.nodes.filter((n) => n.opType === 'GridSample3D')).toHaveLength(0);
    const rm = fixed.graph.nodes.find((n) => n.opType === 'ReduceMean');
    expect(rm?.attr('axes')).toBeUndefined();
    expect(rm?.inputs[1]?.initializer).toBeDefined();
    const passes = JSON.parse(fixed.metadataProps.find((e) => e.key === 'workbench.passes')?.value ?? '[]') as unknown;
    expect(passes).toEqual([{ pass: NAME, options: LEGALIZE_GRIDSAMPLE3D_DEFAULTS }]);
    const got = await run(fixed);
    const want = await run(warpLike(false));
    expect(got.length).toBe(4 * 36);
    let diff = 0;
    for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs((got[i] ?? 0) - (want[i] ?? 0)));
    expect(diff).toBe(0);
    expect(want.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });

  it('carries PyTorch enum attributes over (border padding, align_corners)', async () => {
    const fixed = legalizeGridSample3D(warpLike(true, { interpolation_mode: 0, padding_mode: 1, align_corners: 1 }));
    const n = fixed.graph.nodes.find((x) => x.opType === 'GridSample');
    const str = (k: string): string | undefined => {
      const a = n?.attr(k);
      return a?.type === 'string' ? new TextDecoder().decode(a.value) : undefined;
    };
    expect(str('mode')).toBe('linear');
    expect(str('padding_mode')).toBe('border');
    expect(n?.attr('align_corners')).toEqual({ type: 'int', value: 1n });
    expect((await run(fixed)).every(Number.isFinite)).toBe(true);
  });

  it('migrates Split without a split input and refuses what it cannot translate', async () => {
    const b = new GraphBuilder('split17', { opset: 17 });
    const x = b.input('x', DataType.FLOAT, [1, 6]);
    const [p, q] = b.op('Split', [x], { axis: 1 }, { outputs: 2 }) as [Value, Value];
    b.output(b.op('Sub', [p, q]), 'out', [1, 3]);
    const fixed = legalizeGridSample3D(b.finish());
    expect(fixed.graph.nodes[0]?.attr('num_outputs')).toEqual({ type: 'int', value: 2n });
    const s = await createSession(serializeModel(fixed), { ep: 'cpu' });
    const o = await s.run({ x: { type: 'float32', dims: [1, 6], data: Float32Array.from([1, 2, 3, 10, 20, 30]) } });
    expect([...(o.out?.data as Float32Array)]).toEqual([-9, -18, -27]);
    await s.release();

    expect(() => legalizeGridSample3D(warpLike(true, { mode: 'bicubic' }))).toThrow(PassError);
    expect(() => legalizeGridSample3D(warpLike(true, { foo: 1 }))).toThrow(/GridSample3D attribute 'foo'/);
    expect(() => legalizeGridSample3D(warpLike(true), { targetOpset: 18 })).toThrow(/opset 20/);
    const g = new GraphBuilder('gn17', { opset: 17 });
    const y = g.input('y', DataType.FLOAT, [1, 4, 3]);
    g.output(g.op('GroupNormalization', [y, g.constFloat('s', [1, 1]), g.constFloat('b', [0, 0])], { num_groups: 2 }, { name: 'gn' }), 'out');
    expect(() => legalizeGridSample3D(g.finish())).toThrow(/node 'gn'.*GroupNormalization/);
  });
});
