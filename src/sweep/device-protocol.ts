/** Messages between a `sweep --devices` parent and its per-device worker processes (IPC, structured clone). */
import type { Role } from '../models/manifest.js';
import type { Shard } from './shard.js';
import type { PlannedVariant, SweepSpec, VariantResult } from './types.js';

/** What every variant of one worker shares (the worker's VariantContext, less the driver). */
export interface DeviceWorkerInit {
  type: 'init';
  spec: SweepSpec;
  ep: 'cpu' | 'cuda';
  out: string;
  cacheDir: string;
  baseManifest: string;
  calibrationRoles: Role[];
  deviceId: number;
  shard?: Shard;
}

export interface DeviceWorkerRun {
  type: 'run';
  variant: PlannedVariant;
  /** The baseline's run folder, the quality reference of every other variant (absent for the baseline itself). */
  baselineRunDir?: string;
}

export type ToDeviceWorker = DeviceWorkerInit | DeviceWorkerRun;

export type FromDeviceWorker = { type: 'stage'; name: string; stage: string } | { type: 'result'; result: VariantResult };
