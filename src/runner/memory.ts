/**
 * Memory readings. Host: the process's peak resident set (getrusage maxRSS, covers worker threads too).
 * Device: on the CUDA EP, the process's GPU memory as nvidia-smi reports it (ONNX Runtime's Node binding
 * exposes no allocator statistics), sampled while the run goes; null on the CPU EP or without nvidia-smi.
 */
import { execFile } from 'node:child_process';

export function peakHostRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** GPU memory used by this process in bytes (nvidia-smi), or null when unavailable. */
export function deviceMemoryBytes(pid = process.pid): Promise<number | null> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'], { timeout: 5000 }, (err, stdout) => {
      if (err) return resolve(null);
      let total = 0;
      let found = false;
      for (const line of stdout.split('\n')) {
        const [p, mib] = line.split(',').map((s) => s.trim());
        if (Number(p) === pid && mib !== undefined && Number.isFinite(Number(mib))) {
          total += Number(mib) * 1024 * 1024;
          found = true;
        }
      }
      resolve(found ? total : 0);
    });
  });
}

/** Samples device memory every `intervalMs` while active; `stop()` returns the peak (null on CPU). */
export class DeviceMemorySampler {
  private peak: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(readonly enabled: boolean, readonly intervalMs = 250) {
    if (!enabled) return;
    const tick = (): void => {
      this.pending = deviceMemoryBytes().then((b) => {
        if (b !== null) this.peak = Math.max(this.peak ?? 0, b);
      });
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  async sample(): Promise<number | null> {
    if (!this.enabled) return null;
    const b = await deviceMemoryBytes();
    if (b !== null) this.peak = Math.max(this.peak ?? 0, b);
    return b;
  }

  async stop(): Promise<number | null> {
    if (this.timer) clearInterval(this.timer);
    await this.pending;
    if (this.enabled) await this.sample();
    return this.peak;
  }
}

export function isOutOfMemory(message: string): boolean {
  return /out of memory|\bOOM\b|failed to allocate|bad_alloc|CUDNN_STATUS_ALLOC_FAILED|CUBLAS_STATUS_ALLOC_FAILED|cudaErrorMemoryAllocation/i.test(message);
}
