/**
 * `npm run bench spawn-stall`: how long spawning a child (what the runner's old device-memory sampler did
 * every 250 ms: `nvidia-smi`) stalls a Node process's event loop, against the process's resident set. Forking
 * copies the page tables of the whole resident set, so the stall grows with it. The runner now streams from one
 * long-lived nvidia-smi started before the models load (src/runner/memory.ts).
 *
 * Per RSS step: touch that many GiB of buffers, then spawn `true` 10 times in a row, each waiting for the
 * previous; the stall is the synchronous time of the spawn call plus the event loop's worst delay.
 */
import { execFile } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { median } from '../src/core/stats.js';

interface Step {
  rssGiB: number;
  spawns: number;
  /** Median time the spawn call itself blocked the calling thread. */
  medianSpawnCallMs: number;
  /** Worst event-loop delay seen while spawning. */
  maxLoopDelayMs: number;
}

async function spawnOnce(): Promise<number> {
  const t0 = performance.now();
  let blocked = 0;
  await new Promise<void>((resolve) => {
    execFile('true', () => resolve());
    blocked = performance.now() - t0;
  });
  return blocked;
}

export async function benchSpawnStall(stepsGiB = [0, 2, 4, 8]): Promise<{ steps: Step[]; msPerGiB: number; note: string }> {
  const held: Buffer[] = [];
  const steps: Step[] = [];
  for (const gib of stepsGiB) {
    while (held.length < gib) {
      const b = Buffer.alloc(2 ** 30);
      for (let i = 0; i < b.length; i += 4096) b[i] = 1;
      held.push(b);
    }
    await spawnOnce();
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const calls: number[] = [];
    for (let i = 0; i < 10; i++) calls.push(await spawnOnce());
    h.disable();
    steps.push({ rssGiB: process.memoryUsage().rss / 2 ** 30, spawns: calls.length, medianSpawnCallMs: median(calls), maxLoopDelayMs: h.max / 1e6 });
    process.stderr.write(`  rss ${steps.at(-1)?.rssGiB.toFixed(1)} GiB: spawn blocks ${steps.at(-1)?.medianSpawnCallMs.toFixed(1)} ms (median of 10)\n`);
  }
  const first = steps[0] as Step;
  const last = steps[steps.length - 1] as Step;
  const msPerGiB = (last.medianSpawnCallMs - first.medianSpawnCallMs) / (last.rssGiB - first.rssGiB);
  return { steps, msPerGiB, note: 'slope of the median spawn-call time between the smallest and largest resident set' };
}
