/**
 * Accumulates wall time per named stage ('tts.decode', 'ditto.render', …), enforces a per-stage time limit
 * (the awaited step rejects with StageError; the run never waits forever) and carries the test hook that
 * injects a stall into one stage.
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

export class StageTimer {
  readonly totals = new Map<string, number>();
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
      this.totals.set(stage, (this.totals.get(stage) ?? 0) + performance.now() - t0);
    }
  }

  /** Milliseconds since the timer was made. */
  elapsed(): number {
    return performance.now() - this.started;
  }
}
