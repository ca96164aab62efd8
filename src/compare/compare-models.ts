/**
 * Side by side: a baseline model and its variants (our FP16/INT8, a peer tool's) on the same seeded inputs in
 * ONE process, sessions loaded together and timed in interleaved rounds so drift hits all alike. Reports
 * per-variant latency (median, p10, p90 over the timed runs after warm-up), the ratio to the baseline, and
 * output error against the baseline's outputs (relative L2, cosine, max-abs, non-finite count).
 * Times are host to host (session.run with inputs and outputs in host memory), as users call it; with
 * `deviceIo`, inputs sit in device tensors uploaded once and outputs go to preallocated device tensors (bound
 * before the first call, so a CUDA graph captures them), and the time is the backend's per-call time.
 * Each model runs under every backend × provider-option set asked for (node only with the empty set: it can't
 * pass CUDA options), so one process gives the per-call ratios of backends and option sets.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors.js';
import { dataTypeName } from '../onnx/dtype.js';
import { readModel } from '../onnx/read-model.js';
import { emptyOverrides, materializeInput, planInputs, type InputPlanEntry } from '../profiler/inputs.js';
import type { Model } from '../onnx/types.js';
import { timeStats, type TimeStats } from '../core/stats.js';
import { adaptFeeds, toFloat32 } from '../quantize/execute.js';
import { type ErrorStats, compareArrays, worst } from '../quantize/metrics.js';
import {
  type Backend,
  type DeviceTensor,
  type ExecutionProvider,
  type HostTensor,
  type Session,
  type SessionConfig,
  type Tensor,
  createSession,
} from '../runtime/index.js';

export interface CompareOptions {
  baseline: string;
  variants: string[];
  labels?: string[];
  ep: ExecutionProvider;
  runs?: number;
  warmup?: number;
  seed?: number;
  /** Values of symbolic input dims. */
  dims?: Record<string, number>;
  /**
   * Time budget per model for the timed rounds (default 30 s): a variant that exceeds it (e.g. an INT8
   * model whose ops fell back to the CPU, hundreds of times slower) stops being timed once it has 3 runs.
   */
  maxSecondsPerModel?: number;
  onProgress?: (msg: string) => void;
  /** Backends to run each model under (default ['node']). */
  backends?: Backend[];
  /** CUDA provider-option sets (default [{}]); non-empty sets run on non-node backends only. */
  providerOptionSets?: Record<string, string>[];
  /**
   * Inputs and outputs in device tensors, bound through IoBinding (see the file comment): true for every
   * row, 'native' for the non-node rows only (node then runs host to host, as onnxruntime-node users call it).
   */
  deviceIo?: boolean | 'native';
}

export interface CompareRow {
  label: string;
  file: string;
  /** Backend asked for, and the one that served (they differ after a fallback). */
  backend: Backend;
  servedBy: string;
  providerOptions: Record<string, string>;
  /** Why this row did not run (its session or first call failed); its figures are then empty. */
  failed?: string;
  fileBytes: number;
  loadSeconds: number;
  /** Timed runs taken (fewer than asked when the model ran past its time budget). */
  timedRuns: number;
  latencyMs: TimeStats;
  /** JS wall time per call (equals latencyMs without device IO; with it, latencyMs is the backend's own call time). */
  wallMs: TimeStats;
  /** baseline median / this median (> 1 = faster than the baseline). */
  speedup: number;
  error: ErrorStats;
  outputs: Record<string, ErrorStats>;
}

export interface CompareReport {
  schemaVersion: 1;
  kind: 'compare';
  createdAt: string;
  ep: ExecutionProvider;
  runs: number;
  warmup: number;
  timing: string;
  inputs: { name: string; type: string; dims: number[] }[];
  rows: CompareRow[];
}

function fileSize(path: string): number {
  let n = statSync(path).size;
  try {
    n += statSync(`${path}.data`).size;
  } catch {
    // no external data next to it
  }
  return n;
}

/** What the phases of compareModels share: the grid of rows and, per row, its session, IO, outputs and error. */
interface CompareState {
  o: CompareOptions;
  grid: GridRow[];
  /** The baseline's feeds, and each model's (float16 inputs converted). */
  feeds: Record<string, HostTensor>;
  perModelFeeds: Record<string, HostTensor>[];
  /** Per grid row (undefined where the row failed). */
  sessions: (Session | undefined)[];
  bound: (BoundIo | undefined)[];
  outputs: Record<string, Float32Array>[];
  loadSeconds: number[];
  rowErrors: (string | undefined)[];
}

