/**
 * Progress of a running sweep on stderr: the variant and its stage, and overall k/n, elapsed and ETA
 * (mean seconds per finished variant × variants left).
 */

export interface ProgressSink {
  variantStage(name: string, stage: string): void;
  variantDone(name: string, status: 'ok' | 'error' | 'skipped', detail: string): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Estimated seconds left: mean seconds of the variants run so far × the number still to run. */
export function estimateRemaining(doneSeconds: readonly number[], left: number): number {
  if (left <= 0) return 0;
  if (!doneSeconds.length) return Number.NaN;
  return (doneSeconds.reduce((a, b) => a + b, 0) / doneSeconds.length) * left;
}

/** A progress sink that writes lines like `[3/6 0:42 eta 1m10s] fp16: run`. */
export function createStderrProgress(total: number, write: (s: string) => void, now: () => number = () => performance.now()): ProgressSink & { started(name: string): void } {
  const t0 = now();
  let done = 0;
  let variantStart = t0;
  const durations: number[] = [];
  const head = (): string => {
    const elapsed = (now() - t0) / 1000;
    return `[${done}/${total} ${formatDuration(elapsed)} eta ${formatDuration(estimateRemaining(durations, total - done))}]`;
  };
  return {
    started(name: string) {
      variantStart = now();
      write(`${head()} ${name}: start\n`);
    },
    variantStage(name, stage) {
      write(`${head()} ${name}: ${stage}\n`);
    },
    variantDone(name, status, detail) {
      done++;
      if (status !== 'skipped') durations.push((now() - variantStart) / 1000);
      write(`${head()} ${name}: ${status}${detail ? ` (${detail})` : ''}\n`);
    },
  };
}
