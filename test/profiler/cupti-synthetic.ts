/** A synthetic CUDA node pass for the CUPTI tests: ORT trace + the capture libcupti_trace.so would write. */
import type { HostClockMarks } from '../../src/profiler/cupti/clock-map.js';
import { parseTrace, type ParsedTrace } from '../../src/profiler/trace.js';
import { ev, nodeEv } from './helpers.js';

// A synthetic profiled pass: ORT trace (µs since an unknown start Z) + the capture the injection library
// would write (CUPTI clock = CLOCK_REALTIME = monotonic + a large offset; times relative to `base`).

export const MONO_Z = 5_000_000_000_000n; // ORT's trace time zero on CLOCK_MONOTONIC (ns)
export const INIT_MONO = MONO_Z + 3_000_000n; // the library starts 3 ms later (cuInit during session creation)
export const REAL_OFF = 1_700_000_000_000_000_000n; // CUPTI clock − monotonic
export const BASE = INIT_MONO + REAL_OFF;
export const RUNS = [10_000, 11_000, 12_500, 13_200]; // model_run starts (µs); the first is the warm-up
export const RUN_DUR = 400;
export const CUDA = 'CUDAExecutionProvider';
export const CPU = 'CPUExecutionProvider';

/** CUPTI-relative ns of a trace time in µs. */
export const rel = (us: number): number => Number(MONO_Z - INIT_MONO) + Math.round(us * 1000);

export interface Synthetic {
  trace: ParsedTrace;
  /** The trace file's text (a JSON array of events, as ORT writes it). */
  traceText: string;
  captureText: string;
  marks: HostClockMarks;
}

export function synthetic(): Synthetic {
  const events: Record<string, unknown>[] = [ev('Session', 'model_loading_uri', 0, 500), ev('Session', 'session_initialization', 600, 3000)];
  const lines: string[] = [
    JSON.stringify({ t: 'hdr', format: 'wb-cupti', version: 1, pid: 42, cuptiApi: 130001, cudaVersion: 13000, base: BASE.toString(), demangle: 1 }),
    JSON.stringify({ t: 'clock', at: 'init', cupti: (INIT_MONO + REAL_OFF).toString(), mono: INIT_MONO.toString(), real: '0', gap: 60 }),
  ];
  const names = new Map<string, number>();
  const nameId = (s: string): number => {
    let id = names.get(s);
    if (id === undefined) {
      id = names.size;
      names.set(s, id);
      lines.push(JSON.stringify({ t: 'name', id, s }));
    }
    return id;
  };
  let corr = 1;
  const api = (name: string, s: number, e: number, domain: 'rt' | 'drv' = 'rt'): number => {
    const c = corr++;
    lines.push(JSON.stringify({ t: 'api', d: domain, cb: 13, n: nameId(name), s: rel(s), e: rel(e), c, tid: 7 }));
    return c;
  };
  const kernel = (name: string, c: number, s: number, e: number): void => {
    lines.push(JSON.stringify({ t: 'k', n: nameId(name), s: rel(s), e: rel(e), c, st: 13, dev: 0, g: [1, 1, 1], b: [128, 1, 1] }));
  };
  const copy = (k: number, c: number, s: number, e: number, by = 4096): void => {
    lines.push(JSON.stringify({ t: 'cp', k, src: 1, dst: 2, by, s: rel(s), e: rel(e), c, st: 13 }));
  };
  const memset = (c: number, s: number, e: number): void => {
    lines.push(JSON.stringify({ t: 'ms', by: 256, s: rel(s), e: rel(e), c, st: 13 }));
  };
  // Weight upload during session creation: outside every run.
  copy(1, api('cudaMemcpyAsync', 5000, 5003), 5004, 5104, 1 << 20);
  RUNS.forEach((R, i) => {
    const f = i === 0 ? 3 : 1; // the warm-up run's GPU work is 3× slower: it must not reach any statistic
    events.push(ev('Session', 'model_run', R, RUN_DUR));
    // Input copy at the start of the run (outside nodes).
    copy(1, api('cudaMemcpyAsync', R + 4, R + 7), R + 8, R + 8 + 4 * f);
    // conv: two kernels, the second through the driver API.
    events.push(nodeEv('conv', 'Conv', CUDA, R + 12, 30));
    let gpu = R + 20;
    kernel('void conv_a<float>(float const*)', api('cudaLaunchKernel', R + 15, R + 19), gpu, (gpu += 50 * f));
    kernel('conv_b', api('cuLaunchKernel', R + 25, R + 29, 'drv'), gpu, (gpu += 40 * f));
    // A CPU node (no GPU work).
    events.push(nodeEv('cpu_node', 'NonZero', CPU, R + 44, 25));
    // small: one tiny kernel and a memset (launch-bound: 6 µs of host time, 3 µs of GPU time).
    events.push(nodeEv('small', 'Add', CUDA, R + 71, 6));
    kernel('small_k', api('cudaLaunchKernel', R + 72, R + 75), gpu, (gpu += 2 * f));
    memset(api('cudaMemsetAsync', R + 75.5, R + 76.5), gpu, (gpu += 1 * f));
    // reshape: on the CUDA EP, no GPU work.
    events.push(nodeEv('reshape', 'Reshape', CUDA, R + 79, 2));
    // to_host: a synchronous copy; its host time is mostly waiting.
    events.push(nodeEv('to_host', 'MemcpyToHost', CUDA, R + 83, 40));
    copy(2, api('cudaMemcpy', R + 85, R + 120), gpu, (gpu += 6 * f));
    api('cuMemcpyDtoH_v2', R + 86, R + 119, 'drv'); // the driver call inside it: must not count twice
    // A kernel whose launch call is missing from the capture (placed by GPU time).
    kernel('orphan', 100_000 + i, R + 300, R + 300 + 3 * f);
    // Output copy and synchronize at the end of the run (outside nodes).
    copy(2, api('cudaMemcpyAsync', R + 380, R + 383), R + 384, R + 384 + 3 * f);
    api('cudaStreamSynchronize', R + 383, R + 392);
  });
  const exitMono = MONO_Z + 20_000_000n;
  lines.push(JSON.stringify({ t: 'clock', at: 'exit', cupti: (exitMono + REAL_OFF).toString(), mono: exitMono.toString(), real: '0', gap: 55 }));
  lines.push(JSON.stringify({ t: 'end', kernels: 16, memcpys: 13, memsets: 4, apis: 33, apisSkipped: 100, dropped: 0, bad: 0 }));
  const marks: HostClockMarks = {
    sessionCreate: [(MONO_Z - 2_000_000n).toString(), (MONO_Z + 9_000_000n).toString()],
    runs: RUNS.map((R) => [(MONO_Z + BigInt(R * 1000) - 25_000n).toString(), (MONO_Z + BigInt((R + RUN_DUR) * 1000) + 60_000n).toString()]),
  };
  return { trace: parseTrace(JSON.stringify(events), 'synthetic.json'), traceText: JSON.stringify(events), captureText: `${lines.join('\n')}\n`, marks };
}

/** Expected per counted run (µs). */
export const EXPECT = {
  conv: { gpu: 90, host: 30, contribution: 90 },
  cpu_node: { time: 25, contribution: 25 },
  small: { gpu: 3, host: 6, contribution: 6 },
  reshape: { gpu: 0, host: 2, contribution: 2 },
  to_host: { gpu: 6, host: 40, launch: 5, contribution: 6 },
};
export const TRUE_ZERO = Number(MONO_Z - INIT_MONO); // trace zero relative to the clock origin (init pair)
