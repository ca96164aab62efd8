/**
 * Device memory of a process by polling `nvidia-smi --query-compute-apps=pid,used_memory`. Degrades to a
 * reason when nvidia-smi is absent or the pid is not visible (containers may show host pids).
 */
import { execFile } from 'node:child_process';

export interface GpuMemorySample {
  pid: number;
  usedMiB: number;
}

/** Parses `pid, used_memory` CSV lines (noheader, nounits). */
export function parseComputeApps(text: string): GpuMemorySample[] {
  const out: GpuMemorySample[] = [];
  for (const line of text.split('\n')) {
    const [p, m] = line.split(',').map((s) => s.trim());
    const pid = Number(p);
    const usedMiB = Number(m);
    if (p && m && Number.isFinite(pid) && Number.isFinite(usedMiB)) out.push({ pid, usedMiB });
  }
  return out;
}

/** What a poll found over its lifetime. */
export interface GpuMemoryReport {
  source: 'nvidia-smi' | 'unavailable';
  /** Peak device memory of the watched pid (bytes), when nvidia-smi listed it. */
  peakBytes?: number;
  /** Peak of the sum over all listed compute processes (bytes): the fallback when the pid is not visible. */
  allProcessesPeakBytes?: number;
  samples: number;
  note: string;
}

export type SmiRunner = () => Promise<string>;

const defaultRunner: SmiRunner = () =>
  new Promise((resolve, reject) => {
    execFile('nvidia-smi', ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'], { timeout: 5000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });

/** Polls every `intervalMs` until stopped; `stop()` resolves with the report. */
export function watchGpuMemory(pid: number, intervalMs = 200, run: SmiRunner = defaultRunner): { stop(): Promise<GpuMemoryReport> } {
  let peak = -1;
  let allPeak = -1;
  let samples = 0;
  let failure: string | undefined;
  let stopped = false;
  let pending: Promise<void> = Promise.resolve();
  const tick = (): void => {
    if (stopped || failure) return;
    pending = run()
      .then((text) => {
        samples++;
        const rows = parseComputeApps(text);
        const own = rows.filter((r) => r.pid === pid).reduce((s, r) => s + r.usedMiB, 0);
        if (rows.some((r) => r.pid === pid)) peak = Math.max(peak, own);
        allPeak = Math.max(
          allPeak,
          rows.reduce((s, r) => s + r.usedMiB, 0),
        );
      })
      .catch((e: unknown) => {
        failure = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'nvidia-smi not found' : `nvidia-smi failed: ${(e as Error).message.split('\n')[0]}`;
      })
      .finally(() => {
        if (!stopped && !failure) timer = setTimeout(tick, intervalMs);
      });
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(tick, 0);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await pending;
      if (failure && samples === 0) return { source: 'unavailable', samples, note: failure };
      const r: GpuMemoryReport = { source: 'nvidia-smi', samples, note: '' };
      const MiB = 1024 * 1024;
      if (peak >= 0) {
        r.peakBytes = peak * MiB;
        r.note = `peak used_memory of pid ${pid} over ${samples} samples every ${intervalMs} ms (includes the CUDA context)`;
      } else r.note = `pid ${pid} never listed by nvidia-smi (other pid namespace?); allProcessesPeakBytes is the sum over all listed processes`;
      if (allPeak >= 0) r.allProcessesPeakBytes = allPeak * MiB;
      return r;
    },
  };
}
