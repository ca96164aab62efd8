/**
 * `workbench device-peaks`: what the GPU at hand achieves through onnxruntime-node, against its datasheet.
 *
 * Every figure is a difference of two graphs that differ only in the length of a chain of identical ops:
 * (time of the long chain − time of the short chain) / added ops. Fixed costs (session run, the Expand that
 * makes the data on the device from a one-element input, the tiny output copy) cancel, so no 1 GiB tensor
 * crosses PCIe and launch overhead vanishes for big ops.
 *
 * - MatMul FP32 (TF32 where ORT allows it, its default) and FP16: n×n by n×n products (default 8192³) chained
 *   C ← C·X; X is filled with 1/n, so every product stays 1/n (no overflow, no denormals).
 * - Copy bandwidth: Add of a one-element input onto a 1 GiB float tensor, chained; bytes read + written.
 * - Launch overhead: a chain of 200 one-element Adds; time per node. On CUDA also with CUDA_LAUNCH_BLOCKING=1
 *   in a child process: the per-kernel overhead a 'sync-launch' profile carries in each node's time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { UsageError } from '../errors.js';
import { GraphBuilder } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import type { Model } from '../onnx/types.js';
import { serializeModel } from '../onnx/write-model.js';
import { detectGpus, type DevicePeaks } from '../core/devices.js';
import { runPassInChild, type WorkerLaunch } from '../profiler/worker.js';
import { createSession, onnxruntimeVersion, type ExecutionProvider } from '../runtime/index.js';
import { median } from '../core/stats.js';

export const DEVICE_PEAKS_SCHEMA_VERSION = 1;

export interface DevicePeaksOptions {
  ep: ExecutionProvider;
  deviceId?: number;
  /** MatMul side n (n×n·n×n); default 8192 on cuda, 128 on cpu. */
  matmulSize?: number;
  /** Products added in the long chain; default 8 on cuda, 3 on cpu. */
  matmulChain?: number;
  /** Bytes of the copy tensor; default 1 GiB on cuda, 4 MiB on cpu. */
  copyBytes?: number;
  /** Adds in the long copy chain; default 8 on cuda, 3 on cpu. */
  copyChain?: number;
  /** Tiny Adds in the long launch chain (default 200). */
  launchChain?: number;
  /** Timed runs per graph (the best of them, timed interleaved with the other chain) and warm-up runs (default 10 and 3). */
  runs?: number;
  warmup?: number;
  /** Measure FP16 MatMul too (default true; reported as skipped when the EP cannot run it). */
  fp16?: boolean;
  /** On cuda, also measure the per-node overhead under CUDA_LAUNCH_BLOCKING=1 in a child (default true). */
  syncLaunch?: boolean;
  /** How to start that child (default: this CLI's hidden `profile --worker`). */
  launch?: WorkerLaunch;
  /** The device's table entry (default: detected with nvidia-smi on cuda). */
  peaks?: DevicePeaks;
  log?: (line: string) => void;
}

/** One differential throughput measurement. */
export interface ThroughputMeasurement {
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  description: string;
  /** FLOP/s or bytes/s. */
  value: number | null;
  unit: 'FLOP/s' | 'B/s';
  /** The datasheet figure it compares against, and which one. */
  datasheet: number | null;
  datasheetLabel: string | null;
  /** value / datasheet. */
  fraction: number | null;
  /** FLOPs or bytes per added op. */
  workPerOp: number;
  shortChain: number;
  longChain: number;
  /** Median run() time of each graph (ms). */
  shortMs: number | null;
  longMs: number | null;
}

export interface LaunchMeasurement {
  status: 'ok' | 'failed';
  reason?: string;
  description: string;
  /** Per-node time of a tiny Add in normal asynchronous execution (ms). */
  asyncPerNodeMs: number | null;
  /** Per-node time with CUDA_LAUNCH_BLOCKING=1 (ms); null on the CPU or when the child failed. */
  syncLaunchPerNodeMs: number | null;
  syncLaunchReason?: string;
  shortChain: number;
  longChain: number;
  shortMs: number | null;
  longMs: number | null;
}

