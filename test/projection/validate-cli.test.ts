import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSweepReport, summarizeSweepReport } from '../../src/report/build-sweep-report.js';
import { renderSweepConsole } from '../../src/report/render-console.js';
import { errorBandFor } from '../../src/projection/error-band.js';
import { projectProfile } from '../../src/projection/project-profile.js';
import { annotateResults, projectResults } from '../../src/projection/project-results.js';
import { recordValidation, validateProjection } from '../../src/projection/validate-projection.js';
import type { ProfileReport } from '../../src/profiler/profile-report.js';
import { runCli } from '../helpers/capture.js';
import { syntheticResults } from '../report/helpers/synthetic-results.js';
import { profile, role, row } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'wb-projection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const onH100 = profile('h100-sxm', [
  role('decoder', [row({ name: 'mm', opType: 'MatMul', type: 'float16', ms: 2, flops: 1e12, bytes: 1e8 })], { e2eMs: 2.01 }),
  role('hubert', [row({ name: 'ln', opType: 'LayerNormalization', ms: 0.5, flops: 1e7, bytes: 1e9 })], { e2eMs: 0.6 }),
]);

/** GPU B's "measured" profile: the projection's per-call times × the given factors. */
function measuredOnH200(factor: Record<string, number>): ProfileReport {
  const proj = projectProfile(onH100, { targets: ['h200'], validations: [] }).targets[0]!;
  const ms = (r: string): number => proj.roles.find((x) => x.role === r)!.callMs * (factor[r] ?? 1);
  return profile('h200', [
    role('decoder', [row({ name: 'mm', opType: 'MatMul', type: 'float16', ms: ms('decoder'), flops: 1e12, bytes: 1e8 })], { e2eMs: ms('decoder') }),
    role('hubert', [row({ name: 'ln', opType: 'LayerNormalization', ms: ms('hubert'), flops: 1e7, bytes: 1e9 })], { e2eMs: ms('hubert') }),
  ]);
}

describe('validation of a projection against a second GPU', () => {
  it('relative error per role and end to end (weighted by calls per audio second)', () => {
    // Measured = projected / 1.25 (decoder) and / 0.8 (hubert): errors +25% and −20%.
    const measured = measuredOnH200({ decoder: 1 / 1.25, hubert: 1 / 0.8 });
    const v = validateProjection(onH100, measured, { fromFile: 'a.json', measuredFile: 'b.json', createdAt: '2026-01-01T00:00:00Z' });
    expect(v.from.id).toBe('h100-sxm');
    expect(v.to.id).toBe('h200');
    const err = Object.fromEntries(v.roles.map((r) => [r.role, r.relError]));
    expect(err.decoder).toBeCloseTo(0.25, 9);
    expect(err.hubert).toBeCloseTo(-0.2, 9);
    // Decoder 25 calls/s, HuBERT 5 calls/s.
    const d = v.roles.find((r) => r.role === 'decoder')!;
    const h = v.roles.find((r) => r.role === 'hubert')!;
    expect(v.endToEnd.relError).toBeCloseTo((25 * d.projectedMs + 5 * h.projectedMs) / (25 * d.measuredMs + 5 * h.measuredMs) - 1, 12);
    expect(v.summary.maxAbsRoleError).toBeCloseTo(0.25, 9);
    // Recorded entries become the error band.
    const file = join(dir, 'validation.json');
    // Start from the committed file's format with no entries (the committed one holds the GPU validations).
    const committed = JSON.parse(readFileSync('src/projection/validation.json', 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...committed, validations: [] }));
    const vf = recordValidation(file, v.entry);
    expect(vf.validations).toHaveLength(1);
    const band = errorBandFor('l4', vf.validations);
    expect(band.endToEnd).toBeCloseTo(Math.abs(v.endToEnd.relError), 12);
    expect(band.label).toMatch(/validated h100-sxm→h200; not on l4/);
  });

  it('the committed validation.json parses; its entries (if any) give the default band', () => {
    const j = JSON.parse(readFileSync('src/projection/validation.json', 'utf8')) as { validations: unknown[] };
    expect(errorBandFor('l4').status).toBe(j.validations.length ? 'validated' : 'unvalidated');
  });
});

