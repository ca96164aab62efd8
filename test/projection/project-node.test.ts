import { describe, expect, it } from 'vitest';
import { projectNode, type NodeContext } from '../../src/projection/project-node.js';
import { projectRole } from '../../src/projection/project-profile.js';
import { role, row, SRC, TGT } from './helpers.js';

// Source: FP16 tensor 100 TFLOP/s, FP32 10, TF32 20, 1 TB/s; target: FP16 25, FP32 2.5, TF32 5, 0.2 TB/s.
// Launch: 5 µs per kernel (async) on both; a sync-launch profile carries 10 µs per kernel.
const cupti: NodeContext = { source: SRC, target: TGT, tf32: true, method: 'cupti' };

describe('per-node projection arithmetic', () => {
  it('compute-bound FP16 MatMul: keeps its efficiency on the target FP16 tensor roof, plus one launch', () => {
    // 1e10 FLOP, 1e7 B: source compute 0.1 ms ≥ memory 0.01 ms → ideal 0.1 ms; measured 0.2 ms → 50%.
    // Target: compute 0.4 ms ≥ memory 0.05 ms → 0.4 / 0.5 = 0.8 ms, + 0.005 ms launch.
    const p = projectNode(row({ name: 'mm', opType: 'MatMul', type: 'float16', ms: 0.2, flops: 1e10, bytes: 1e7 }), cupti);
    expect(p.precision).toBe('FP16 tensor');
    expect(p.sourceBound).toBe('compute');
    expect(p.targetBound).toBe('compute');
    expect(p.efficiency).toBeCloseTo(0.5, 12);
    expect(p.workMs).toBeCloseTo(0.8, 12);
    expect(p.launchMs).toBeCloseTo(0.005, 12);
    expect(p.projectedMs).toBeCloseTo(0.805, 12);
  });

  it('memory-bound Add: scales with bandwidth at its measured efficiency', () => {
    // 1e6 FLOP, 1e8 B: source memory 0.1 ms; measured 0.125 ms → 80%. Target 1e8 / 0.2e12 = 0.5 ms / 0.8 = 0.625.
    const p = projectNode(row({ name: 'add', opType: 'Add', ms: 0.125, flops: 1e6, bytes: 1e8 }), cupti);
    expect(p.precision).toBe('FP32');
    expect(p.sourceBound).toBe('memory');
    expect(p.targetBound).toBe('memory');
    expect(p.efficiency).toBeCloseTo(0.8, 12);
    expect(p.projectedMs).toBeCloseTo(0.625 + 0.005, 12);
  });

  it('a node compute-bound on the source can be memory-bound on the target (ridge points differ)', () => {
    // 1.1e10 FLOP, 1e8 B: source compute 0.11 > memory 0.1 → ideal 0.11, measured 0.22 → 50%.
    // Target compute 0.44 < memory 0.5 → memory-bound, 0.5 / 0.5 = 1.0 ms.
    const p = projectNode(row({ name: 'mm2', opType: 'MatMul', type: 'float16', ms: 0.22, flops: 1.1e10, bytes: 1e8 }), cupti);
    expect(p.sourceBound).toBe('compute');
    expect(p.targetBound).toBe('memory');
    expect(p.workMs).toBeCloseTo(1.0, 12);
  });

  it('FP32 MatMul uses the TF32 roof when TF32 is allowed and the FP32 one when not', () => {
    const r = row({ name: 'mm32', opType: 'MatMul', type: 'float', ms: 1, flops: 1e10, bytes: 1e6 });
    // TF32: source 1e10/20e12 = 0.5 ms → 50%; target 1e10/5e12 = 2 ms → 4 ms.
    const tf = projectNode(r, cupti);
    expect(tf.precision).toBe('TF32 tensor');
    expect(tf.workMs).toBeCloseTo(4, 12);
    // FP32: source 1e10/10e12 = 1 ms → 100%; target 1e10/2.5e12 = 4 ms → 4 ms.
    const f = projectNode(r, { ...cupti, tf32: false });
    expect(f.precision).toBe('FP32');
    expect(f.efficiency).toBeCloseTo(1, 12);
    expect(f.workMs).toBeCloseTo(4, 12);
  });

  it('INT8 MatMulInteger uses the INT8 tensor roof', () => {
    // 2e10 OP on 200 vs 50 TOP/s: 0.1 ms → 0.4 ms ideal; measured 0.4 → 25% → 1.6 ms on the target.
    const p = projectNode(row({ name: 'q', opType: 'MatMulInteger', type: 'uint8', ms: 0.4, flops: 2e10, bytes: 1e6 }), cupti);
    expect(p.precision).toBe('INT8 tensor');
    expect(p.workMs).toBeCloseTo(1.6, 12);
  });

  it('launch-bound tiny node in a sync-launch profile: the 10 µs the method added comes off, the target launch goes on', () => {
    // Measured 0.0102 ms − 1 × 0.010 = 0.0002 ms of work; ideal 192 B / 1 TB/s = 1.92e-7 ms → efficiency 9.6e-4.
    // Target: 192 / 0.2e12 s = 9.6e-7 ms / 9.6e-4 = 0.001 ms, + 0.005 launch = 0.006 ms.
    const p = projectNode(row({ name: 'tiny', opType: 'Add', ms: 0.0102, flops: 16, bytes: 192 }), { ...cupti, method: 'sync-launch' });
    expect(p.sourceWorkMs).toBeCloseTo(0.0002, 12);
    expect(p.efficiency).toBeCloseTo(9.6e-4, 9);
    expect(p.workMs).toBeCloseTo(0.001, 9);
    expect(p.projectedMs).toBeCloseTo(0.006, 9);
    expect(p.sourceBound).toBe('launch');
    expect(p.targetBound).toBe('launch');
  });

  it('counts launches per kernel: 3 executions of a node are 3 launches', () => {
    const p = projectNode(row({ name: 'loop', opType: 'Add', ms: 0.125, flops: 1e6, bytes: 1e8 / 3, execs: 3 }), cupti);
    // The row's time is per run (all 3 executions); bytes × 3 = 1e8 → as the single Add above: 0.625 ms work, 3 launches.
    expect(p.kernels).toBe(3);
    expect(p.projectedMs).toBeCloseTo(0.625 + 0.015, 9);
  });

  it('CPU-fallback node: kept as measured and flagged', () => {
    const p = projectNode(row({ name: 'nms', opType: 'NonMaxSuppression', provider: 'CPUExecutionProvider', ms: 0.3, flops: 1e9, bytes: 1e6 }), cupti);
    expect(p.projectedMs).toBe(0.3);
    expect(p.launchMs).toBe(0);
    expect(p.sourceBound).toBe('cpu');
    expect(p.flags).toContain('cpu-ep (not scaled)');
  });

  it('Memcpy node: scales with the host link (PCIe 10 → 5 GB/s)', () => {
    const p = projectNode(row({ name: 'copy', opType: 'MemcpyToHost', ms: 0.12, flops: 0, bytes: 2e6, outputBytes: 1e6 }), cupti);
    expect(p.targetBound).toBe('pcie');
    expect(p.workMs).toBeCloseTo(0.24, 12);
    expect(p.projectedMs).toBeCloseTo(0.245, 12);
    expect(p.flags[0]).toMatch(/memcpy/);
  });

  it('node without counts: scaled by memory bandwidth and flagged', () => {
    const p = projectNode(row({ name: 'shape', opType: 'Shape', ms: 0.01, flops: 0, bytes: 0 }), cupti);
    expect(p.workMs).toBeCloseTo(0.05, 12);
    expect(p.flags.some((f) => f.startsWith('no-cost'))).toBe(true);
  });
});