export interface DevicePeaksReport {
  schemaVersion: typeof DEVICE_PEAKS_SCHEMA_VERSION;
  kind: 'workbench.device-peaks';
  createdAt: string;
  ep: ExecutionProvider;
  onnxruntime: string;
  node: string;
  platform: string;
  device: { kind: 'gpu' | 'cpu'; name: string; id: string | null; detectedBy: string; memoryMiB?: number };
  /** Whether FP32 MatMul may use TF32 (ORT's CUDA default unless NVIDIA_TF32_OVERRIDE=0). */
  tf32: boolean;
  settings: { matmulSize: number; matmulChain: number; copyBytes: number; copyChain: number; launchChain: number; runs: number; warmup: number };
  matmulFp32: ThroughputMeasurement;
  matmulFp16: ThroughputMeasurement;
  copy: ThroughputMeasurement;
  launch: LaunchMeasurement;
  notes: string[];
}

/** n×n MatMul chain: X = Expand(s, [n, n]) (cast to fp16 when asked), C ← C·X `chain` times, y = C[0:1, 0:1]. */
export function matmulChainModel(n: number, chain: number, fp16: boolean): Model {
  const b = new GraphBuilder(`matmul_chain_${n}_${chain}${fp16 ? '_fp16' : ''}`);
  const s = b.input('s', DataType.FLOAT, [1]);
  const src = fp16 ? b.op('Cast', [s], { to: DataType.FLOAT16 }) : s;
  const x = b.op('Expand', [src, b.constInt64('shape', [n, n])]);
  let c = x;
  for (let i = 0; i < chain; i++) c = b.op('MatMul', [c, x], {}, { name: `matmul_${i}` });
  let y = b.op('Slice', [c, b.constInt64('starts', [0, 0]), b.constInt64('ends', [1, 1])]);
  if (fp16) y = b.op('Cast', [y], { to: DataType.FLOAT });
  b.output(y, 'y', [1, 1]);
  return b.finish();
}

/** Elementwise chain on `elements` floats: x = Expand(s, [elements]), x ← x + s `chain` times, y = x[0:1]. */
export function addChainModel(elements: number, chain: number): Model {
  const b = new GraphBuilder(`add_chain_${elements}_${chain}`);
  const s = b.input('s', DataType.FLOAT, [1]);
  let x = elements > 1 ? b.op('Expand', [s, b.constInt64('shape', [elements])]) : s;
  for (let i = 0; i < chain; i++) x = b.op('Add', [x, s], {}, { name: `add_${i}` });
  const y = elements > 1 ? b.op('Slice', [x, b.constInt64('starts', [0]), b.constInt64('ends', [1])]) : b.op('Identity', [x]);
  b.output(y, 'y', [1]);
  return b.finish();
}

/**
 * Best run() times (ms) of two models with the one-element input s = value, timed interleaved (short, long,
 * short, …) on two open sessions. Interleaved, load on the machine falls on both alike. The minimum rather than the
 * median: interference only ever adds time, and a peak is what the hardware can do at best. With medians, a
 * loaded 2-core machine timed a chain of 4 MatMuls faster than a chain of 1.
 */
async function timePair(
  short: Model,
  long: Model,
  value: number,
  ep: ExecutionProvider,
  deviceId: number,
  runs: number,
  warmup: number,
): Promise<[number, number]> {
  const config = { ep, deviceId, graphOptimizationLevel: 'all' } as const;
  const a = await createSession(serializeModel(short), config);
  try {
    const b = await createSession(serializeModel(long), config);
    try {
      const feeds = { s: { type: 'float32' as const, dims: [1], data: new Float32Array([value]) } };
      const ta: number[] = [];
      const tb: number[] = [];
      for (let i = 0; i < warmup + runs; i++) {
        for (const [session, times] of [
          [a, ta],
          [b, tb],
        ] as const) {
          const t = performance.now();
          await session.run(feeds);
          if (i >= warmup) times.push(performance.now() - t);
        }
      }
      return [Math.min(...ta), Math.min(...tb)];
    } finally {
      await b.release();
    }
  } finally {
    await a.release();
  }
}

function firstLine(e: unknown): string {
  return ((e as Error)?.message ?? String(e)).split('\n')[0] ?? String(e);
}

interface DiffJob {
  description: string;
  unit: 'FLOP/s' | 'B/s';
  workPerOp: number;
  shortChain: number;
  longChain: number;
  make: (chain: number) => Model;
  value: number;
  datasheet: number | null;
  datasheetLabel: string | null;
}

