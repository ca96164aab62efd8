/**
 * Benchmark: FP16 conversion of a large GPT-like graph (default 30 layers × 1024 wide, ≈1.5 GB of float32
 * weights built with GraphBuilder), measuring conversion time and peak RSS against the model size.
 *
 * Peer (peer-measurements.md): ORT's `convert_float_to_float16` took 24.7 s on a 1.5 GB GPT probe and
 * peaked at 7.3 GB resident (4.8× the model). Target here: peak RSS ≤ 1.5 × the model size.
 *
 * Modes: `copy` (the pure pass: float16 bytes are new buffers, the float32 model stays) and `inPlace`
 * (what `workbench optimize` uses: float16 written into the float32 buffers). `maxRSS` is a process-wide
 * high-water mark, so each mode runs in its own child process when this file runs as compiled JS;
 * otherwise (ts runners) the requested modes run in this process, in order.
 *
 * Library use (e.g. from `npm run bench`): `await benchFp16Convert({ out: 'reports/bench-fp16.json' })`.
 * CLI: `node dist/bench/fp16-convert.js [--layers 30] [--dim 1024] [--out file.json] [--mode copy|inPlace]`.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GraphBuilder, f } from '../src/onnx/builder.js';
import { DataType } from '../src/onnx/dtype.js';
import { countParameters } from '../src/onnx/graph-utils.js';
import type { Model, Value } from '../src/onnx/types.js';
import { fp16WithReport } from '../src/quantize/fp16.js';

export interface Fp16BenchOptions {
  /** Transformer layers (default 30). */
  layers?: number;
  /** Model width (default 1024; MLP is 4× wide). */
  dim?: number;
  /** Modes to measure (default both). */
  modes?: ('copy' | 'inPlace')[];
  /** Where to write the JSON result (default none). */
  out?: string;
}

export interface Fp16BenchRun {
  mode: 'copy' | 'inPlace';
  layers: number;
  dim: number;
  nodes: number;
  modelBytes: number;
  buildMs: number;
  convertMs: number;
  /** Float32 → float16 throughput over the weight bytes. */
  convertGBps: number;
  rssBeforeConvertBytes: number;
  rssAfterConvertBytes: number;
  /** Process high-water mark (includes building the model). */
  peakRssBytes: number;
  peakRssOverModel: number;
  castsInserted: number;
  nodesConverted: number;
}

export interface Fp16BenchResult {
  bench: 'fp16-convert';
  node: string;
  platform: string;
  runs: Fp16BenchRun[];
  peer: { tool: string; convertSeconds: number; peakRssOverModel: number; source: string };
}

/** A GPT-like decode-step graph: per layer LayerNorm → QKV → O → residual → LayerNorm → MLP (Gelu) → residual. */
export function buildGptLike(layers: number, dim: number): Model {
  const b = new GraphBuilder('gpt-like', { seed: 1 });
  let x: Value = b.input('x', DataType.FLOAT, [1, 1, dim]);
  const ln = (v: Value, name: string): Value =>
    b.op('LayerNormalization', [v, b.weight(`${name}.weight`, [dim], { constant: 1 }), b.weight(`${name}.bias`, [dim], { constant: 0 })], { axis: -1, epsilon: f(1e-5) }, { name });
  const lin = (v: Value, name: string, i: number, o: number): Value =>
    b.op('Add', [b.op('MatMul', [v, b.weight(`${name}.weight`, [i, o], { fanIn: i })], {}, { name: `${name}/MatMul` }), b.weight(`${name}.bias`, [o], { constant: 0 })], {}, { name: `${name}/Add` });
  for (let l = 0; l < layers; l++) {
    b.scope(`h.${l}`, () => {
      const h = ln(x, 'ln_1');
      const qkv = lin(h, 'attn.c_attn', dim, 3 * dim);
      const [q, , v] = b.op('Split', [qkv, b.constInt64('split', [dim, dim, dim])], { axis: -1 }, { outputs: 3 });
      // One-token decode: attention over a single position is the value itself (softmax of one logit = 1).
      const gate = b.op('Sigmoid', [b.op('ReduceMean', [q as Value], { axes: [-1], keepdims: 1 })]);
      const a = lin(b.op('Mul', [v as Value, gate]), 'attn.c_proj', dim, dim);
      x = b.op('Add', [x, a]);
      const h2 = ln(x, 'ln_2');
      const u = lin(h2, 'mlp.c_fc', dim, 4 * dim);
      const g = b.op('Gelu', [u], {}, {}) as Value;
      x = b.op('Add', [x, lin(g, 'mlp.c_proj', 4 * dim, dim)]);
    });
  }
  b.output(ln(x, 'ln_f'), 'y', [1, 1, dim]);
  return b.finish();
}

