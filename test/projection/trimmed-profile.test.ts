/**
 * Trimmed profiles (each role's `nodes` cut to the slowest ones, `nodesTrimmed: { kept, of }`): the unlisted
 * nodes are projected from the op-type table (op-type row − listed nodes of the type, one aggregate node each),
 * or by the listed nodes' work ratio without one; an untrimmed profile projects exactly as before.
 *
 * Sides of helpers.ts: source FP16 tensor 100 TFLOP/s, 1 TB/s, launch 5 µs; target FP16 25, 0.2 TB/s, 5 µs.
 * Listed: an FP16 MatMul (1e10 FLOP, 1e7 B, 0.2 ms: compute-bound, 50% → 0.8 ms, work ratio 4) and an Add
 * (1e8 B, 0.125 ms, 2 kernels: memory-bound, 80% → 0.625 ms, ratio 5). Unlisted: 10 more Adds, 1.25 ms and
 * 1e9 B in all (memory-bound at 80%: 1 ms ideal → 5 ms / 0.8 = 6.25 ms on the target, ratio 5), which a scale
 * by the listed nodes' ratio (1.425 / 0.325 = 4.385) would under-project.
 */
import { describe, expect, it } from 'vitest';
import { gpuPerCall } from '../../src/projection/gpu-host-split.js';
import { projectNode } from '../../src/projection/project-node.js';
import { METHOD_NOTES, projectProfile, projectRole, TRIMMED_NOTE } from '../../src/projection/project-profile.js';
import { renderProjectionConsole } from '../../src/projection/render-projection.js';
import { validateProjection } from '../../src/projection/validate-projection.js';
import type { NodeRow, OpTypeRow, RoleProfile } from '../../src/profiler/profile-report.js';
import { cupti, profile, role, row, SRC, stats, TGT } from './helpers.js';

const mm = (): NodeRow => row({ name: 'mm', opType: 'MatMul', type: 'float16', ms: 0.2, flops: 1e10, bytes: 1e7 });
const add = (): NodeRow => row({ name: 'add0', opType: 'Add', ms: 0.125, flops: 1e6, bytes: 1e8, kernels: 2 });

function opType(opTypeName: string, nodes: number, ms: number, flops: number, bytes: number, providers = ['CUDAExecutionProvider']): OpTypeRow {
  return { opType: opTypeName, providers, nodes, time: stats(ms), share: 0, flops, bytes, achievedFlops: null };
}

/** The op-type table of an untrimmed role, as the profiler builds it from its nodes. */
function opTypesOf(nodes: readonly NodeRow[]): OpTypeRow[] {
  const by = new Map<string, OpTypeRow>();
  for (const n of nodes) {
    const o = by.get(n.opType) ?? opType(n.opType, 0, 0, 0, 0, [n.provider]);
    by.set(n.opType, {
      ...o,
      nodes: o.nodes + 1,
      time: stats(o.time.median + n.time.median),
      flops: o.flops + n.flops * n.executionsPerRun,
      bytes: o.bytes + (n.bytesRead + n.bytesWritten) * n.executionsPerRun,
    });
  }
  return [...by.values()];
}

/** The decoder with 12 nodes of which the profile lists 2 (MatMul and one Add); e2e 5 ms. */
function trimmed(o: { e2eMs?: number; opTypes?: boolean; marker?: boolean; extra?: OpTypeRow[]; cuptiBusy?: number } = {}): RoleProfile {
  const r = role('decoder', [mm(), add()], { e2eMs: o.e2eMs ?? 5, ...(o.cuptiBusy !== undefined ? { cupti: cupti(o.cuptiBusy) } : {}) });
  if (o.opTypes !== false) r.opTypes = [opType('MatMul', 1, 0.2, 1e10, 1e7), opType('Add', 11, 1.375, 1e6 + 1e7, 1.1e9), ...(o.extra ?? [])];
  if (o.marker !== false) r.nodesTrimmed = { kept: 2, of: 12 + (o.extra ?? []).reduce((s, x) => s + x.nodes, 0), order: 'slowest by GPU time' };
  return r;
}

