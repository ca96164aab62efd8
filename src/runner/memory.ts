/**
 * Memory readings. Host: the process's peak resident set (getrusage maxRSS, covers worker threads too).
 * Device: on the CUDA EP, the process's GPU memory as nvidia-smi reports it (ONNX Runtime's Node binding
 * exposes no allocator statistics), sampled while the run goes; null on the CPU EP or without nvidia-smi.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { parseComputeApps } from '../core/gpu-memory.js';

const MIB = 1024 * 1024;

/** This pid's MiB in `pid, used_memory` lines, as bytes; null when it is not listed. */
function bytesOf(text: string, pid: number): number | null {
  const own = parseComputeApps(text).filter((r) => r.pid === pid);
  return own.length ? own.reduce((s, r) => s + r.usedMiB, 0) * MIB : null;
}

export function peakHostRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** GPU memory used by this process in bytes (nvidia-smi), or null when unavailable. */
export function deviceMemoryBytes(pid = process.pid): Promise<number | null> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'], { timeout: 5000 }, (err, stdout) => {
      if (err) return resolve(null);
      resolve(bytesOf(stdout, pid) ?? 0);
    });
  });
}

/**
 * How a run samples its device memory:
 * - `stream` (default): one long-lived `nvidia-smi -lms <interval>` process, started before the sessions
 *   load, whose lines are read as they come. Nothing is spawned while the run is timed.
 * - `poll`: spawn `nvidia-smi` every interval (the old way). Spawning forks this process, and fork copies
 *   the page tables of its whole resident set, during which the event loop stands still
 *   (`npm run bench spawn-stall`: ~13 ms per GiB of RSS on the 2-core VM, 109 ms at 8 GiB). In a
 *   full-scale run (2–5 GB) the stall lands inside whatever role call is being awaited, every 250 ms: on the
 *   H100 it made the FP32 pipeline's RTF 5.6–6.1 instead of 4.0 (reports/h100/host-stalls). Kept to
 *   measure that effect.
 * - `off`: no device reading.
 */
export type DeviceMemorySampling = 'stream' | 'poll' | 'off';
export const DEVICE_MEMORY_SAMPLING: readonly DeviceMemorySampling[] = ['stream', 'poll', 'off'];

/** Peak GPU memory of this process while active; `stop()` returns it (null on the CPU EP, when off or without nvidia-smi). */
export class DeviceMemorySampler {
  private peak: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();
  private child: ChildProcess | undefined;
  readonly mode: DeviceMemorySampling;

  constructor(
    enabled: boolean,
    mode: DeviceMemorySampling = 'stream',
    readonly intervalMs = 250,
    readonly pid = process.pid,
  ) {
    this.mode = enabled ? mode : 'off';
    if (this.mode === 'stream') this.startStream();
    else if (this.mode === 'poll') {
      const tick = (): void => {
        this.pending = deviceMemoryBytes(this.pid).then((b) => this.note(b));
      };
      tick();
      this.timer = setInterval(tick, intervalMs);
      this.timer.unref();
    }
  }

  /** What run.json says about the reading. */
  describe(): string {
    if (this.mode === 'off') return 'not sampled';
    return this.mode === 'stream'
      ? `nvidia-smi per-process used_memory, streamed every ${this.intervalMs} ms by one nvidia-smi process`
      : `nvidia-smi per-process used_memory, one nvidia-smi spawn every ${this.intervalMs} ms`;
  }

  private note(b: number | null): void {
    if (b !== null) this.peak = Math.max(this.peak ?? 0, b);
  }

  private startStream(): void {
    const child = spawn('nvidia-smi', ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits', '-lms', String(this.intervalMs)], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.child = child;
    child.on('error', () => {
      this.child = undefined;
    });
    child.unref();
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      // One line per compute process and sample; this process has one CUDA context, so one line per sample.
      for (const line of lines) this.note(bytesOf(line, this.pid));
    });
    (child.stdout as NodeJS.ReadableStream & { unref?: () => void }).unref?.();
  }

  async stop(): Promise<number | null> {
    if (this.timer) clearInterval(this.timer);
    if (this.mode === 'poll') {
      await this.pending;
      this.note(await deviceMemoryBytes(this.pid));
    }
    if (this.child) {
      this.child.kill();
      this.child = undefined;
    }
    return this.peak;
  }
}

export function isOutOfMemory(message: string): boolean {
  return /out of memory|\bOOM\b|failed to allocate|bad_alloc|CUDNN_STATUS_ALLOC_FAILED|CUBLAS_STATUS_ALLOC_FAILED|cudaErrorMemoryAllocation/i.test(message);
}
