/**
 * The parent side of `sweep --devices 0,1,...`: one forked worker process per device (device-worker.ts),
 * each running one variant at a time. Workers pull the next variant when they finish one, so a slow variant
 * does not hold the others back. A worker that dies records its variant as an error and leaves the pool;
 * the others go on.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { RuntimeError } from '../errors.js';
import type { DeviceWorkerInit, FromDeviceWorker, ToDeviceWorker } from './device-protocol.js';
import { resultIdentity, type PlannedVariant, type VariantResult } from './types.js';

/** How to start a worker: a script that serves `serveDeviceWorker` when run with `args` (the CLI: `sweep --device-worker`). */
export interface DeviceWorkerEntry {
  script: string;
  args: readonly string[];
}

export interface DevicePoolOptions {
  devices: readonly number[];
  entry: DeviceWorkerEntry;
  /** Shared by every worker; `deviceId` is filled per worker. */
  init: Omit<DeviceWorkerInit, 'type' | 'deviceId'>;
  onStart: (variant: PlannedVariant, device: number) => void;
  onStage: (variant: PlannedVariant, device: number, stage: string) => void;
  log: (line: string) => void;
}

interface Worker {
  device: number;
  child: ChildProcess;
  /** Settles the running variant's promise; set while one runs. */
  pending?: { variant: PlannedVariant; resolve: (r: VariantResult) => void };
  dead: boolean;
}

/** A result that stands for a variant whose worker died while running it. */
function workerDiedResult(v: PlannedVariant, device: number, how: string, startedAt: Date): VariantResult {
  const now = new Date();
  return {
    ...resultIdentity(v),
    status: 'error',
    error: `the worker of device ${device} exited (${how}) while running this variant`,
    env: { ep: 'unknown', node: process.version, deviceId: device },
    startedAt: startedAt.toISOString(),
    finishedAt: now.toISOString(),
    totalSeconds: (now.getTime() - startedAt.getTime()) / 1000,
  };
}

export class DevicePool {
  private readonly workers: Worker[];

  constructor(private readonly o: DevicePoolOptions) {
    this.workers = o.devices.map((device) => this.start(device));
  }

  private start(device: number): Worker {
    const child = fork(this.o.entry.script, [...this.o.entry.args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    const w: Worker = { device, child, dead: false };
    this.o.log(`sweep: device ${device}: worker pid ${child.pid ?? '?'}\n`);
    const init: ToDeviceWorker = { type: 'init', ...this.o.init, deviceId: device };
    child.send(init);
    child.on('message', (raw: unknown) => {
      const m = raw as FromDeviceWorker;
      const p = w.pending;
      if (!p) return;
      if (m.type === 'stage') this.o.onStage(p.variant, device, m.stage);
      else {
        w.pending = undefined;
        p.resolve(m.result);
      }
    });
    child.on('exit', (code, signal) => {
      w.dead = true;
      const p = w.pending;
      w.pending = undefined;
      if (p) p.resolve(workerDiedResult(p.variant, device, signal ?? `code ${code}`, new Date()));
    });
    return w;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs one variant on the first device's worker (the baseline, before anything else). */
  runOne(variant: PlannedVariant, baselineRunDir?: string): Promise<VariantResult> {
    const w = this.workers.find((x) => !x.dead);
    if (!w) throw new RuntimeError('sweep', 'every device worker has exited');
    return this.runOn(w, variant, baselineRunDir);
  }

  private runOn(w: Worker, variant: PlannedVariant, baselineRunDir: string | undefined): Promise<VariantResult> {
    return new Promise((resolve) => {
      w.pending = { variant, resolve };
      this.o.onStart(variant, w.device);
      const msg: ToDeviceWorker = { type: 'run', variant, ...(baselineRunDir ? { baselineRunDir } : {}) };
      w.child.send(msg);
    });
  }

  /**
   * Runs `variants` across the workers, each worker taking the next when it finishes one; `onResult` sees
   * each result as it arrives (to append it at once). Returns when all are done.
   */
  async runAll(variants: readonly PlannedVariant[], baselineRunDir: string | undefined, onResult: (r: VariantResult, device: number) => void): Promise<void> {
    const queue = [...variants];
    const loop = async (w: Worker): Promise<void> => {
      while (!w.dead) {
        const v = queue.shift();
        if (!v) return;
        onResult(await this.runOn(w, v, baselineRunDir), w.device);
      }
    };
    await Promise.all(this.workers.map(loop));
    if (queue.length)
      throw new RuntimeError('sweep', `every device worker has exited; ${queue.length} variants not run (${queue.map((v) => v.name).join(', ')})`);
  }

  /** Disconnects the workers (they exit after their variant) and waits for them. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.dead || w.child.exitCode !== null) return resolve();
            w.child.once('exit', () => resolve());
            if (w.child.connected) w.child.disconnect();
          }),
      ),
    );
  }
}
