/**
 * Coverage of a CPU profile, measured inside the profiled runs themselves: per run, the node times summed
 * against that run's `model_run`. Comparing with the separate unprofiled pass instead (another process,
 * other moments of a loaded machine) gave ratios from 0.16 to 11.9 on the tiny models; within one run a
 * sequential executor's nodes lie inside model_run, so each run's ratio is at most 1. When node events
 * overlap in time (a parallel executor, or ORT's inter-op pool), their sum is not a part of the run at all,
 * and no ratio is given.
 */
import { median } from '../core/stats.js';
import type { ParsedTrace } from './trace.js';

export interface HostCoverage {
  /** Median over counted runs of Σ node time / model_run (each ≤ 1 without overlap); NaN when overlapping or unknown. */
  ratio: number;
  /** Median model_run of the counted runs (ms). */
  modelRunMs: number;
  /** Node events of one run overlapped in time. */
  overlapping: boolean;
}

/** Tolerance for timestamps that touch (ORT writes whole microseconds). */
const TOUCH_US = 2;

export function hostCoverage(trace: ParsedTrace, countedRuns: readonly number[]): HostCoverage {
  const byRun = new Map<number, { ts: number; dur: number }[]>();
  for (const e of trace.nodes) {
    if (!countedRuns.includes(e.run)) continue;
    let list = byRun.get(e.run);
    if (!list) byRun.set(e.run, (list = []));
    list.push({ ts: e.ts, dur: e.dur });
  }
  let overlapping = false;
  const ratios: number[] = [];
  const runs: number[] = [];
  for (const r of countedRuns) {
    const run = trace.runs[r];
    const list = (byRun.get(r) ?? []).sort((a, b) => a.ts - b.ts);
    let end = Number.NEGATIVE_INFINITY;
    let sum = 0;
    for (const e of list) {
      if (e.ts < end - TOUCH_US) overlapping = true;
      end = Math.max(end, e.ts + e.dur);
      sum += e.dur;
    }
    if (run && run.dur > 0) {
      ratios.push(sum / run.dur);
      runs.push(run.dur);
    }
  }
  return { ratio: overlapping || !ratios.length ? Number.NaN : median(ratios), modelRunMs: runs.length ? median(runs) / 1000 : Number.NaN, overlapping };
}