async function differential(job: DiffJob, o: Required<Pick<DevicePeaksOptions, 'ep' | 'deviceId' | 'runs' | 'warmup'>>): Promise<ThroughputMeasurement> {
  const base: ThroughputMeasurement = {
    status: 'ok',
    description: job.description,
    value: null,
    unit: job.unit,
    datasheet: job.datasheet,
    datasheetLabel: job.datasheetLabel,
    fraction: null,
    workPerOp: job.workPerOp,
    shortChain: job.shortChain,
    longChain: job.longChain,
    shortMs: null,
    longMs: null,
  };
  try {
    [base.shortMs, base.longMs] = await timePair(job.make(job.shortChain), job.make(job.longChain), job.value, o.ep, o.deviceId, o.runs, o.warmup);
  } catch (e) {
    const msg = firstLine(e);
    const unsupported = /NOT_IMPLEMENTED|Could not find an implementation|not supported/i.test(msg);
    return { ...base, status: unsupported ? 'skipped' : 'failed', reason: unsupported ? `the ${o.ep} EP cannot run it: ${msg}` : msg };
  }
  const perOpMs = (base.longMs - base.shortMs) / (job.longChain - job.shortChain);
  if (!(perOpMs > 0)) {
    const ms = `${base.longMs.toFixed(3)} vs ${base.shortMs.toFixed(3)} ms`;
    return { ...base, status: 'failed', reason: `the long chain was not slower than the short one (${ms}): too small to measure; raise the size` };
  }
  base.value = job.workPerOp / (perOpMs / 1000);
  if (job.datasheet) base.fraction = base.value / job.datasheet;
  return base;
}

/** Measures the achievable MatMul throughput, copy bandwidth and launch overhead of the EP at hand. */
/** The device measured and its datasheet peaks (--device, else the nvidia-smi match); notes say what is missing. */
function deviceUnderTest(
  o: DevicePeaksOptions,
  gpu: boolean,
  deviceId: number,
  notes: string[],
): { device: DevicePeaksReport['device']; peaks: DevicePeaksOptions['peaks'] } {
  let device: DevicePeaksReport['device'];
  let peaks = o.peaks;
  if (gpu) {
    const g = detectGpus()[deviceId];
    peaks ??= g?.peaks;
    const detectedBy = g ? 'nvidia-smi' : o.peaks ? '--device' : 'nvidia-smi unavailable';
    device = { kind: 'gpu', name: g?.name ?? peaks?.name ?? 'unknown GPU', id: peaks?.id ?? null, detectedBy };
    if (g) device.memoryMiB = g.memoryMiB;
    if (!peaks) notes.push('GPU not in src/core/devices.ts: no datasheet fractions; pass --device <id>');
  } else {
    const c = cpus();
    device = { kind: 'cpu', name: `${c[0]?.model ?? 'CPU'} (${c.length} logical cores)`, id: null, detectedBy: 'os.cpus()' };
    notes.push('CPU EP: no datasheet to compare with; the figures test the tool, not a GPU');
  }
  return { device, peaks };
}

