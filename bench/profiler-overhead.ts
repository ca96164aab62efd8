/**
 * Benchmark of the profiler's own overhead: the same model's `run()` wall time in a session with ORT profiling
 * on (what the node pass does) against one without (the end-to-end pass). Target: ≤ 5% slower end to end.
 * Rounds alternate unprofiled/profiled so machine drift hits both. Call `benchProfilerOverhead()` from
 * `npm run bench`; it writes bench/results/profiler-overhead.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GraphBuilder } from '../src/onnx/builder.js';
import { DataType } from '../src/onnx/dtype.js';
import { writeModel } from '../src/onnx/write-model.js';
import { planInputs, emptyOverrides } from '../src/profiler/inputs.js';
import { runPass } from '../src/profiler/passes.js';
import { timeStats, type TimeStats } from '../src/core/stats.js';
import type { ExecutionProvider } from '../src/runtime/index.js';

export interface ProfilerOverheadResult {
  schemaVersion: 1;
  bench: 'profiler-overhead';
  createdAt: string;
  ep: ExecutionProvider;
  model: string;
  rounds: number;
  runsPerRound: number;
  unprofiledMs: TimeStats;
  profiledMs: TimeStats;
  /** profiled median / unprofiled median − 1. */
  overhead: number;
  target: number;
  pass: boolean;
}

export interface ProfilerOverheadOptions {
  ep?: ExecutionProvider;
  rounds?: number;
  runsPerRound?: number;
  /** Conv stack spatial size (default 64: ~0.1 GFLOP per run). */
  size?: number;
  /** Output file (default bench/results/profiler-overhead.json under the working directory). */
  out?: string;
}

function convStack(dir: string, size: number): string {
  const b = new GraphBuilder('overhead_probe', { seed: 5 });
  let x = b.input('x', DataType.FLOAT, [1, 32, size, size]);
  for (let i = 0; i < 6; i++) {
    const w = b.weight(`c${i}.w`, [32, 32, 3, 3], { fanIn: 288 });
    x = b.op('Relu', [b.op('Conv', [x, w], { pads: [1, 1, 1, 1] }, { name: `conv${i}` })], {}, { name: `relu${i}` });
  }
  b.output(x, 'y');
  const file = join(dir, 'overhead-probe.onnx');
  writeModel(b.finish(), file);
  return file;
}

/** Measures profiled vs unprofiled run() time and writes the JSON result. */
export async function benchProfilerOverhead(o: ProfilerOverheadOptions = {}): Promise<ProfilerOverheadResult> {
  const ep = o.ep ?? 'cpu';
  const rounds = o.rounds ?? 4;
  const runs = o.runsPerRound ?? 15;
  const dir = mkdtempSync(join(tmpdir(), 'wb-bench-overhead-'));
  try {
    const model = convStack(dir, o.size ?? 64);
    const { plan } = planInputs([{ name: 'x', type: 'float32', shape: [1, 32, o.size ?? 64, o.size ?? 64] }], emptyOverrides(), 1, 'bench');
    const base = { modelPath: model, config: { ep, intraOpThreads: ep === 'cpu' ? 1 : 0 }, plan, warmup: 3, runs, traceDir: dir };
    const plain: number[] = [];
    const profiled: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const a = await runPass({ ...base, kind: 'e2e' });
      plain.push(...a.timesMs.slice(a.warmup));
      const b = await runPass({ ...base, kind: 'nodes' });
      profiled.push(...b.timesMs.slice(b.warmup));
    }
    const u = timeStats(plain);
    const p = timeStats(profiled);
    const overhead = p.median / u.median - 1;
    const result: ProfilerOverheadResult = {
      schemaVersion: 1,
      bench: 'profiler-overhead',
      createdAt: new Date().toISOString(),
      ep,
      model: `conv stack 6×Conv3x3(32→32)+Relu on [1,32,${o.size ?? 64},${o.size ?? 64}]`,
      rounds,
      runsPerRound: runs,
      unprofiledMs: u,
      profiledMs: p,
      overhead,
      target: 0.05,
      pass: overhead <= 0.05,
    };
    const out = o.out ?? join(process.cwd(), 'bench', 'results', 'profiler-overhead.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
