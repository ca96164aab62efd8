/**
 * Records every step of each named stage ('tts.decode', 'ditto.render', …), whose sum is the stage's wall time,
 * enforces a per-stage time limit (the awaited step rejects with StageError; the run never waits forever) and
 * carries the test hook that injects a stall into one stage.
 */
import { StageError } from '../core/input-error.js';

export interface StallInjection {
  /** Stage name (exact, e.g. 'ditto.lmdm') the stall is injected into. */
  stage: string;
  /** How long the stage sleeps before doing its work. */
  ms: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves with `p`, or rejects with `onTimeout()` after `ms` (timer cleared either way). */
export function withTimeout<T>(p: Promise<T>, ms: number | undefined, onTimeout: () => Error): Promise<T> {
  if (!ms || !Number.isFinite(ms)) return p;
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** A step's [start, end] in milliseconds since the timer was made. */
export type StepInterval = [number, number];

export class StageTimer {
  /** Every step's interval per stage, in order: when each stage ran, not only how long (the run's timeline). */
  readonly intervals = new Map<string, StepInterval[]>();
  readonly started = performance.now();
  /** Called with the stage name as each step starts (worker heartbeats). */
  onStage: ((stage: string) => void) | undefined;

  constructor(
    readonly stageTimeoutMs?: number,
    readonly stall?: StallInjection,
  ) {}

  /** Runs one step of `stage`, adding its wall time. */
  async time<T>(stage: string, fn: () => Promise<T>): Promise<T> {
    this.onStage?.(stage);
    const t0 = performance.now();
    try {
      const work = async (): Promise<T> => {
        if (this.stall && this.stall.stage === stage) await sleep(this.stall.ms);
        return fn();
      };
      return await withTimeout(work(), this.stageTimeoutMs, () => new StageError(stage, 'timeout', `no result after ${this.stageTimeoutMs} ms`));
    } finally {
      let steps = this.intervals.get(stage);
      if (!steps) this.intervals.set(stage, (steps = []));
      steps.push([t0 - this.started, performance.now() - this.started]);
    }
  }

  /** Wall time per stage: the sum of its steps' intervals. */
  get totals(): Map<string, number> {
    return new Map([...this.intervals].map(([k, steps]) => [k, steps.reduce((t, [a, b]) => t + b - a, 0)]));
  }

  /** The intervals per stage rounded to 0.01 ms, for run.json. */
  timeline(): Record<string, StepInterval[]> {
    const r = (ms: number): number => Math.round(ms * 100) / 100;
    return Object.fromEntries([...this.intervals].map(([k, v]) => [k, v.map(([a, b]): StepInterval => [r(a), r(b)])]));
  }

  /** Milliseconds since the timer was made. */
  elapsed(): number {
    return performance.now() - this.started;
  }
}
