import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompareReport } from '../../src/compare/compare-models.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { runCli } from '../helpers/capture.js';

function model(perturb: number) {
  const b = new GraphBuilder('cmp', { seed: 5 });
  const x = b.input('x', DataType.FLOAT, [1, 'N']);
  const w = b.weight('w', [1, 1], { constant: 1 + perturb });
  b.output(b.op('Mul', [x, w]), 'y');
  return b.finish();
}

describe('workbench compare', () => {
  it('times a baseline and variants in one run and measures their output error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-cmp-'));
    const base = join(dir, 'base.onnx');
    const same = join(dir, 'same.onnx');
    const off = join(dir, 'off.onnx');
    writeModel(model(0), base);
    writeModel(model(0), same);
    writeModel(model(0.01), off);
    const json = join(dir, 'r.json');
    const r = await runCli(['compare', base, same, off, '--runs', '5', '--warmup', '1', '--dim', 'N=64', '--json', json]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(json, 'utf8')) as CompareReport;
    expect(rep.inputs[0]?.dims).toEqual([1, 64]);
    expect(rep.rows).toHaveLength(3);
    expect(rep.rows[1]?.error.relL2).toBe(0);
    expect(rep.rows[2]?.error.relL2).toBeCloseTo(0.01 / 1.0, 3);
    for (const row of rep.rows) {
      expect(row.latencyMs.median).toBeGreaterThan(0);
      expect(Number.isFinite(row.speedup)).toBe(true);
    }
    expect(r.stdout).toContain('speedup');
  });
});