/** The feeds: the baseline's graph inputs planned with the given dims and seed (float16 inputs made as float32). */
function compareFeeds(o: CompareOptions, base: Model): { plan: InputPlanEntry[]; feeds: Record<string, HostTensor> } {
  const overrides = emptyOverrides();
  overrides.dims = { ...(o.dims ?? {}) };
  const io = base.graph.inputs
    .filter((v) => !v.initializer)
    .map((v) => {
      const t = v.tensorType;
      // Feeds are made in float32 for float16 inputs too; adaptFeeds converts them per model.
      const name = t ? dataTypeName(t.elemType) : 'float32';
      const type = name === 'float16' ? 'float32' : name;
      return { name: v.name, type, shape: t?.shape ?? [] };
    });
  const { plan } = planInputs(io, overrides, o.seed ?? 1, o.baseline);
  const feeds: Record<string, HostTensor> = {};
  for (const e of plan) feeds[e.name] = materializeInput(e);
  return { plan, feeds };
}

/** Phase 1: per grid row, a session, its first run's outputs and the warm-up; a row ORT refuses is that row's error. */
async function loadRows(st: CompareState, warmup: number): Promise<void> {
  const { o, grid, feeds, sessions, bound, outputs, loadSeconds } = st;
  for (const g of grid) {
    o.onProgress?.(`loading ${g.label} (${g.file})`);
    const config = rowConfig(o.ep, g);
    const t0 = performance.now();
    // A row ORT refuses at run time (an option set it can't take: CUDA graph capture with nodes off the EP)
    // is reported as that row's error; the other rows go on. Bad input (UsageError) stops the command.
    let s: Session | undefined;
    try {
      const made = await createSession(g.file, config);
      s = made;
      sessions.push(made);
      loadSeconds.push((performance.now() - t0) / 1000);
      const f = st.perModelFeeds[g.model] ?? feeds;
      const wantIo = o.deviceIo === true || (o.deviceIo === 'native' && g.backend !== 'node');
      const io = wantIo ? await bindDeviceIo(made, g.file, config, f) : undefined;
      bound.push(io);
      const call = () => (io ? made.runBound(io.feeds, io.outputs).then((r) => r.ms) : timedRun(made, f));
      const tFirst = performance.now();
      const r = io ? (await made.runBound(io.feeds, io.outputs), downloadAll(io.outputs)) : await made.run(f);
      const firstMs = performance.now() - tFirst;
      const out: Record<string, Float32Array> = {};
      for (const [k, v] of Object.entries(r)) out[k] = toFloat32(v);
      outputs.push(out);
      // A model that takes seconds per run (CPU fallback) gets one more warm-up, not the full count.
      const extra = firstMs > 1000 ? Math.min(1, warmup - 1) : warmup - 1;
      for (let w = 0; w < extra; w++) await call();
    } catch (e) {
      if (e instanceof UsageError || grid.length === 1) throw e;
      const msg = String((e as Error).message).split('\n')[0] ?? String(e);
      o.onProgress?.(`${g.label}: ${msg}`);
      st.rowErrors[grid.indexOf(g)] = msg;
      if (s && sessions[sessions.length - 1] === s) sessions.pop();
      await s?.release();
      sessions.push(undefined);
      while (loadSeconds.length < sessions.length) loadSeconds.push(0);
      while (bound.length < sessions.length) bound.push(undefined);
      while (outputs.length < sessions.length) outputs.push({});
    }
  }
}