describe('untrimmed profiles project exactly as before', () => {
  const nodes = (): NodeRow[] => [
    mm(),
    add(),
    row({ name: 'add1', opType: 'Add', ms: 0.05, flops: 1e5, bytes: 2e7, execs: 3 }),
    row({ name: 'nms', opType: 'NonMaxSuppression', provider: 'CPUExecutionProvider', ms: 0.3, flops: 0, bytes: 0 }),
    row({ name: 'copy', opType: 'MemcpyToHost', ms: 0.12, flops: 0, bytes: 2e6, outputBytes: 1e6 }),
  ];
  const complete = (): RoleProfile => {
    const r = role('decoder', nodes(), { e2eMs: 2, inputs: [{ type: 'float32', dims: [1, 1000] }], cupti: cupti(1) });
    r.opTypes = opTypesOf(r.nodes);
    r.nodesTrimmed = { kept: 5, of: 5, order: 'slowest by GPU time' };
    return r;
  };

  it('a role whose op-type table and nodesTrimmed count only the listed nodes: no unlisted part, same numbers', () => {
    const r = complete();
    const p = projectRole(r, SRC, TGT, true, 'ditto');
    expect(p.unlisted).toBeUndefined();
    expect('unlisted' in p).toBe(false);
    expect(p.flagCounts['unlisted']).toBeUndefined();
    expect(p.warnings.some((w) => /trimmed/.test(w))).toBe(false);
    // Identical to the same role without the op-type table or the marker (the pre-trimming input).
    const bare = complete();
    bare.opTypes = [];
    delete bare.nodesTrimmed;
    expect(p).toEqual(projectRole(bare, SRC, TGT, true, 'ditto'));
    // And to the per-node arithmetic summed in the order the projection always used (exact, not close).
    const ctx = { source: SRC, target: TGT, tf32: true, method: 'cupti' as const };
    const ns = r.nodes.map((n) => projectNode(n, ctx));
    const model = ns.reduce((s, n) => s + (n.sourceBound === 'cpu' ? n.sourceMs : n.sourceWorkMs + n.kernels * SRC.launch.asyncMs), 0);
    const projected = ns.reduce((s, n) => s + n.projectedMs, 0);
    const residual = 2 - model;
    const copy = Math.min(residual, (4000 / SRC.pcieBytesPerS) * 1000);
    expect(p.sourceModelMs).toBe(model);
    expect(p.residualMs).toBe(residual);
    expect(p.callMs).toBe(projected + (residual - copy) + copy * (SRC.pcieBytesPerS / TGT.pcieBytesPerS));
    expect(p.nodes).toEqual(ns);
  });

  it('the whole projection (RTF, method notes, GPU time per call) is unchanged by a complete op-type table', () => {
    const a = profile('h100-sxm', [complete()]);
    const b = profile('h100-sxm', [complete()]);
    b.roles[0]!.opTypes = [];
    delete b.roles[0]!.nodesTrimmed;
    const o = { targets: ['l4', 'a100-80gb'], validations: [], createdAt: '2026-01-01T00:00:00Z' };
    const pa = projectProfile(a, o);
    expect(pa).toEqual(projectProfile(b, o));
    expect(pa.method).toEqual([...METHOD_NOTES]);
    const t = pa.targets[0]!;
    expect(gpuPerCall(a.roles[0]!, t.roles[0]!, t.target, t.target)).toEqual(
      gpuPerCall(b.roles[0]!, projectProfile(b, o).targets[0]!.roles[0]!, t.target, t.target),
    );
  });
});

