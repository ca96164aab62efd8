/**
 * A run's timeline (run.json `timing.timeline`) as report data: per sub-stage its steps, busy time, first start
 * and last end, and its longest gap between two steps; and for each stage, what the run's last stage (the one
 * that ended last) was doing meanwhile. Under `overlap` the stages' totals add up to more than the wall time;
 * this says which one the end waited on and where that stage stood idle. A read-only query.
 */
import { InputError } from '../core/input-error.js';
import type { RunResult } from './run-result.js';

export interface StageSpan {
  stage: string;
  steps: number;
  busyMs: number;
  startMs: number;
  endMs: number;
  /** The longest time between one step's end and the next one's start, and where it began. */
  longestGapMs: number;
  longestGapAtMs: number;
  /** The run cut into equal slices (RunTimeline.slices): the share of each slice this stage was busy, 0–1. */
  occupancy: number[];
}

export interface RunTimeline {
  totalMs: number;
  /** How many equal slices of the run each stage's occupancy has. */
  slices: number;
  timeToFirstFrameMs: number | null;
  /** In order of first start. */
  stages: StageSpan[];
  /** The stage that ended last: the run's end waited on it. */
  last: string;
  /** That stage's time before its first step, and between its steps: the time it stood waiting for inputs or the thread. */
  lastIdleMs: { beforeFirstStep: number; betweenSteps: number };
  /** Bound roles' slowest call split into the backend's run and the wait outside it (native backend). */
  slowestCalls: { role: string; maxMs: number; maxRunMs: number; maxWaitMs: number }[];
}

export function runTimeline(run: RunResult, file: string, slices = 60): RunTimeline {
  const timeline = run.timing.timeline;
  if (!timeline || Object.keys(timeline).length === 0)
    throw new InputError(file, 'timing.timeline', 'this run.json has no timeline (written before the runner kept one)');
  const stages = Object.entries(timeline)
    .filter(([, steps]) => steps.length > 0)
    .map(([stage, steps]) => spanOf(stage, steps, run.timing.totalMs, slices))
    .sort((a, b) => a.startMs - b.startMs);
  const last = stages.reduce((a, b) => (b.endMs > a.endMs ? b : a));
  const lastSteps = timeline[last.stage] ?? [];
  const between = lastSteps.slice(1).reduce((t, [a], i) => t + Math.max(0, a - (lastSteps[i] as [number, number])[1]), 0);
  const slowestCalls = Object.entries(run.roles)
    .filter(([, s]) => s?.maxRunMs !== undefined && s.maxWaitMs !== undefined)
    .map(([role, s]) => ({ role, maxMs: s?.maxMs ?? 0, maxRunMs: s?.maxRunMs ?? 0, maxWaitMs: s?.maxWaitMs ?? 0 }))
    .sort((a, b) => b.maxWaitMs - a.maxWaitMs);
  return {
    totalMs: run.timing.totalMs,
    slices,
    timeToFirstFrameMs: run.timing.timeToFirstFrameMs,
    stages,
    last: last.stage,
    lastIdleMs: { beforeFirstStep: last.startMs, betweenSteps: between },
    slowestCalls,
  };
}

function spanOf(stage: string, steps: readonly [number, number][], totalMs: number, slices: number): StageSpan {
  const width = Math.max(totalMs, steps[steps.length - 1]?.[1] ?? 0) / slices || 1;
  const occupancy = new Array<number>(slices).fill(0);
  let busy = 0;
  let gap = 0;
  let gapAt = 0;
  steps.forEach(([a, b], i) => {
    busy += b - a;
    for (let k = Math.floor(a / width); k < slices && k * width < b; k++)
      occupancy[k] = (occupancy[k] as number) + (Math.min(b, (k + 1) * width) - Math.max(a, k * width)) / width;
    const prevEnd = i > 0 ? (steps[i - 1] as [number, number])[1] : a;
    if (a - prevEnd > gap) {
      gap = a - prevEnd;
      gapAt = prevEnd;
    }
  });
  const first = steps[0] as [number, number];
  const lastStep = steps[steps.length - 1] as [number, number];
  return {
    stage,
    steps: steps.length,
    busyMs: busy,
    startMs: first[0],
    endMs: lastStep[1],
    longestGapMs: gap,
    longestGapAtMs: gapAt,
    occupancy: occupancy.map((x) => Math.min(1, x)),
  };
}
