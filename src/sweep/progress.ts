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

/**
 * Estimated seconds left: mean seconds of the variants run so far × the number still to run, divided by the
 * variants that run at once (`sweep --devices`).
 */
export function estimateRemaining(doneSeconds: readonly number[], left: number, parallel = 1): number {
  if (left <= 0) return 0;
  if (!doneSeconds.length) return Number.NaN;
  return ((doneSeconds.reduce((a, b) => a + b, 0) / doneSeconds.length) * left) / Math.max(1, parallel);
}

export interface ProgressOptions {
  /** Which part of a larger sweep this is ('shard 1/4 (kubernetes)'), printed in every line. */
  label?: string;
  /** Variants that run at once (one per device); divides the ETA. */
  parallel?: number;
  now?: () => number;
}

/**
 * A progress sink that writes lines like `[3/6 0:42 eta 1m10s] shard 1/4 dev 0 fp16: run`: per shard (the
 * label) and per device (each variant's `device`), with one ETA for what this process has left.
 */
export function createStderrProgress(
  total: number,
  write: (s: string) => void,
  o: ProgressOptions = {},
): ProgressSink & { started(name: string, device?: number): void } {
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  let done = 0;
  const starts = new Map<string, { at: number; device: number | undefined }>();
  const durations: number[] = [];
  const head = (): string => {
    const elapsed = (now() - t0) / 1000;
    return `[${done}/${total} ${formatDuration(elapsed)} eta ${formatDuration(estimateRemaining(durations, total - done, o.parallel))}]`;
  };
  const who = (name: string): string => {
    const device = starts.get(name)?.device;
    const parts = [o.label, device !== undefined ? `dev ${device}` : undefined, name].filter((x) => x !== undefined);
    return parts.join(' ');
  };
  return {
    started(name: string, device?: number) {
      starts.set(name, { at: now(), device });
      write(`${head()} ${who(name)}: start\n`);
    },
    variantStage(name, stage) {
      write(`${head()} ${who(name)}: ${stage}\n`);
    },
    variantDone(name, status, detail) {
      done++;
      const start = starts.get(name);
      if (status !== 'skipped' && start) durations.push((now() - start.at) / 1000);
      write(`${head()} ${who(name)}: ${status}${detail ? ` (${detail})` : ''}\n`);
      starts.delete(name);
    },
  };
}
