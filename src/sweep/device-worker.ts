/**
 * The worker side of `sweep --devices`: a process forked by the sweep (the CLI's hidden `sweep
 * --device-worker`) that runs the variants it is sent, one at a time, on its one device, and sends each
 * result back. It exits when the parent disconnects, so a killed sweep leaves no worker holding a GPU.
 */
import { RuntimeError } from '../errors.js';
import type { FromDeviceWorker, ToDeviceWorker, DeviceWorkerInit } from './device-protocol.js';
import { runVariant } from './run-variant.js';
import type { SweepDriver } from './types.js';

/** Serves variants over IPC until the parent disconnects. */
export function serveDeviceWorker(driver: SweepDriver): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new RuntimeError('sweep', '--device-worker runs only as a child of `sweep --devices` (no IPC channel)');
  let init: DeviceWorkerInit | undefined;
  // Variants arrive one at a time (the parent waits for each result), but chain them anyway so none overlap.
  let queue = Promise.resolve();
  let busy = false;
  const post = (m: FromDeviceWorker): void => {
    send(m);
  };
  return new Promise((resolve) => {
    process.on('disconnect', () => {
      // The parent closes the pool when idle; a disconnect mid-variant means it died: nobody will take the
      // result, so stop now and free the device.
      if (busy) process.exit(1);
      resolve();
    });
    process.on('message', (raw: unknown) => {
      const m = raw as ToDeviceWorker;
      if (m.type === 'init') {
        init = m;
        return;
      }
      const ctx = init;
      if (!ctx) throw new RuntimeError('sweep', 'device worker: a variant arrived before init');
      queue = queue.then(async () => {
        busy = true;
        const result = await runVariant(m.variant, {
          spec: ctx.spec,
          driver,
          ep: ctx.ep,
          out: ctx.out,
          cacheDir: ctx.cacheDir,
          baseManifest: ctx.baseManifest,
          baselineRunDir: m.baselineRunDir,
          calibrationRoles: ctx.calibrationRoles,
          deviceId: ctx.deviceId,
          ...(ctx.shard ? { shard: ctx.shard } : {}),
          onStage: (stage) => post({ type: 'stage', name: m.variant.name, stage }),
          log: (s) => process.stderr.write(s),
        });
        busy = false;
        post({ type: 'result', result });
      });
    });
  });
}
