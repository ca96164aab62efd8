/**
 * A CUDA sweep marks variants whose rewritten roles had nodes off the EP (fake driver with a synthetic
 * placement check): the result field, one warning line naming the nodes, and the report (detail row,
 * summary field, console table). CPU sweeps and baselines are not checked.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPlacement, type NodePlacement } from '../../src/analysis/placement.js';
import { buildSweepReport, summarizeSweepReport } from '../../src/report/build-sweep-report.js';
import { renderSweepConsole } from '../../src/report/render-console.js';
import { runSweep } from '../../src/sweep/run-sweep.js';
import type { SweepSpec, VariantPlacement } from '../../src/sweep/types.js';
import { placementLineOf, rolePlacementOf, variantPlacementOf } from '../../src/sweep/variant-placement.js';
import { createFakeDriver } from './helpers/fake-driver.js';

const SPEC: SweepSpec = {
  schemaVersion: 1,
  name: 'placement',
  variants: [{ name: 'fp32-baseline' }, { name: 'fp16', precision: { '*': 'fp16' } }, { name: 'decoder-fp16', precision: { decoder: 'fp16' } }],
};
const node = (name: string, opType: string, provider: string): NodePlacement => ({ name, opType, provider, outputTypes: ['float'] });
const GPU = 'CUDAExecutionProvider';
const CPU = 'CPUExecutionProvider';

/** What the check gives per role: the FP16 warp with its GridSamples on the CPU, every other role clean. */
function fakePlacement(roles: string[]): VariantPlacement {
  return variantPlacementOf(
    'cuda',
    roles.map((role) =>
      rolePlacementOf(
        role,
        checkPlacement(
          role === 'warp_network'
            ? [
                node('Conv_0', 'Conv', GPU),
                node('InsertedPrecisionFreeCast_g', 'Cast', CPU),
                node('/dense_motion_network/GridSample', 'GridSample', CPU),
                node('/GridSample', 'GridSample', CPU),
              ]
            : [node(`${role}/Conv`, 'Conv', GPU)],
          'cuda',
        ),
      ),
    ),
  );
}

describe('sweep placement check', () => {
  it('marks an off-EP variant in results.jsonl, the log and the report; clean ones are recorded clean', async () => {
    const driver = createFakeDriver();
    const checked: string[] = [];
    driver.checkPlacement = async (_manifest, v) => {
      checked.push(v.name);
      return fakePlacement(v.name === 'fp16' ? ['decoder', 'warp_network'] : ['decoder']);
    };
    const lines: string[] = [];
    const r = await runSweep(SPEC, { out: mkdtempSync(join(tmpdir(), 'wb-place-')), ep: 'cuda', driver, log: (s) => lines.push(s) });
    expect(checked).toEqual(['fp16', 'decoder-fp16']);
    const [base, fp16, dec] = r.results;
    expect(base?.placement).toBeUndefined();
    expect(fp16?.placement?.status).toBe('off-ep');
    expect(fp16?.placement?.roles.find((x) => x.role === 'warp_network')).toMatchObject({ status: 'off-ep', offEpCount: 3 });
    expect(dec?.placement?.status).toBe('clean');
    const warn = lines.join('').match(/^sweep: warning: .*$/gm) ?? [];
    expect(warn).toEqual([
      'sweep: warning: fp16: nodes off the CUDA EP: warp_network 3 (InsertedPrecisionFreeCast_g, /dense_motion_network/GridSample, /GridSample)',
    ]);

    const report = buildSweepReport(r.results, { generatedAt: 'fixed' });
    const rows = Object.fromEntries(report.details.find((d) => d.name === 'fp16')?.rows ?? []);
    expect(rows.placement).toMatch(/^OFF EP: nodes off the CUDA EP: warp_network 3 /);
    expect(Object.fromEntries(report.details.find((d) => d.name === 'decoder-fp16')?.rows ?? []).placement).toBe('clean: every node of decoder on the CUDA EP');
    const summary = summarizeSweepReport(report);
    expect(summary.variants.find((v) => v.name === 'fp16')?.offEp).toMatch(/warp_network 3/);
    expect(summary.variants.find((v) => v.name === 'decoder-fp16')?.offEp).toBeUndefined();
    const text = renderSweepConsole(report);
    expect(text).toMatch(/^\S+\s+fp16\s.*OFF EP$/m);
    expect(text).toMatch(/^  fp16: nodes off the CUDA EP: warp_network 3 /m);
  });

  it('is not run on a CPU sweep; a check that throws is recorded as skipped without failing the variant', async () => {
    const driver = createFakeDriver();
    let calls = 0;
    driver.checkPlacement = async () => {
      calls++;
      throw new Error('no GPU here');
    };
    const cpu = await runSweep(SPEC, { out: mkdtempSync(join(tmpdir(), 'wb-place-')), ep: 'cpu', driver, log: () => undefined });
    expect(calls).toBe(0);
    expect(cpu.results.every((x) => x.placement === undefined)).toBe(true);
    const gpu = await runSweep(SPEC, { out: mkdtempSync(join(tmpdir(), 'wb-place-')), ep: 'cuda', driver, log: () => undefined });
    expect(gpu.results[1]).toMatchObject({ status: 'ok', placement: { status: 'skipped', roles: [{ reason: 'no GPU here' }] } });
  });

  it('truncates long name lists with the full count', () => {
    const many = variantPlacementOf('cuda', [
      rolePlacementOf(
        'lmdm',
        checkPlacement(
          Array.from({ length: 30 }, (_, i) => node(`n${i}`, 'Add', CPU)),
          'cuda',
        ),
      ),
    ]);
    expect(many.roles[0]?.offEp).toHaveLength(20);
    expect(placementLineOf(many, 3)).toBe('nodes off the CUDA EP: lmdm 30 (n0, n1, n2 +27 more)');
  });
});
