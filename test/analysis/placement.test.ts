/**
 * The placement check: the analysis on synthetic placements (what a CUDA session of the FP16 warp gave on
 * the H200), optimize's per-pass check with a synthetic probe, and the probe itself on the CPU EP, where
 * ORT's cast insertion for a GridSample whose X and grid types differ shows the mechanism behind issue 15.
 */
import { describe, expect, it } from 'vitest';
import { checkPlacement, listNames, offEpNodes, placementWarning, skippedPlacement, type NodePlacement } from '../../src/analysis/placement.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { serializeModel } from '../../src/onnx/write-model.js';
import { checkModelPlacement, probePlacement } from '../../src/profiler/placement-probe.js';
import { optimize } from '../../src/quantize/optimize.js';
import { gridSampleModel } from '../quantize/models.js';

const cuda = (name: string, opType: string, out = 'float16'): NodePlacement => ({ name, opType, provider: 'CUDAExecutionProvider', outputTypes: [out] });
const cpu = (name: string, opType: string, out = 'float'): NodePlacement => ({ name, opType, provider: 'CPUExecutionProvider', outputTypes: [out] });

/** The FP16 warp's placement on the H200 before the fix (issue 15), shortened. */
const WARP_FP16_H200: NodePlacement[] = [
  cuda('dense_motion_network.compress/Conv', 'Conv'),
  cpu('InsertedPrecisionFreeCast_Reshape_9_output_0', 'Cast'),
  cpu('/dense_motion_network/GridSample', 'GridSample'),
  cuda('dense_motion_network.mask/Conv', 'Conv'),
  cuda('Memcpy_token_1', 'MemcpyToHost', 'float'),
  cpu('InsertedPrecisionFreeCast_Transpose_52_output_0', 'Cast'),
  cpu('/GridSample', 'GridSample'),
  cpu('/Gather_shape', 'Gather', 'int64'),
  cuda('fourth/Conv', 'Conv'),
  cuda('fourth/Conv', 'Conv'),
];

describe('placement check (analysis)', () => {
  it('names the compute nodes and ORT-inserted Casts off the CUDA EP; shape nodes and Memcpy do not count', () => {
    const c = checkPlacement(WARP_FP16_H200, 'cuda');
    expect(c.status).toBe('off-ep');
    expect(c.nodes).toBe(9);
    expect(offEpNodes(c).map((n) => [n.name, n.kind])).toEqual([
      ['InsertedPrecisionFreeCast_Reshape_9_output_0', 'inserted'],
      ['/dense_motion_network/GridSample', 'compute'],
      ['InsertedPrecisionFreeCast_Transpose_52_output_0', 'inserted'],
      ['/GridSample', 'compute'],
    ]);
    expect(c.offEp.find((n) => n.kind === 'shape')?.name).toBe('/Gather_shape');
    expect(placementWarning(c)).toBe(
      '4 nodes off CUDAExecutionProvider (on CPUExecutionProvider): InsertedPrecisionFreeCast_Reshape_9_output_0 (ORT-inserted Cast), /dense_motion_network/GridSample (GridSample), InsertedPrecisionFreeCast_Transpose_52_output_0 (ORT-inserted Cast), /GridSample (GridSample)',
    );
    expect(placementWarning(c, 2)).toMatch(/\(ORT-inserted Cast\), \/dense_motion_network\/GridSample \(GridSample\) \+2 more$/);
  });

  it('is clean when only shape nodes are on the CPU, and trivially clean for a CPU target', () => {
    const clean = checkPlacement([cuda('a', 'Conv'), cpu('s', 'Concat', 'int64')], 'cuda');
    expect(clean.status).toBe('clean');
    expect(placementWarning(clean)).toBeUndefined();
    expect(
      checkPlacement(
        WARP_FP16_H200.map((n) => ({ ...n, provider: 'CPUExecutionProvider' })),
        'cpu',
      ).status,
    ).toBe('clean');
    expect(placementWarning(skippedPlacement('cuda', 'no CUDA EP available'))).toBeUndefined();
    expect(listNames(['a', 'b', 'c'], 2)).toBe('a, b +1 more');
  });
});

describe('optimize: placement after every rewrite', () => {
  it('records the check per pass and warns with the node names when nodes fell off the EP', async () => {
    const seen: string[] = [];
    const { reports } = await optimize(
      gridSampleModel(),
      [
        { pass: 'fp16', options: { keepIoTypes: true } },
        { pass: 'int8', options: { mode: 'dynamic', targetEp: 'cuda' } },
      ],
      {
        placement: async (_m, pass) => {
          seen.push(pass);
          return checkPlacement(pass === 'fp16' ? WARP_FP16_H200 : [cuda('x', 'Conv')], 'cuda');
        },
      },
    );
    expect(seen).toEqual(['fp16', 'int8-dynamic']);
    expect(reports[0]?.placement?.status).toBe('off-ep');
    const w = reports[0]?.warnings.filter((x) => x.code === 'placement-off-ep') ?? [];
    expect(w).toHaveLength(1);
    expect(w[0]?.message).toMatch(/^4 nodes off CUDAExecutionProvider .*\/GridSample \(GridSample\)$/);
    expect(reports[1]?.placement?.status).toBe('clean');
    expect(reports[1]?.warnings.some((x) => x.code === 'placement-off-ep')).toBe(false);
  });
});

describe('placement probe (CPU EP)', () => {
  /** GridSample with X float32 and a float16 grid: valid ONNX (T1 ≠ T2), but no ORT kernel takes it. */
  function mixedGridSample(gridType: number): Uint8Array {
    const b = new GraphBuilder('mixed', { seed: 1, opset: 20 });
    const x = b.input('x', DataType.FLOAT, [1, 2, 4, 4]);
    const g = b.input('g', gridType, [1, 4, 4, 2]);
    b.output(b.op('GridSample', [x, g], { mode: 'linear', padding_mode: 'zeros', align_corners: 0 }, { name: 'gs' }), 'y', [1, 2, 4, 4]);
    return serializeModel(b.finish());
  }

  it('reads every node provider from the trace; a float16 grid makes ORT insert a Cast in front of GridSample', async () => {
    const mixed = await probePlacement(mixedGridSample(DataType.FLOAT16), 'cpu');
    expect(mixed.every((n) => n.provider === 'CPUExecutionProvider')).toBe(true);
    expect(mixed.map((n) => n.name)).toContain('gs');
    // ORT's InsertCastTransformer: the node had no kernel for (float, float16), so its float16 input was cast.
    expect(mixed.filter((n) => n.opType === 'Cast').map((n) => n.name)).toEqual(['InsertedPrecisionFreeCast_g']);
    const same = await probePlacement(mixedGridSample(DataType.FLOAT), 'cpu');
    expect(same.some((n) => n.name.startsWith('Inserted'))).toBe(false);
    expect(same.map((n) => n.opType)).toEqual(['GridSample']);
  });

  it('a CUDA target without a usable CUDA EP is skipped with why; a CPU target is clean without a session', async () => {
    const c = await checkModelPlacement(mixedGridSample(DataType.FLOAT), 'cuda');
    if (c.status === 'skipped') expect(c.reason).toMatch(/^no CUDA EP available: /);
    const onCpu = await checkModelPlacement(mixedGridSample(DataType.FLOAT16), 'cpu');
    expect(onCpu).toMatchObject({ status: 'clean', nodes: 0 });
  });
});
