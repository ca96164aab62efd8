/**
 * Sweep results projected with each role's measured seconds split into a GPU part (scaled) and a host part
 * (kept), hand-made numbers. Source/target sides of helpers.ts: an FP16 MatMul of 1e11 FLOPs and 1e8 bytes
 * taking 2 ms on the source (ideal 1 ms, efficiency 0.5) takes 4 ms / 0.5 = 8 ms of work on the target: GPU
 * ratio 4. The host link halves (10 → 5 GB/s): copies take 2×.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoleSeconds } from '../../src/projection/gpu-host-split.js';
import { projectProfile, projectRole } from '../../src/projection/project-profile.js';
import { projectResults } from '../../src/projection/project-results.js';
import { renderProjectionConsole } from '../../src/projection/render-projection.js';
import type { ProjectionReport } from '../../src/projection/types.js';
import type { RoleProfile } from '../../src/profiler/profile-report.js';
import type { RoleMetric, VariantResult } from '../../src/sweep/types.js';
import { runCli } from '../helpers/capture.js';
import { cupti, profile, role, row, SRC, TGT } from './helpers.js';

const mm = (): ReturnType<typeof row> => row({ name: 'mm', opType: 'MatMul', type: 'float16', ms: 2, flops: 1e11, bytes: 1e8 });
const sides = { source: SRC, target: TGT };

function split(m: RoleMetric, r: RoleProfile): ReturnType<typeof projectRoleSeconds> & { perCallRatio: number } {
  const proj = projectRole(r, SRC, TGT, true, 'ditto');
  return { ...projectRoleSeconds(m, proj, r, sides), perCallRatio: proj.ratio };
}

describe("GPU/host split of a role's measured seconds", () => {
  it('a half host-bound role: the host half stays as measured, the GPU half is scaled by the GPU ratio', () => {
    // The profile's call is GPU-bound (2 ms busy of 2.01 ms); in the run each call took 4 ms (2 ms of host work).
    const r = role('decoder', [mm()], { e2eMs: 2.01, cupti: cupti(2) });
    const { row: x, flags, perCallRatio } = split({ role: 'decoder', calls: 10, seconds: 0.04 }, r);
    expect(flags).toEqual([]);
    expect(x.method).toBe('gpu-host-split');
    expect(x.gpuMsPerCall).toBe(2);
    expect(x.gpuSource).toBe('CUPTI GPU busy per run');
    expect(x.gpuSeconds).toBeCloseTo(0.02, 12);
    expect(x.hostSeconds).toBeCloseTo(0.02, 12);
    expect(x.ratio).toBeCloseTo(4, 9);
    expect(x.seconds).toBeCloseTo(0.02 + 0.02 * 4, 9);
    expect(x.projected).toBe(true);
    // The old behaviour (whole run time × per-call ratio ≈ 3.99) would have scaled the host half too.
    expect(0.04 * perCallRatio).toBeGreaterThan(0.15);
  });

  it("agrees with the per-call path when the run's calls look like the profile's", () => {
    const r = role('decoder', [mm()], { e2eMs: 4, cupti: cupti(2) });
    const { row: x, perCallRatio } = split({ role: 'decoder', calls: 10, seconds: 0.04 }, r);
    expect(x.seconds).toBeCloseTo(0.04 * perCallRatio, 9);
  });

  it('calls > 1: the GPU part is calls × GPU time per call, capped at the measured seconds (flagged)', () => {
    const r = role('decoder', [mm()], { e2eMs: 2.01, cupti: cupti(2) });
    const one = split({ role: 'decoder', calls: 1, seconds: 0.04 }, r).row;
    const many = split({ role: 'decoder', calls: 15, seconds: 0.04 }, r).row;
    expect(one.gpuSeconds).toBeCloseTo(0.002, 12);
    expect(one.seconds).toBeCloseTo(0.038 + 0.008, 9);
    expect(many.gpuSeconds).toBeCloseTo(0.03, 12);
    expect(many.seconds).toBeCloseTo(0.01 + 0.12, 9);
    const capped = split({ role: 'decoder', calls: 10, seconds: 0.015 }, r);
    expect(capped.row.gpuSeconds).toBeCloseTo(0.015, 12);
    expect(capped.row.hostSeconds).toBe(0);
    expect(capped.row.seconds).toBeCloseTo(0.06, 9);
    expect(capped.flags[0]).toMatch(/role decoder: calls × profiled GPU time \(0\.020 s\) exceeds its measured 0\.015 s: GPU part capped/);
  });

  it('a decode loop: GPU work counts per step (steps), not per call', () => {
    const r = role('gpt_decode', [mm()], { e2eMs: 2.01, cupti: cupti(2) });
    // 3 calls of 5 one-token steps each, 0.05 s in all: 15 steps × 2 ms GPU, the rest host.
    const loop = split({ role: 'gpt_decode', calls: 3, steps: 15, seconds: 0.05 }, r);
    expect(loop.flags).toEqual([]);
    expect(loop.row.gpuSeconds).toBeCloseTo(0.03, 12);
    expect(loop.row.seconds).toBeCloseTo(0.02 + 0.03 * 4, 9);
    expect(split({ role: 'gpt_decode', calls: 3, seconds: 0.05 }, r).row.gpuSeconds).toBeCloseTo(0.006, 12);
  });

  it("the run's own copies in the GPU busy time scale with the host link", () => {
    // 3 ms busy: 2 ms of kernels (×4) + 1 ms of input/output copies (×2) = 10 ms on the target.
    const r = role('gpt_decode', [mm()], { e2eMs: 3.5, cupti: cupti(3, 1) });
    const { row: x } = split({ role: 'gpt_decode', calls: 4, seconds: 0.02 }, r);
    expect(x.ratio).toBeCloseTo(10 / 3, 9);
    expect(x.gpuSeconds).toBeCloseTo(0.012, 12);
    expect(x.seconds).toBeCloseTo(0.008 + 0.04, 9);
  });

  it("without a CUPTI busy time: the listed device nodes' GPU work", () => {
    const r = role('decoder', [mm()], { e2eMs: 2.01 });
    const { row: x } = split({ role: 'decoder', calls: 10, seconds: 0.04 }, r);
    expect(x.method).toBe('gpu-host-split');
    expect(x.gpuSource).toMatch(/listed device nodes/);
    expect(x.seconds).toBeCloseTo(0.02 + 0.08, 9);
  });

  it('falls back to the per-call ratio (flagged) when the profile has no GPU time for the role', () => {
    const cpu = role('hifigan', [row({ name: 'conv', opType: 'Conv', provider: 'CPUExecutionProvider', ms: 3, flops: 1e9, bytes: 1e6 })], {
      e2eMs: 3.5,
      method: 'host',
    });
    const { row: x, flags, perCallRatio } = split({ role: 'hifigan', calls: 2, seconds: 1 }, cpu);
    expect(x.method).toBe('per-call-ratio');
    expect(x.gpuSeconds).toBeNull();
    expect(x.hostSeconds).toBeNull();
    expect(x.ratio).toBe(perCallRatio);
    expect(x.seconds).toBeCloseTo(1 * perCallRatio, 12);
    expect(flags[0]).toMatch(/role hifigan: the profile ran on the CPU EP \(no GPU time\): its whole measured time × the per-call ratio/);
    // No device node with work next to a CUPTI busy time: same fallback.
    const noWork = role('decoder', [row({ name: 'cpu', opType: 'Gather', provider: 'CPUExecutionProvider', ms: 1, flops: 0, bytes: 1e3 })], {
      e2eMs: 2,
      cupti: cupti(1),
    });
    expect(split({ role: 'decoder', calls: 1, seconds: 1 }, noWork).row.method).toBe('per-call-ratio');
    // A role not in the profile is kept as measured.
    const none = projectRoleSeconds({ role: 'stitch_network', calls: 3, seconds: 0.3 }, undefined, undefined, sides);
    expect(none.row).toMatchObject({ method: 'not-in-profile', ratio: 1, seconds: 0.3 });
    expect(none.flags).toEqual(['role stitch_network not in the profile: kept as measured']);
  });
});

function result(wallSeconds: number): VariantResult {
  const roles: RoleMetric[] = [
    { role: 'decoder', calls: 10, seconds: 0.04 },
    { role: 'hifigan', calls: 2, seconds: 1 },
    { role: 'stitch_network', calls: 3, seconds: 0.3 },
  ];
  return {
    schemaVersion: 1,
    id: 'abc',
    index: 0,
    name: 'fp32-baseline',
    baseline: true,
    spec: {},
    passes: {},
    status: 'ok',
    manifest: '/nonexistent/manifest.json',
    metrics: { audioSeconds: 2, wallSeconds, rtf: wallSeconds / 2, stages: [], roles, memory: {}, samples: { rtf: [], stageSeconds: {} } },
    env: { ep: 'cuda', node: 'v20' },
    startedAt: '',
    finishedAt: '',
    totalSeconds: 1,
  };
}

const onH100 = profile('h100-sxm', [
  role('decoder', [mm()], { e2eMs: 2.01, cupti: cupti(2) }),
  role('hifigan', [row({ name: 'conv', opType: 'Conv', provider: 'CPUExecutionProvider', ms: 3, flops: 1e9, bytes: 1e6 })], { e2eMs: 3.5, method: 'host' }),
]);

describe('projectResults with the split', () => {
  it('RTF = (time outside roles + Σ projected role seconds) / audio seconds; host parts kept, fallback flagged', () => {
    const wall = 0.04 + 1 + 0.3 + 0.5;
    const { variants, projections } = projectResults([result(wall)], [{ file: 'p.json', profile: onH100 }], { targets: ['l4'], validations: [] });
    const v = variants[0]!;
    expect(v.projected).toBe(true);
    expect(v.outsideRolesSeconds).toBeCloseTo(0.5, 12);
    expect(v.roles?.map((x) => x.method)).toEqual(['gpu-host-split', 'per-call-ratio', 'not-in-profile']);
    const dec = v.roles![0]!;
    expect(dec.gpuSeconds).toBeCloseTo(0.02, 12);
    expect(dec.seconds - dec.gpuSeconds! * dec.ratio).toBeCloseTo(0.02, 12);
    expect(dec.ratio).toBeGreaterThan(1);
    expect(v.rtf).toBeCloseTo((0.5 + v.roles!.reduce((s, x) => s + x.seconds, 0)) / 2, 12);
    expect(v.flags.some((f) => /role hifigan: .*per-call ratio/.test(f))).toBe(true);
    expect(v.flags).toContain('role stitch_network not in the profile: kept as measured');
    expect(v.model).toMatch(/same host CPU and software/);
    const base = projections.get('p.json')!;
    const report: ProjectionReport = { ...base, variants };
    const text = renderProjectionConsole(report, 0);
    expect(text).toMatch(
      /GPU part 0\.02 s → \d+\.\d\d s \(PROJECTED\); host part in role calls 0\.02 s \+ outside roles 0\.50 s \(kept as measured\); 2 role\(s\) without GPU time/,
    );
  });

  it('the CLI writes the per-role split into projection.json (schema: fields added, none renamed)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-split-'));
    try {
      const res = join(dir, 'results.jsonl');
      const p = join(dir, 'p.json');
      writeFileSync(res, `${JSON.stringify(result(2))}\n`);
      writeFileSync(p, JSON.stringify(onH100));
      const r = await runCli(['project', res, '--profile', p, '--to', 'l4', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout) as ProjectionReport;
      const v = j.variants![0]!;
      expect(Object.keys(v)).toEqual(
        expect.arrayContaining([
          'id',
          'name',
          'target',
          'measuredRtf',
          'projected',
          'rtf',
          'errorBand',
          'ratiosFrom',
          'flags',
          'roles',
          'outsideRolesSeconds',
          'model',
        ]),
      );
      expect(v.roles?.[0]?.method).toBe('gpu-host-split');
      expect(projectProfile(onH100, { targets: ['l4'], validations: [] }).targets[0]?.roles.map((x) => x.role)).toEqual(['decoder', 'hifigan']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