describe('per-role projection', () => {
  it('sums nodes, keeps the unexplained host time and scales the input copy with the host link', () => {
    const r = role(
      'decoder',
      [
        row({ name: 'mm', opType: 'MatMul', type: 'float16', ms: 0.2, flops: 1e10, bytes: 1e7 }),
        row({ name: 'add', opType: 'Add', ms: 0.125, flops: 1e6, bytes: 1e8 }),
        row({ name: 'nms', opType: 'NonMaxSuppression', provider: 'CPUExecutionProvider', ms: 0.3, flops: 0, bytes: 0 }),
      ],
      { e2eMs: 2, inputs: [{ type: 'float32', dims: [1, 1000] }] },
    );
    const p = projectRole(r, SRC, TGT, true, 'ditto');
    // Source model: (0.2 + 0.005) + (0.125 + 0.005) + 0.3 (CPU) = 0.635; residual 2 − 0.635 = 1.365.
    expect(p.sourceModelMs).toBeCloseTo(0.635, 12);
    expect(p.residualMs).toBeCloseTo(1.365, 12);
    // Input copy 4000 B / 10 GB/s = 0.0004 ms → 0.0008 ms at 5 GB/s.
    expect(p.inputCopyMs).toBeCloseTo(0.0004, 12);
    // 0.805 + 0.630 + 0.3 + (1.365 − 0.0004) + 0.0008.
    expect(p.callMs).toBeCloseTo(0.805 + 0.63 + 0.3 + 1.3646 + 0.0008, 9);
    expect(p.ratio).toBeCloseTo(p.callMs / 2, 12);
    expect(p.projected).toBe(true);
    expect(p.flagCounts['cpu-ep']).toBe(1);
    expect(p.warnings.some((w) => /CPU EP/.test(w))).toBe(true);
  });

  it('when the node model exceeds the measured call, scales the projection by their ratio and says so', () => {
    const r = role('warp_network', [row({ name: 'mm', opType: 'MatMul', type: 'float16', ms: 0.2, flops: 1e10, bytes: 1e7 })], { e2eMs: 0.1025 });
    const p = projectRole(r, SRC, TGT, true, 'ditto');
    // Model 0.205 = 2 × measured → 0.805 / 2.
    expect(p.callMs).toBeCloseTo(0.4025, 12);
    expect(p.warnings[0]).toMatch(/exceeds the measured call/);
  });
});