/** Launch overhead: a chain of one-element Adds against a chain of 1, asynchronous and (CUDA, child process) with CUDA_LAUNCH_BLOCKING=1. */
async function measureLaunch(
  o: DevicePeaksOptions,
  c: { ep: 'cpu' | 'cuda'; deviceId: number; runs: number; warmup: number; gpu: boolean; launchChain: number },
  log: (line: string) => void,
): Promise<LaunchMeasurement> {
  const { ep, deviceId, runs, warmup, gpu, launchChain } = c;
  log(`launch overhead: ${launchChain} tiny Adds`);
  const launch: LaunchMeasurement = {
    status: 'ok',
    description: `chain of ${launchChain} one-element Adds against a chain of 1; (difference) / ${launchChain - 1} per node`,
    asyncPerNodeMs: null,
    syncLaunchPerNodeMs: null,
    shortChain: 1,
    longChain: launchChain,
    shortMs: null,
    longMs: null,
  };
  try {
    [launch.shortMs, launch.longMs] = await timePair(addChainModel(1, 1), addChainModel(1, launchChain), 1, ep, deviceId, runs, warmup);
    launch.asyncPerNodeMs = Math.max(0, (launch.longMs - launch.shortMs) / (launchChain - 1));
  } catch (e) {
    launch.status = 'failed';
    launch.reason = firstLine(e);
  }
  if (gpu && o.syncLaunch !== false && launch.status === 'ok') {
    log('launch overhead with CUDA_LAUNCH_BLOCKING=1 (child process)');
    const dir = mkdtempSync(join(tmpdir(), 'wb-device-peaks-'));
    try {
      const ms: number[] = [];
      for (const k of [1, launchChain]) {
        const file = join(dir, `add_chain_${k}.onnx`);
        writeFileSync(file, serializeModel(addChainModel(1, k)));
        const r = await runPassInChild(
          {
            kind: 'e2e',
            modelPath: file,
            config: { ep, deviceId },
            plan: [{ name: 's', type: 'float32', dims: [1], fill: 'data', data: [1], seed: 0 }],
            warmup,
            runs,
          },
          { env: { CUDA_LAUNCH_BLOCKING: '1' }, ...(o.launch ? { launch: o.launch } : {}), timeoutMs: 120_000 },
        );
        ms.push(median(r.timesMs.slice(r.warmup)));
      }
      launch.syncLaunchPerNodeMs = Math.max(0, ((ms[1] as number) - (ms[0] as number)) / (launchChain - 1));
    } catch (e) {
      launch.syncLaunchReason = firstLine(e);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else if (!gpu) launch.syncLaunchReason = 'CPU EP: no kernel launches';
  return launch;
}

export async function measureDevicePeaks(o: DevicePeaksOptions): Promise<DevicePeaksReport> {
  const ep = o.ep;
  if (ep !== 'cpu' && ep !== 'cuda') throw new UsageError(`--ep ${String(ep)}: cpu or cuda`);
  const gpu = ep === 'cuda';
  const deviceId = o.deviceId ?? 0;
  const n = o.matmulSize ?? (gpu ? 8192 : 128);
  const mmChain = o.matmulChain ?? (gpu ? 8 : 3);
  const copyBytes = o.copyBytes ?? (gpu ? 1024 ** 3 : 4 * 1024 ** 2);
  const copyChain = o.copyChain ?? (gpu ? 8 : 3);
  const launchChain = o.launchChain ?? 200;
  const runs = o.runs ?? 10;
  const warmup = o.warmup ?? 3;
  for (const [k, v] of Object.entries({ matmulSize: n, matmulChain: mmChain, copyBytes, copyChain, launchChain, runs }))
    if (!Number.isInteger(v) || v < 1) throw new UsageError(`${k} ${v}: a positive integer`);
  const tf32 = gpu && process.env.NVIDIA_TF32_OVERRIDE !== '0';
  const notes: string[] = [];

  const { device, peaks } = deviceUnderTest(o, gpu, deviceId, notes);
  const common = { ep, deviceId, runs, warmup };
  const log = o.log ?? ((): void => {});

  log(`matmul fp32 ${n}³ × ${mmChain}`);
  const mmFlops = 2 * n * n * n;
  const fp32Sheet = peaks ? (tf32 && peaks.tf32Tensor ? { v: peaks.tf32Tensor, l: 'TF32 tensor (dense)' } : { v: peaks.fp32, l: 'FP32 (non-tensor)' }) : null;
  const matmulFp32 = await differential(
    {
      description: `MatMul float32 ${n}×${n}·${n}×${n}, ${mmChain} products added to a chain of 1${tf32 ? ' (TF32 allowed: ORT CUDA default)' : ''}`,
      unit: 'FLOP/s',
      workPerOp: mmFlops,
      shortChain: 1,
      longChain: 1 + mmChain,
      make: (k) => matmulChainModel(n, k, false),
      value: 1 / n,
      datasheet: fp32Sheet?.v ?? null,
      datasheetLabel: fp32Sheet?.l ?? null,
    },
    common,
  );

  let matmulFp16: ThroughputMeasurement;
  if (o.fp16 === false) {
    matmulFp16 = {
      status: 'skipped',
      reason: 'not asked for (--no-fp16)',
      description: 'MatMul float16',
      value: null,
      unit: 'FLOP/s',
      datasheet: null,
      datasheetLabel: null,
      fraction: null,
      workPerOp: mmFlops,
      shortChain: 1,
      longChain: 1 + mmChain,
      shortMs: null,
      longMs: null,
    };
  } else {
    log(`matmul fp16 ${n}³ × ${mmChain}`);
    matmulFp16 = await differential(
      {
        description: `MatMul float16 ${n}×${n}·${n}×${n}, ${mmChain} products added to a chain of 1`,
        unit: 'FLOP/s',
        workPerOp: mmFlops,
        shortChain: 1,
        longChain: 1 + mmChain,
        make: (k) => matmulChainModel(n, k, true),
        value: 1 / n,
        datasheet: peaks?.fp16Tensor ?? null,
        datasheetLabel: peaks ? 'FP16 tensor (dense)' : null,
      },
      common,
    );
  }

  const elements = Math.max(1, Math.floor(copyBytes / 4));
  log(`copy ${((elements * 4) / 2 ** 20).toFixed(0)} MiB × ${copyChain}`);
  const copy = await differential(
    {
      description: `Add of a scalar onto ${elements} floats (${((elements * 4) / 2 ** 20).toFixed(0)} MiB), ${copyChain} Adds added to a chain of 1; bytes read + written`,
      unit: 'B/s',
      workPerOp: 2 * elements * 4,
      shortChain: 1,
      longChain: 1 + copyChain,
      make: (k) => addChainModel(elements, k),
      value: 1,
      datasheet: peaks?.memoryBandwidth ?? null,
      datasheetLabel: peaks ? 'memory bandwidth' : null,
    },
    common,
  );

  const launch = await measureLaunch(o, { ...common, gpu, launchChain }, log);

  notes.push('Each figure is (long chain − short chain) / added ops, best of the timed runs, the two chains interleaved: fixed costs of run() cancel.');
  if (gpu) {
    notes.push(
      'Datasheet figures are dense (no 2:4 sparsity). Clocks were left alone: power- or heat-limited cards (L4, T4) fall below them under sustained load.',
    );
  }
  return {
    schemaVersion: DEVICE_PEAKS_SCHEMA_VERSION,
    kind: 'workbench.device-peaks',
    createdAt: new Date().toISOString(),
    ep,
    onnxruntime: onnxruntimeVersion(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    device,
    tf32,
    settings: { matmulSize: n, matmulChain: mmChain, copyBytes: elements * 4, copyChain, launchChain, runs, warmup },
    matmulFp32,
    matmulFp16,
    copy,
    launch,
    notes,
  };
}

const fmtRate = (v: number | null, unit: string): string =>
  v === null ? '–' : unit === 'B/s' ? `${(v / 1e9).toFixed(1)} GB/s` : `${(v / 1e12).toFixed(2)} TFLOP/s`;

/** The console table of a device-peaks report. */
export function renderDevicePeaks(r: DevicePeaksReport): string {
  const row = (label: string, m: ThroughputMeasurement): string => {
    if (m.status !== 'ok') return `  ${label.padEnd(14)} ${m.status}: ${m.reason ?? ''}`;
    const frac = m.fraction !== null ? `  ${(m.fraction * 100).toFixed(0)}% of ${fmtRate(m.datasheet, m.unit)} (${m.datasheetLabel})` : '';
    return `  ${label.padEnd(14)} ${fmtRate(m.value, m.unit).padStart(16)}${frac}`;
  };
  const l = r.launch;
  const us = (v: number | null): string => (v === null ? '–' : `${(v * 1000).toFixed(2)} µs`);
  return [
    `device peaks on ${r.device.name}${r.device.id ? ` (${r.device.id})` : ''}, ${r.ep} EP, onnxruntime-node ${r.onnxruntime}`,
    row('matmul fp32', r.matmulFp32),
    row('matmul fp16', r.matmulFp16),
    row('copy', r.copy),
    l.status === 'ok'
      ? `  ${'launch/node'.padEnd(14)} ${us(l.asyncPerNodeMs).padStart(16)} async; ${l.syncLaunchPerNodeMs !== null ? `${us(l.syncLaunchPerNodeMs)} with CUDA_LAUNCH_BLOCKING=1` : `sync-launch: ${l.syncLaunchReason ?? '–'}`}`
      : `  launch/node    failed: ${l.reason ?? ''}`,
    ...r.notes.map((n) => `  note: ${n}`),
    '',
  ].join('\n');
}
