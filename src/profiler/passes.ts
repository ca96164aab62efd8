/**
 * The two measurement passes of a profile. 'e2e': a session without profiling, wall time of each `run()`
 * after warm-up (host to host). 'nodes': a session with ORT profiling; the trace it writes is the per-node
 * data. Either can run here or in a child process (see worker.ts), from a plain-JSON job.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSession, type SessionConfig } from '../runtime/index.js';
import type { HostClockMarks } from './cupti/clock-map.js';
import { materializeInputs, type InputPlanEntry } from './inputs.js';

export interface PassJob {
  kind: 'e2e' | 'nodes';
  modelPath: string;
  config: SessionConfig;
  plan: InputPlanEntry[];
  warmup: number;
  runs: number;
  /** Folder for the trace (nodes pass). */
  traceDir?: string;
}

export interface HostMemory {
  /** process.resourceUsage().maxRSS, in bytes. */
  maxRssBytes: number;
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
}

export interface PassResult {
  kind: PassJob['kind'];
  pid: number;
  /** Wall time of each run() in ms, warm-up included (the first `warmup` entries). */
  timesMs: number[];
  warmup: number;
  sessionCreateMs: number;
  host: HostMemory;
  /** Trace written by the nodes pass. */
  traceFile?: string;
  /** Environment switches that were on in the process that ran the pass. */
  env: Record<string, string>;
  /**
   * process.hrtime.bigint() (CLOCK_MONOTONIC ns) around session creation and around each run() of the nodes
   * pass: they bracket ORT's trace time zero, to align a CUPTI capture with the trace (profiler/cupti/).
   */
  clockMarks?: HostClockMarks;
}

/** Host memory of this process now. */
export function hostMemory(): HostMemory {
  const m = process.memoryUsage();
  return { maxRssBytes: process.resourceUsage().maxRSS * 1024, rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external };
}

const ENV_KEYS = ['CUDA_LAUNCH_BLOCKING', 'NVIDIA_TF32_OVERRIDE', 'CUDA_VISIBLE_DEVICES', 'CUDA_INJECTION64_PATH', 'WB_CUPTI_OUT'];

/** Runs one pass in this process. */
export async function runPass(job: PassJob): Promise<PassResult> {
  const config: SessionConfig = { ...job.config };
  if (job.kind === 'nodes') {
    const dir = job.traceDir ?? '.';
    mkdirSync(dir, { recursive: true });
    config.enableProfiling = true;
    config.profileFilePrefix = join(dir, `ort-trace-${process.pid}`);
  } else {
    config.enableProfiling = false;
  }
  const feeds = materializeInputs(job.plan);
  const t0 = performance.now();
  const h0 = process.hrtime.bigint();
  const session = await createSession(job.modelPath, config);
  const h1 = process.hrtime.bigint();
  const sessionCreateMs = performance.now() - t0;
  const timesMs: number[] = [];
  const runMarks: [string, string][] = [];
  let traceFile: string | undefined;
  try {
    for (let i = 0; i < job.warmup + job.runs; i++) {
      const t = performance.now();
      const a = process.hrtime.bigint();
      await session.run(feeds);
      const b = process.hrtime.bigint();
      timesMs.push(performance.now() - t);
      runMarks.push([a.toString(), b.toString()]);
    }
  } finally {
    // endProfiling writes the trace; release also when a run failed.
    if (job.kind === 'nodes') traceFile = session.endProfiling();
    await session.release();
  }
  const env: Record<string, string> = {};
  for (const k of ENV_KEYS) if (process.env[k] !== undefined) env[k] = process.env[k] as string;
  const r: PassResult = { kind: job.kind, pid: process.pid, timesMs, warmup: job.warmup, sessionCreateMs, host: hostMemory(), env };
  if (traceFile) r.traceFile = traceFile;
  if (job.kind === 'nodes') r.clockMarks = { sessionCreate: [h0.toString(), h1.toString()], runs: runMarks };
  return r;
}
