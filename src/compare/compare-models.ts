/**
 * Side by side: a baseline model and its variants (our FP16/INT8, a peer tool's) on the same seeded inputs in
 * ONE process, sessions loaded together and timed in interleaved rounds so drift hits all alike. Reports
 * per-variant latency (median, p10, p90 over the timed runs after warm-up), the ratio to the baseline, and
 * output error against the baseline's outputs (relative L2, cosine, max-abs, non-finite count).
 * Times are host to host (session.run with inputs and outputs in host memory), as users call it.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { dataTypeName } from '../onnx/dtype.js';
import { readModel } from '../onnx/read-model.js';
import { emptyOverrides, materializeInput, planInputs } from '../profiler/inputs.js';
import { timeStats, type TimeStats } from '../profiler/stats.js';
import { adaptFeeds, toFloat32 } from '../quantize/execute.js';
import { type ErrorStats, compareArrays, worst } from '../quantize/metrics.js';
import { type ExecutionProvider, type HostTensor, type Session, createSession } from '../runtime/ort.js';

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
}

export interface CompareRow {
  label: string;
  file: string;
  fileBytes: number;
  loadSeconds: number;
  /** Timed runs taken (fewer than asked when the model ran past its time budget). */
  timedRuns: number;
  latencyMs: TimeStats;
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
  timing: 'host-to-host session.run, interleaved rounds';
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

export async function compareModels(o: CompareOptions): Promise<CompareReport> {
  const runs = o.runs ?? 30;
  const warmup = o.warmup ?? 5;
  const files = [o.baseline, ...o.variants];
  const labels = files.map((f, i) => (i === 0 ? (o.labels?.[0] ?? 'baseline') : (o.labels?.[i] ?? basename(f, '.onnx'))));
  const models = files.map((f) => readModel(f, { loadExternalData: false, verify: false }).model);
  const base = models[0];
  if (!base) throw new Error('no baseline');
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

  const sessions: Session[] = [];
  const loadSeconds: number[] = [];
  try {
    for (const [i, f] of files.entries()) {
      o.onProgress?.(`loading ${labels[i]} (${f})`);
      const t0 = performance.now();
      sessions.push(await createSession(f, { ep: o.ep }));
      loadSeconds.push((performance.now() - t0) / 1000);
    }
    const perModelFeeds = models.map((m) => adaptFeeds(m, feeds));
    const outputs: Record<string, Float32Array>[] = [];
    for (const [i, s] of sessions.entries()) {
      const tFirst = performance.now();
      const r = await s.run(perModelFeeds[i] ?? feeds);
      const firstMs = performance.now() - tFirst;
      const out: Record<string, Float32Array> = {};
      for (const [k, v] of Object.entries(r)) out[k] = toFloat32(v);
      outputs.push(out);
      // A model that takes seconds per run (CPU fallback) gets one more warm-up, not the full count.
      const extra = firstMs > 1000 ? Math.min(1, warmup - 1) : warmup - 1;
      for (let w = 0; w < extra; w++) await s.run(perModelFeeds[i] ?? feeds);
    }
    const times: number[][] = files.map(() => []);
    const budgetMs = (o.maxSecondsPerModel ?? 30) * 1000;
    const spent = files.map(() => 0);
    for (let r = 0; r < runs; r++) {
      for (const [i, s] of sessions.entries()) {
        if ((spent[i] ?? 0) > budgetMs && (times[i]?.length ?? 0) >= 3) continue;
        const t0 = performance.now();
        await s.run(perModelFeeds[i] ?? feeds);
        const dt = performance.now() - t0;
        times[i]?.push(dt);
        spent[i] = (spent[i] ?? 0) + dt;
      }
      if ((r + 1) % 10 === 0) o.onProgress?.(`timed ${r + 1}/${runs} rounds`);
    }
    const baseStats = timeStats(times[0] ?? []);
    const ref = outputs[0] ?? {};
    const rows: CompareRow[] = files.map((f, i) => {
      const per: Record<string, ErrorStats> = {};
      for (const [k, v] of Object.entries(ref)) {
        const c = outputs[i]?.[k];
        per[k] = c ? compareArrays(v, c) : { relL2: Infinity, maxAbs: Infinity, cosine: 0, sqnrDb: -Infinity, nonFinite: v.length, count: 0 };
      }
      const lat = timeStats(times[i] ?? []);
      return {
        label: labels[i] ?? f,
        timedRuns: times[i]?.length ?? 0,
        file: f,
        fileBytes: fileSize(f),
        loadSeconds: loadSeconds[i] ?? 0,
        latencyMs: lat,
        speedup: baseStats.median / lat.median,
        error: worst(Object.values(per)),
        outputs: per,
      };
    });
    return {
      schemaVersion: 1,
      kind: 'compare',
      createdAt: new Date().toISOString(),
      ep: o.ep,
      runs,
      warmup,
      timing: 'host-to-host session.run, interleaved rounds',
      inputs: plan.map((e) => ({ name: e.name, type: e.type, dims: e.dims })),
      rows,
    };
  } finally {
    for (const s of sessions) await s.release();
  }
}

export function renderCompareText(r: CompareReport): string {
  const lines = [`ep ${r.ep}, ${r.runs} timed runs after ${r.warmup} warm-up (${r.timing})`];
  lines.push(`${'variant'.padEnd(22)} ${'median ms'.padStart(10)} ${'p10'.padStart(8)} ${'p90'.padStart(8)} ${'speedup'.padStart(8)} ${'rel L2'.padStart(10)} ${'cosine'.padStart(9)}  non-finite`);
  for (const row of r.rows) {
    lines.push(
      `${row.label.slice(0, 22).padEnd(22)} ${row.latencyMs.median.toFixed(3).padStart(10)} ${row.latencyMs.p10.toFixed(2).padStart(8)} ${row.latencyMs.p90.toFixed(2).padStart(8)} ${`${row.speedup.toFixed(2)}×`.padStart(8)} ${row.error.relL2.toExponential(2).padStart(10)} ${row.error.cosine.toFixed(6).padStart(9)}  ${row.error.nonFinite}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
