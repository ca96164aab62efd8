/** Hand-made profile rows, roles and reports for the projection tests (numbers chosen to check by hand). */
import type { CuptiCoverage } from '../../src/profiler/cupti/coverage.js';
import { findDevicePeaks } from '../../src/core/devices.js';
import type { NodeRow, NodeTimeMethod, ProfileReport, RoleProfile } from '../../src/profiler/profile-report.js';
import type { TimeStats } from '../../src/core/stats.js';
import type { DeviceSide } from '../../src/projection/types.js';

export function stats(median: number): TimeStats {
  return { n: 10, median, p10: median, p90: median, iqr: 0, mean: median, min: median, max: median };
}

export function row(o: {
  name: string;
  opType: string;
  type?: string;
  provider?: string;
  ms: number;
  flops: number;
  bytes: number;
  execs?: number;
  kernels?: number;
  outputBytes?: number;
}): NodeRow {
  const t = o.type ?? 'float';
  const r: NodeRow = {
    name: o.name,
    opType: o.opType,
    provider: o.provider ?? 'CUDAExecutionProvider',
    inputShapes: [{ type: t, dims: [1] }],
    outputShapes: [{ type: t, dims: [1] }],
    activationBytes: 0,
    parameterBytes: 0,
    outputBytes: o.outputBytes ?? 0,
    time: stats(o.ms),
    share: 0,
    executionsPerRun: o.execs ?? 1,
    macs: o.flops / 2,
    flops: o.flops,
    bytesRead: o.bytes / 2,
    bytesWritten: o.bytes / 2,
    costSource: 'graph',
    fused: false,
    roofline: null,
    flags: [],
  };
  if (o.kernels !== undefined) r.kernelsPerRun = o.kernels;
  return r;
}

const PEAKS = {
  fp32: 10e12,
  tf32Tensor: 20e12,
  fp16Tensor: 100e12,
  bf16Tensor: 100e12,
  int8Tensor: 200e12,
  memoryBytes: 80 * 2 ** 30,
  smCount: 100,
  l2Bytes: 50 * 2 ** 20,
  source: 'test',
};

/** Source: FP16 tensor 100 TFLOP/s, FP32 10, TF32 20, 1 TB/s, PCIe 10 GB/s, launch 5 µs async / 10 µs sync. */
export const SRC: DeviceSide = {
  id: 'src',
  name: 'source GPU',
  peaksSource: 'datasheet',
  pcieBytesPerS: 10e9,
  pcieSource: 'test',
  peaks: { id: 'src', name: 'source GPU', ...PEAKS, memoryBandwidth: 1e12 },
  launch: { asyncMs: 0.005, syncLaunchMs: 0.01, source: 'default' },
};

/** Target: a quarter of the compute (FP16 25, FP32 2.5, TF32 5), 0.2 TB/s, PCIe 5 GB/s, same launch. */
export const TGT: DeviceSide = {
  id: 'tgt',
  name: 'target GPU',
  peaksSource: 'datasheet',
  pcieBytesPerS: 5e9,
  pcieSource: 'test',
  peaks: {
    id: 'tgt',
    name: 'target GPU',
    fp32: 2.5e12,
    tf32Tensor: 5e12,
    fp16Tensor: 25e12,
    bf16Tensor: 25e12,
    int8Tensor: 50e12,
    memoryBandwidth: 0.2e12,
    memoryBytes: 24 * 2 ** 30,
    smCount: 58,
    l2Bytes: 48 * 2 ** 20,
    source: 'test',
  },
  launch: { asyncMs: 0.005, syncLaunchMs: 0.01, source: 'default' },
};

/** A CUPTI coverage block with the given GPU busy time and run-level copies per run (the rest neutral). */
export function cupti(busyMs: number, runLevelMs = 0): CuptiCoverage {
  return {
    nodeGpuSumMs: busyMs - runLevelMs,
    gpuBusyMs: busyMs,
    gpuSpanMs: busyMs,
    attributionRatio: 1,
    gpuAccountingRatio: 1,
    gpuAccountingWithinTenPercent: true,
    runLevelGpuMs: runLevelMs,
    hostSumMs: 0,
    hostLaunchSumMs: 0,
    contributionSumMs: busyMs,
    ratioWithRunLevel: 1,
    bound: 'gpu-bound',
    modelRunMs: busyMs,
    records: { kernels: 0, memcpys: 0, memsets: 0, launchCalls: 0, withoutLaunch: 0, outsideRuns: 0, outsideRunsMs: 0, dropped: 0 },
    alignment: {
      windowFrom: 'runs',
      windowUs: 0,
      plateauUs: 0,
      launches: 0,
      matchedFraction: 1,
      validFraction: 1,
      plateaus: 0,
      stride: 0,
      clockDriftUs: 0,
      notes: [],
    },
  };
}

export function role(
  name: string,
  nodes: NodeRow[],
  o: { e2eMs: number; method?: NodeTimeMethod; inputs?: { type: string; dims: number[] }[]; memoryBytes?: number | null; cupti?: CuptiCoverage },
): RoleProfile {
  const method = o.method ?? 'cupti';
  return {
    role: name,
    model: `/models/${name}.onnx`,
    session: { config: { ep: 'cuda' }, applied: [] },
    inputs: (o.inputs ?? []).map((i, k) => ({ name: `in${k}`, type: i.type, dims: i.dims, fill: 'normal' })),
    method: {
      nodeTime: method,
      description: '',
      warmupRuns: 5,
      countedRuns: 10,
      launchBlocking: method === 'sync-launch',
      childProcess: true,
      runsFrom: 'model_run',
    },
    endToEnd: { description: '', warmup: 5, time: stats(o.e2eMs), sessionCreateMs: 100 },
    profiledRun: { modelRun: stats(o.e2eMs), wall: stats(o.e2eMs) },
    coverage: { perNodeSumMs: 0, endToEndMs: o.e2eMs, ratio: 1, withinTenPercent: true, note: '', ...(o.cupti ? { cupti: o.cupti } : {}) },
    nodes,
    opTypes: [],
    flags: {} as RoleProfile['flags'],
    memory: {
      device: o.memoryBytes === null ? { peakBytes: null, source: 'unavailable' } : { peakBytes: o.memoryBytes ?? 2 ** 30, source: 'trace' },
      host: {
        endToEnd: { maxRssBytes: 0, rssBytes: 0, heapUsedBytes: 0, externalBytes: 0 },
        nodes: { maxRssBytes: 0, rssBytes: 0, heapUsedBytes: 0, externalBytes: 0 },
      },
    },
    trace: { events: 0, kernelEvents: method === 'cupti', indexFormat: 'test', possiblyTruncated: false },
    totals: { flops: 0, bytes: 0, params: 0 },
    warnings: [],
  };
}

/** A profile "measured" on `deviceId` (a devices.ts id) with the given roles. */
export function profile(deviceId: string, roles: RoleProfile[]): ProfileReport {
  const p = findDevicePeaks(deviceId);
  if (!p) throw new Error(deviceId);
  const { match: _m, ...peaks } = p;
  return {
    schemaVersion: 1,
    tool: 'workbench profile',
    createdAt: '2025-01-01T00:00:00Z',
    target: '/nonexistent/manifest.json',
    targetKind: 'manifest',
    onnxruntime: '1.29.0',
    node: 'v20',
    platform: 'linux-x64',
    requestedEp: 'cuda',
    device: { kind: 'gpu', name: p.name, detectedBy: 'test', memoryBytes: p.memoryBytes, peaks, tf32: true },
    roles,
    notes: [],
  };
}