describe('workbench project / project validate / device-peaks (CLI)', () => {
  it('projects a profile to two GPUs, writes JSON and HTML labelled as projections', async () => {
    const f = join(dir, 'profile.json');
    writeFileSync(f, JSON.stringify(onH100));
    const outFile = join(dir, 'out', 'projection.json');
    const r = await runCli(['project', f, '--to', 'l4', '--to', 't4', '--out', outFile, '--audio-seconds', '5']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PROJECTED to NVIDIA L4/);
    expect(r.stdout).toMatch(/PROJECTED to NVIDIA T4/);
    const j = JSON.parse(readFileSync(outFile, 'utf8')) as { projected: boolean; targets: { errorBand: { label: string }; rtf: { audioSeconds: number } }[] };
    expect(j.projected).toBe(true);
    expect(j.targets[0]?.rtf.audioSeconds).toBe(5);
    expect(readFileSync(join(dir, 'out', 'projection.html'), 'utf8')).toContain('PROJECTED — not measured');
  });

  it('project validate writes the comparison JSON; bad input exits 2 with one line', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, JSON.stringify(onH100));
    writeFileSync(b, JSON.stringify(measuredOnH200({})));
    const outFile = join(dir, 'validation-out.json');
    const r = await runCli(['project', 'validate', '--from-profile', a, '--measured', b, '--out', outFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/projection h100-sxm → h200/);
    const j = JSON.parse(readFileSync(outFile, 'utf8')) as { kind: string; endToEnd: { relError: number } };
    expect(j.kind).toBe('workbench.projection-validation');
    expect(Math.abs(j.endToEnd.relError)).toBeLessThan(1e-9);
    const bad = await runCli(['project', a]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--to/);
    const unknown = await runCli(['project', a, '--to', 'x9000']);
    expect(unknown.stderr).toMatch(/unknown GPU/);
  });

  it('device-peaks on the CPU EP with small sizes writes its JSON', async () => {
    const outFile = join(dir, 'peaks.json');
    const r = await runCli([
      'device-peaks',
      '--ep',
      'cpu',
      '--matmul-size',
      '384',
      '--matmul-chain',
      '3',
      '--copy-mib',
      '32',
      '--copy-chain',
      '3',
      '--launch-chain',
      '60',
      '--runs',
      '5',
      '--warmup',
      '1',
      '--out',
      outFile,
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(readFileSync(outFile, 'utf8')) as {
      kind: string;
      matmulFp32: { status: string; value: number; workPerOp: number };
      matmulFp16: { status: string };
      copy: { status: string; value: number };
      launch: { asyncPerNodeMs: number };
    };
    expect(j.kind).toBe('workbench.device-peaks');
    expect(j.matmulFp32.status, JSON.stringify(j.matmulFp32)).toBe('ok');
    expect(j.matmulFp32.workPerOp).toBe(2 * 384 ** 3);
    expect(j.matmulFp32.value).toBeGreaterThan(1e8);
    expect(['ok', 'skipped']).toContain(j.matmulFp16.status);
    expect(j.copy.status, JSON.stringify(j.copy)).toBe('ok');
    expect(j.copy.value).toBeGreaterThan(1e8);
    expect(j.launch.asyncPerNodeMs).toBeGreaterThanOrEqual(0);
    expect(r.stdout).toMatch(/matmul fp32/);
  });
});

describe('sweep results: projected RTF column', () => {
  it('annotates results and the report shows a labelled projected column beside the measured RTF', () => {
    const results = syntheticResults();
    const roles = [...new Set(results.flatMap((r) => r.metrics?.roles.map((x) => x.role) ?? []))];
    const p = profile(
      'h100-sxm',
      roles.map((name) => role(name, [row({ name: 'mm', opType: 'MatMul', type: 'float16', ms: 1, flops: 1e11, bytes: 1e7 })], { e2eMs: 1.01 })),
    );
    const { variants } = projectResults(results, [{ file: 'p.json', profile: p }], { targets: ['l4'], validations: [] });
    const ok = results.filter((r) => r.status === 'ok');
    expect(variants).toHaveLength(ok.length);
    for (const v of variants) {
      expect(v.projected).toBe(true);
      expect(v.rtf).toBeGreaterThan(v.measuredRtf);
      expect(v.flags[0]).toMatch(/not a profile of this variant/);
    }
    const annotated = annotateResults(results, variants);
    expect(annotated[0]?.metrics?.projections?.[0]).toMatchObject({ projected: true, target: 'l4', errorLabel: 'unvalidated', errorBand: null });
    const report = buildSweepReport(annotated, { generatedAt: 'now' });
    expect(report.projection?.target).toBe('l4');
    expect(Object.keys(report.projection?.rtfById ?? {})).toHaveLength(ok.length);
    const text = renderSweepConsole(report);
    expect(text).toMatch(/rtf l4 \(projected\)/);
    expect(text).toMatch(/projected column: l4, unvalidated/);
    const summary = summarizeSweepReport(report);
    expect(summary.variants.find((v) => v.id === ok[0]?.id)?.projectedRtf).toBeCloseTo(variants[0]!.rtf, 12);
    expect(report.details[0]?.rows.some(([k]) => k === 'RTF on l4 (PROJECTED)')).toBe(true);
    // Without projections the report is unchanged.
    expect(buildSweepReport(results, { generatedAt: 'now' }).projection).toBeUndefined();
  });
});
