import { describe, expect, it } from 'vitest';
import { DITTO_BUILDERS, dittoIo } from '../../src/models/ditto/index.js';
import { DITTO_ROLES, type DittoRole } from '../../src/models/manifest.js';
import { DataType } from '../../src/onnx/dtype.js';
import { inferShapes } from '../../src/onnx/shape-inference.js';
import type { Model, Value } from '../../src/onnx/types.js';

/** The full-scale contract of models.md §1.3, written out independently of dittoIo(). */
const CONTRACT: Record<DittoRole, { inputs: [string, (number | string)[]][]; outputs: [string, (number | string)[]][] }> = {
  appearance_extractor: { inputs: [['image', [1, 3, 256, 256]]], outputs: [['pred', [1, 32, 16, 64, 64]]] },
  motion_extractor: {
    inputs: [['image', [1, 3, 256, 256]]],
    outputs: [
      ['pitch', [1, 66]],
      ['yaw', [1, 66]],
      ['roll', [1, 66]],
      ['t', [1, 3]],
      ['exp', [1, 63]],
      ['scale', [1, 1]],
      ['kp', [1, 63]],
    ],
  },
  stitch_network: {
    inputs: [
      ['kp_source', [1, 21, 3]],
      ['kp_driving', [1, 21, 3]],
    ],
    outputs: [['out', [1, 21, 3]]],
  },
  warp_network: {
    inputs: [
      ['feature_3d', [1, 32, 16, 64, 64]],
      ['kp_source', [1, 21, 3]],
      ['kp_driving', [1, 21, 3]],
    ],
    outputs: [['out', [1, 256, 64, 64]]],
  },
  decoder: { inputs: [['feature', [1, 256, 64, 64]]], outputs: [['output', [1, 3, 512, 512]]] },
  lmdm: {
    inputs: [
      ['x', [1, 80, 265]],
      ['cond_frame', [1, 265]],
      ['cond', [1, 80, 1103]],
      ['time_cond', [1]],
    ],
    outputs: [
      ['pred_noise', [1, 80, 265]],
      ['x_start', [1, 80, 265]],
    ],
  },
  hubert: { inputs: [['input_values', [1, 'N']]], outputs: [['encoding_out', ['T', 1024]]] },
};

const io = (vs: Value[]): [string, (number | string | undefined)[]][] => vs.map((v) => [v.name, v.tensorType?.shape ?? []]);

describe('full-scale Ditto I/O contract', () => {
  const models = new Map<DittoRole, Model>(DITTO_ROLES.map((r) => [r, DITTO_BUILDERS[r]({ scale: 'full', seed: 1, weights: 'none' })]));

  for (const role of DITTO_ROLES) {
    it(`${role}: declared inputs/outputs, names in order, and dittoIo('full') agrees`, () => {
      const m = models.get(role) as Model;
      expect(io(m.graph.inputs)).toEqual(CONTRACT[role].inputs);
      expect(io(m.graph.outputs)).toEqual(CONTRACT[role].outputs);
      const spec = dittoIo('full')[role];
      expect(Object.entries(spec.inputs).map(([n, s]) => [n, s.shape])).toEqual(CONTRACT[role].inputs);
      expect(Object.entries(spec.outputs).map(([n, s]) => [n, s.shape])).toEqual(CONTRACT[role].outputs);
    });

    it(`${role}: shape inference reaches the declared output shapes`, () => {
      const m = models.get(role) as Model;
      const dims: Record<string, number> = role === 'hubert' ? { N: 6480 } : {};
      const inferred = inferShapes(m, { dims, strict: true });
      const want = role === 'hubert' ? [['encoding_out', [20, 1024]]] : CONTRACT[role].outputs;
      expect(io(inferred.graph.outputs)).toEqual(want);
    });
  }

  it('lmdm time_cond is int64', () => {
    const t = models.get('lmdm')?.graph.inputs.find((v) => v.name === 'time_cond');
    expect(t?.tensorType?.elemType).toBe(DataType.INT64);
  });

  it('warp_network: opset 20 and exactly two 5-D GridSample nodes (linear, zeros, align_corners 0)', () => {
    const m = models.get('warp_network') as Model;
    expect(m.opsetImports.find((o) => o.domain === '')?.version).toBe(20);
    const inferred = inferShapes(m, { strict: true });
    const gs = inferred.graph.nodes.filter((n) => n.opType === 'GridSample');
    expect(gs).toHaveLength(2);
    for (const n of gs) {
      expect(n.domain).toBe('');
      expect(n.inputs[0]?.tensorType?.shape).toHaveLength(5);
      expect(n.inputs[1]?.tensorType?.shape?.[4]).toBe(3);
      const str = (a: string): string => {
        const v = n.attr(a);
        return v?.type === 'string' ? new TextDecoder().decode(v.value) : '';
      };
      expect(str('mode')).toBe('linear');
      expect(str('padding_mode')).toBe('zeros');
      expect(n.attr('align_corners')).toEqual({ type: 'int', value: 0n });
    }
    // #1 samples the 22 repeated compressed volumes, #2 the full feature volume.
    expect(gs.map((n) => n.inputs[0]?.tensorType?.shape)).toEqual([
      [22, 4, 16, 64, 64],
      [1, 32, 16, 64, 64],
    ]);
  });
});