/** Phase 2: interleaved timed rounds over the loaded rows, each row within its time budget (at least 3 runs). */
async function timeRounds(st: CompareState, runs: number): Promise<{ times: number[][]; walls: number[][] }> {
  const { o, grid, sessions, bound } = st;
  const times: number[][] = grid.map(() => []);
  const walls: number[][] = grid.map(() => []);
  const budgetMs = (o.maxSecondsPerModel ?? 30) * 1000;
  const spent = grid.map(() => 0);
  for (let r = 0; r < runs; r++) {
    for (const [i, s] of sessions.entries()) {
      if (!s) continue;
      if ((spent[i] ?? 0) > budgetMs && (times[i]?.length ?? 0) >= 3) continue;
      const io = bound[i];
      const g = grid[i];
      const w0 = performance.now();
      const dt = io ? (await s.runBound(io.feeds, io.outputs)).ms : await timedRun(s, st.perModelFeeds[g?.model ?? 0] ?? st.feeds);
      walls[i]?.push(performance.now() - w0);
      times[i]?.push(dt);
      spent[i] = (spent[i] ?? 0) + dt;
    }
    if ((r + 1) % 10 === 0) o.onProgress?.(`timed ${r + 1}/${runs} rounds`);
  }
  return { times, walls };
}

/** Phase 3: one row per grid row: latency and speedup against the baseline row, output error against its outputs. */
function compareRows(st: CompareState, times: number[][], walls: number[][]): CompareRow[] {
  const baseStats = timeStats(times[0] ?? []);
  const ref = st.outputs[0] ?? {};
  return st.grid.map((g, i) => {
    const f = g.file;
    const per: Record<string, ErrorStats> = {};
    for (const [k, v] of Object.entries(ref)) {
      const c = st.outputs[i]?.[k];
      per[k] = c ? compareArrays(v, c) : { relL2: Infinity, maxAbs: Infinity, cosine: 0, sqnrDb: -Infinity, nonFinite: v.length, count: 0 };
    }
    const lat = timeStats(times[i] ?? []);
    return {
      label: g.label,
      backend: g.backend,
      servedBy: st.sessions[i]?.backend ?? 'node',
      ...(st.rowErrors[i] ? { failed: st.rowErrors[i] } : {}),
      providerOptions: g.providerOptions,
      timedRuns: times[i]?.length ?? 0,
      file: f,
      fileBytes: fileSize(f),
      loadSeconds: st.loadSeconds[i] ?? 0,
      latencyMs: lat,
      wallMs: timeStats(walls[i] ?? []),
      speedup: baseStats.median / lat.median,
      error: worst(Object.values(per)),
      outputs: per,
    };
  });
}

/** What the report says the timing measured. */
function timingText(deviceIo: CompareOptions['deviceIo']): string {
  if (deviceIo === 'native') return 'node host to host; other backends device IO (IoBinding, per-call time to synchronized outputs), interleaved rounds';
  return deviceIo ? 'device IO (IoBinding, per-call time to synchronized outputs), interleaved rounds' : 'host-to-host session.run, interleaved rounds';
}

/** Baseline vs variants on the same inputs in one process: load every row, time them in interleaved rounds, compare. */
export async function compareModels(o: CompareOptions): Promise<CompareReport> {
  const runs = o.runs ?? 30;
  const warmup = o.warmup ?? 5;
  const files = [o.baseline, ...o.variants];
  const labels = files.map((f, i) => (i === 0 ? (o.labels?.[0] ?? 'baseline') : (o.labels?.[i] ?? basename(f, '.onnx'))));
  const models = files.map((f) => readModel(f, { loadExternalData: false, verify: false }).model);
  const base = models[0];
  if (!base) throw new Error('no baseline');
  const { plan, feeds } = compareFeeds(o, base);
  const backends = o.backends?.length ? o.backends : (['node'] as Backend[]);
  const sets = o.providerOptionSets?.length ? o.providerOptionSets : [{}];
  const grid = gridOf(files, labels, models.length, backends, sets);
  const st: CompareState = {
    o,
    grid,
    feeds,
    perModelFeeds: [],
    sessions: [],
    bound: [],
    outputs: [],
    loadSeconds: [],
    rowErrors: grid.map(() => undefined),
  };
  try {
    st.perModelFeeds = models.map((m) => adaptFeeds(m, feeds));
    await loadRows(st, warmup);
    const { times, walls } = await timeRounds(st, runs);
    return {
      schemaVersion: 1,
      kind: 'compare',
      createdAt: new Date().toISOString(),
      ep: o.ep,
      runs,
      warmup,
      timing: timingText(o.deviceIo),
      inputs: plan.map((e) => ({ name: e.name, type: e.type, dims: e.dims })),
      rows: compareRows(st, times, walls),
    };
  } finally {
    for (const io of st.bound) for (const t of [...Object.values(io?.feeds ?? {}), ...Object.values(io?.outputs ?? {})]) t.release();
    for (const s of st.sessions) await s?.release();
  }
}