describe('trimmed profiles: the unlisted nodes from the op-type table', () => {
  it("projects the op-type remainder on its own roof, with the listed nodes of its type's launches per node", () => {
    const p = projectRole(trimmed(), SRC, TGT, true, 'ditto');
    const u = p.unlisted!;
    expect(u.method).toBe('op-types');
    expect(u.listed).toBe(2);
    expect(u.of).toBe(12);
    expect(u.nodes).toHaveLength(1);
    const n = u.nodes[0]!;
    expect(n.name).toBe('10 unlisted Add nodes');
    expect(n.sourceMs).toBeCloseTo(1.25, 12);
    expect(n.bytes).toBeCloseTo(1e9, 3);
    expect(n.flops).toBeCloseTo(1e7, 3);
    expect(n.sourceBound).toBe('memory');
    expect(n.efficiency).toBeCloseTo(0.8, 12);
    expect(n.workMs).toBeCloseTo(6.25, 9);
    // The listed Add launches 2 kernels: 10 unlisted Adds count 20 launches on both sides.
    expect(n.kernels).toBe(20);
    expect(n.launchMs).toBeCloseTo(0.1, 12);
    expect(u.kernels).toBe(20);
    expect(u.sourceMs).toBeCloseTo(1.25, 12);
    expect(u.ratio).toBeCloseTo(5, 9);
    expect(u.listedRatio).toBeCloseTo(1.425 / 0.325, 9);
    expect(u.projectedMs).toBeCloseTo(6.35, 9);
    // Source model: listed (0.2 + 0.005) + (0.125 + 0.01), unlisted 1.25 + 20 × 0.005 = 1.69; residual 3.31 kept.
    expect(p.sourceModelMs).toBeCloseTo(1.69, 12);
    expect(p.residualMs).toBeCloseTo(3.31, 12);
    expect(p.callMs).toBeCloseTo(0.805 + 0.635 + 6.35 + 3.31, 9);
    // The listed nodes alone left the unlisted GPU time in the residual, unscaled: 0.805 + 0.635 + (5 − 0.34).
    const listedOnly = trimmed({ opTypes: false, marker: false });
    expect(projectRole(listedOnly, SRC, TGT, true, 'ditto').callMs).toBeCloseTo(0.805 + 0.635 + 4.66, 9);
    expect(p.flagCounts['unlisted']).toBe(10);
    expect(p.nodes.map((x) => x.name)).toEqual(['mm', 'add0']);
  });

  it('says so on the role: "profile trimmed to 2 of 12 nodes: the other 10 nodes\' 1.250 ms …"', () => {
    const p = projectRole(trimmed(), SRC, TGT, true, 'ditto');
    const w = p.warnings.find((x) => x.startsWith('profile trimmed'));
    expect(w).toBe(p.unlisted!.note);
    expect(w).toMatch(/^profile trimmed to 2 of 12 nodes: the other 10 nodes' 1\.250 ms \(op-type totals minus the listed nodes\) projected per op type/);
    expect(w).toMatch(/projected per op type with 20 launches: 6\.350 ms \(work ×5\.00; the listed nodes' ratio is ×4\.38\)/);
  });

  it('detects trimming from the op-type table alone (no nodesTrimmed marker)', () => {
    const a = projectRole(trimmed(), SRC, TGT, true, 'ditto');
    const b = projectRole(trimmed({ marker: false }), SRC, TGT, true, 'ditto');
    expect(b.unlisted?.of).toBe(12);
    expect(b.callMs).toBe(a.callMs);
  });

  it('an op type with no listed node counts one launch per node; a CPU-EP op type is kept as measured', () => {
    const p = projectRole(
      trimmed({
        extra: [
          opType('Mul', 4, 0.2, 4e6, 1.6e8),
          opType('Squeeze', 2, 0.03, 0, 0, ['CPUExecutionProvider']),
          opType('Cast', 3, 0.06, 0, 2.4e7, ['CPUExecutionProvider', 'CUDAExecutionProvider']),
        ],
      }),
      SRC,
      TGT,
      true,
      'ditto',
    );
    const u = p.unlisted!;
    expect(u.of).toBe(21);
    const by = Object.fromEntries(u.nodes.map((n) => [n.opType, n]));
    // Mul: 4 launches; 1.6e8 B at 1 TB/s = 0.16 ms ideal of 0.2 → 80% → 0.8 / 0.8 = 1 ms on the target.
    expect(by['Mul']!.kernels).toBe(4);
    expect(by['Mul']!.workMs).toBeCloseTo(1, 9);
    // Squeeze on the CPU EP: no launches, kept at 0.03 ms.
    expect(by['Squeeze']!.sourceBound).toBe('cpu');
    expect(by['Squeeze']!.kernels).toBe(0);
    expect(by['Squeeze']!.projectedMs).toBe(0.03);
    // Cast on both: taken as on the device, flagged.
    expect(by['Cast']!.provider).toBe('CUDAExecutionProvider');
    expect(by['Cast']!.flags.some((f) => f.startsWith('mixed providers'))).toBe(true);
    expect(u.kernels).toBe(20 + 4 + 3);
  });

  it('FP16 remainder: the aggregate node takes the element type of the listed nodes of its op type', () => {
    const r = role('lmdm', [row({ name: 'mm16', opType: 'MatMul', type: 'float16', ms: 0.2, flops: 1e10, bytes: 1e7 })], { e2eMs: 5 });
    // 4 unlisted FP16 MatMuls: 4e10 FLOP at 100 TFLOP/s = 0.4 ms ideal of 0.8 → 50% → 1.6 ms / 0.5 = 3.2 ms.
    r.opTypes = [opType('MatMul', 5, 1.0, 5e10, 5e7)];
    const n = projectRole(r, SRC, TGT, true, 'ditto').unlisted!.nodes[0]!;
    expect(n.precision).toBe('FP16 tensor');
    expect(n.sourceBound).toBe('compute');
    expect(n.workMs).toBeCloseTo(3.2, 9);
  });

  it('the node model above the measured call: scaled by their ratio, the unlisted nodes included', () => {
    // Model 1.69 ms against a measured 0.845 ms: the projection (0.805 + 0.635 + 6.35) is halved.
    const p = projectRole(trimmed({ e2eMs: 0.845 }), SRC, TGT, true, 'ditto');
    expect(p.callMs).toBeCloseTo((0.805 + 0.635 + 6.35) / 2, 9);
    expect(p.warnings.some((w) => /exceeds the measured call/.test(w))).toBe(true);
  });
});

describe('trimmed profiles without an op-type table', () => {
  it("CUPTI node GPU total minus the listed nodes, scaled by the listed nodes' work ratio, one launch per node", () => {
    // Σ node GPU time 1.575 ms (cupti(1.575) has no run-level copies) − listed 0.325 = 1.25 ms.
    const p = projectRole(trimmed({ opTypes: false, cuptiBusy: 1.575 }), SRC, TGT, true, 'ditto');
    const u = p.unlisted!;
    expect(u.method).toBe('listed-ratio');
    expect(u.sourceMs).toBeCloseTo(1.25, 12);
    expect(u.kernels).toBe(10);
    const ratio = (0.8 + 0.625) / (0.2 + 0.125);
    expect(u.ratio).toBeCloseTo(ratio, 9);
    expect(u.workMs).toBeCloseTo(1.25 * ratio, 9);
    expect(u.launchMs).toBeCloseTo(0.05, 12);
    expect(p.sourceModelMs).toBeCloseTo(0.34 + 1.25 + 0.05, 12);
    expect(p.callMs).toBeCloseTo(0.805 + 0.635 + 1.25 * ratio + 0.05 + (5 - 1.64), 9);
    expect(u.note).toMatch(
      /^profile trimmed to 2 of 12 nodes: the other 10 nodes' 1\.250 ms \(CUPTI Σ node GPU time 1\.575 ms minus the listed nodes' 0\.325 ms\) scaled by the listed nodes' ratio ×4\.38/,
    );
  });

  it('sync-launch: Σ node times minus the listed ones, less the launch time the method put in each node', () => {
    const r = trimmed({ opTypes: false });
    r.method.nodeTime = 'sync-launch';
    r.coverage.perNodeSumMs = 1.575;
    r.coverage.sumOf = 'node-time';
    const u = projectRole(r, SRC, TGT, true, 'ditto').unlisted!;
    expect(u.method).toBe('listed-ratio');
    expect(u.sourceMs).toBeCloseTo(1.25, 12);
    // 10 nodes × 10 µs of sync launch come off: 1.15 ms of work.
    expect(u.sourceWorkMs).toBeCloseTo(1.15, 12);
  });

  it('no total to subtract from: left in the residual, and the warning says the projection is too low', () => {
    const r = trimmed({ opTypes: false });
    const p = projectRole(r, SRC, TGT, true, 'ditto');
    expect(p.unlisted?.method).toBe('unknown');
    expect(p.unlisted?.nodes).toEqual([]);
    expect(p.callMs).toBeCloseTo(projectRole(trimmed({ opTypes: false, marker: false }), SRC, TGT, true, 'ditto').callMs, 12);
    expect(p.unlisted?.note).toMatch(/stay in the residual.*too low/);
  });
});

describe('trimmed profiles through the projection, the GPU/host split, the console and validation', () => {
  const trimmedProfile = profile('h100-sxm', [trimmed({ cuptiBusy: 1.575 })]);

  it('projection.json carries the unlisted part and the method note; the console shows flag and warning', () => {
    const r = projectProfile(trimmedProfile, { targets: ['l4'], validations: [], createdAt: '2026-01-01T00:00:00Z' });
    expect(r.method).toEqual([...METHOD_NOTES, TRIMMED_NOTE]);
    const x = r.targets[0]!.roles[0]!;
    expect(x.unlisted?.method).toBe('op-types');
    const json = JSON.parse(JSON.stringify(r)) as typeof r;
    expect(json.targets[0]!.roles[0]!.unlisted?.of).toBe(12);
    const text = renderProjectionConsole(r, 0);
    expect(text).toMatch(/decoder .*unlisted×10/);
    expect(text).toMatch(/warning: decoder: profile trimmed to 2 of 12 nodes: the other 10 nodes'/);
  });

  it("the GPU part of a sweep role is scaled by the listed and unlisted nodes' work ratio", () => {
    const r = trimmedProfile.roles[0]!;
    const proj = projectRole(r, SRC, TGT, true, 'ditto');
    const g = gpuPerCall(r, proj, SRC, TGT);
    expect('missing' in g).toBe(false);
    if ('missing' in g) return;
    // (0.8 + 0.625 + 6.25) / (0.2 + 0.125 + 1.25) of the 1.575 ms busy.
    expect(g.targetMs).toBeCloseTo(1.575 * (7.675 / 1.575), 9);
  });

  it('validate: a trimmed source profile is projected with its unlisted nodes, and says so', () => {
    const measured = profile('h200', [role('decoder', [mm()], { e2eMs: 4 })]);
    const v = validateProjection(trimmedProfile, measured, { fromFile: 'a.json', measuredFile: 'b.json', createdAt: '2026-01-01T00:00:00Z' });
    const p = projectProfile(trimmedProfile, { targets: ['h200'], validations: [], createdAt: '2026-01-01T00:00:00Z' }).targets[0]!.roles[0]!;
    expect(v.roles[0]!.projectedMs).toBe(p.callMs);
    expect(p.unlisted).toBeDefined();
    expect(v.warnings.some((w) => /a\.json lists only some nodes of 1 role\(s\) \(trimmed\)/.test(w))).toBe(true);
  });
});