function measure(mode: 'copy' | 'inPlace', layers: number, dim: number): Fp16BenchRun {
  const t0 = performance.now();
  const model = buildGptLike(layers, dim);
  const buildMs = performance.now() - t0;
  const modelBytes = countParameters(model.graph).bytes;
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t1 = performance.now();
  const { model: h, report } = fp16WithReport(model, { keepIoTypes: true, inPlace: mode === 'inPlace' });
  const convertMs = performance.now() - t1;
  const rssAfter = process.memoryUsage().rss;
  const peak = process.resourceUsage().maxRSS * 1024;
  if (h.graph.nodes.length === 0) throw new Error('empty result');
  return {
    mode,
    layers,
    dim,
    nodes: model.graph.nodes.length,
    modelBytes,
    buildMs: Math.round(buildMs),
    convertMs: Math.round(convertMs),
    convertGBps: modelBytes / 1e9 / (convertMs / 1000),
    rssBeforeConvertBytes: rssBefore,
    rssAfterConvertBytes: rssAfter,
    peakRssBytes: peak,
    peakRssOverModel: peak / modelBytes,
    castsInserted: report.stats.castsInserted ?? 0,
    nodesConverted: report.stats.nodesConverted ?? 0,
  };
}

/** Runs the benchmark; writes JSON to `out` when given and returns the result. */
export async function benchFp16Convert(options: Fp16BenchOptions = {}): Promise<Fp16BenchResult> {
  const layers = options.layers ?? 30;
  const dim = options.dim ?? 1024;
  const modes = options.modes ?? ['copy', 'inPlace'];
  const self = fileURLToPath(import.meta.url);
  const runs: Fp16BenchRun[] = [];
  for (const mode of modes) {
    if (self.endsWith('.js')) {
      const r = spawnSync(process.execPath, ['--expose-gc', self, '--child', '--mode', mode, '--layers', String(layers), '--dim', String(dim)], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`fp16-convert bench child failed: ${r.stderr}`);
      runs.push(JSON.parse(r.stdout) as Fp16BenchRun);
    } else runs.push(measure(mode, layers, dim));
  }
  const result: Fp16BenchResult = {
    bench: 'fp16-convert',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    runs,
    peer: { tool: 'onnxruntime.transformers.float16.convert_float_to_float16 (ORT 1.30, Python)', convertSeconds: 24.7, peakRssOverModel: 4.8, source: 'shared/reference/peer-measurements.md' },
  };
  if (options.out) writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const layers = Number(arg('layers') ?? 30);
  const dim = Number(arg('dim') ?? 1024);
  if (process.argv.includes('--child')) {
    process.stdout.write(JSON.stringify(measure((arg('mode') as 'copy' | 'inPlace') ?? 'copy', layers, dim)));
  } else {
    const mode = arg('mode') as 'copy' | 'inPlace' | undefined;
    const out = arg('out');
    const r = await benchFp16Convert({ layers, dim, ...(mode ? { modes: [mode] } : {}), ...(out ? { out } : {}) });
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  }
}