interface GridRow {
  model: number;
  file: string;
  label: string;
  backend: Backend;
  providerOptions: Record<string, string>;
}

/** Every model × backend × option set (node with the empty set only); labels name what differs. */
function gridOf(files: string[], labels: string[], n: number, backends: Backend[], sets: Record<string, string>[]): GridRow[] {
  const rows: GridRow[] = [];
  const optText = (p: Record<string, string>) =>
    Object.entries(p)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  for (let m = 0; m < n; m++)
    for (const backend of backends) {
      const own = backend === 'node' ? [{}] : sets;
      for (const p of own) {
        let label = labels[m] ?? files[m] ?? '';
        if (backends.length > 1) label += ` [${backend}]`;
        if (sets.length > 1 || Object.keys(p).length) label += ` {${optText(p) || 'defaults'}}`;
        rows.push({ model: m, file: files[m] ?? '', label, backend, providerOptions: p });
      }
    }
  return rows;
}

function rowConfig(ep: ExecutionProvider, g: GridRow): SessionConfig {
  const c: SessionConfig = { ep, backend: g.backend };
  if (Object.keys(g.providerOptions).length) c.providerOptions = g.providerOptions;
  return c;
}

async function timedRun(s: Session, feeds: Record<string, HostTensor>): Promise<number> {
  const t0 = performance.now();
  await s.run(feeds);
  return performance.now() - t0;
}

interface BoundIo {
  feeds: Record<string, DeviceTensor>;
  outputs: Record<string, DeviceTensor>;
}

/**
 * Device tensors for one session: inputs uploaded once; outputs preallocated at the dims one run gives. That run
 * is on a separate session without CUDA graph capture when the config asks for it: ORT captures during the
 * first run, and the captured graph keeps writing to the buffers bound then.
 */
async function bindDeviceIo(s: Session, file: string, config: SessionConfig, feeds: Record<string, HostTensor>): Promise<BoundIo> {
  const graph = config.providerOptions?.enable_cuda_graph === '1' || config.cudaGraph === true;
  let probe: Record<string, HostTensor>;
  if (graph) {
    const { enable_cuda_graph: _drop, ...rest } = config.providerOptions ?? {};
    const d = await createSession(file, { ...config, providerOptions: rest, cudaGraph: false });
    try {
      probe = await d.run(feeds);
    } finally {
      await d.release();
    }
  } else probe = await s.run(feeds);
  const inTensors: Record<string, DeviceTensor> = {};
  for (const [k, v] of Object.entries(feeds)) {
    const t = s.allocate(v.type, v.dims);
    t.upload(v.data);
    inTensors[k] = t;
  }
  const outTensors: Record<string, DeviceTensor> = {};
  for (const [k, v] of Object.entries(probe)) outTensors[k] = s.allocate(v.type, v.dims);
  return { feeds: inTensors, outputs: outTensors };
}

function downloadAll(outs: Record<string, Tensor>): Record<string, HostTensor> {
  const r: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(outs)) r[k] = 'data' in v ? v : v.download();
  return r;
}

export function renderCompareText(r: CompareReport): string {
  const W = Math.max(22, ...r.rows.map((x) => Math.min(64, x.label.length)));
  const lines = [`ep ${r.ep}, ${r.runs} timed runs after ${r.warmup} warm-up (${r.timing})`];
  lines.push(
    `${'variant'.padEnd(W)} ${'median ms'.padStart(10)} ${'wall ms'.padStart(9)} ${'p10'.padStart(8)} ${'p90'.padStart(8)} ${'speedup'.padStart(8)} ${'rel L2'.padStart(10)} ${'cosine'.padStart(9)}  non-finite`,
  );
  for (const row of r.rows) {
    lines.push(
      `${row.label.slice(0, W).padEnd(W)} ${row.latencyMs.median.toFixed(3).padStart(10)} ${row.wallMs.median.toFixed(3).padStart(9)} ${row.latencyMs.p10.toFixed(2).padStart(8)} ${row.latencyMs.p90.toFixed(2).padStart(8)} ${`${row.speedup.toFixed(2)}×`.padStart(8)} ${row.error.relL2.toExponential(2).padStart(10)} ${row.error.cosine.toFixed(6).padStart(9)}  ${row.error.nonFinite}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
