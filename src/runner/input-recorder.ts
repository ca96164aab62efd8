/**
 * Records the feeds of chosen roles during a pipeline run as calibration samples (the format
 * `loadCalibrationDir` reads, src/quantize/calibrate.ts): `<dir>/<role>/<NNNNN>.json` naming each input's
 * dims and type, the values raw little-endian in `<dir>/<role>/data/`. This is what mixed precision and
 * static int8 should calibrate on: LMDM's inputs at real DDIM timesteps and real audio features differ from
 * random ones (a mixed LMDM searched on random samples still overflowed inside the pipeline).
 *
 * Samples are taken every `every`-th call of a role, at most `max` per role, so a 50-step diffusion run
 * gives samples across its timesteps. Files are written as the run goes (no activations are held).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from '../models/manifest.js';
import type { HostTensor } from '../runtime/index.js';

export interface InputRecorderOptions {
  /** Output folder; one subfolder per role. */
  dir: string;
  roles: readonly Role[];
  /** Record every n-th call of a role (default 1). */
  every?: number;
  /** Samples per role at most (default 32). */
  max?: number;
}

export const INPUT_RECORDER_DEFAULTS = { every: 1, max: 32 } as const;

/** The folder of a run that `--record-inputs` (and a sweep's baseline) writes samples to by default. */
export const CALIBRATION_SUBDIR = 'calib';

const RECORDABLE: ReadonlySet<HostTensor['type']> = new Set(['float32', 'int64', 'int32', 'bool']);

export class InputRecorder {
  private readonly calls = new Map<Role, number>();
  private readonly written = new Map<Role, number>();
  private readonly roles: ReadonlySet<Role>;
  private readonly every: number;
  private readonly max: number;

  constructor(private readonly o: InputRecorderOptions) {
    this.roles = new Set(o.roles);
    this.every = Math.max(1, Math.floor(o.every ?? INPUT_RECORDER_DEFAULTS.every));
    this.max = Math.max(0, Math.floor(o.max ?? INPUT_RECORDER_DEFAULTS.max));
  }

  /** Called with a role's float32-side feeds before each run; writes a sample when this call is due. */
  record(role: Role, feeds: Readonly<Record<string, HostTensor>>): void {
    if (!this.roles.has(role)) return;
    const call = this.calls.get(role) ?? 0;
    this.calls.set(role, call + 1);
    const n = this.written.get(role) ?? 0;
    if (call % this.every !== 0 || n >= this.max) return;
    const dir = join(this.o.dir, role);
    mkdirSync(join(dir, 'data'), { recursive: true });
    const id = String(n).padStart(5, '0');
    const sample: Record<string, { dims: number[]; type: string; file: string }> = {};
    Object.entries(feeds).forEach(([name, t], k) => {
      if (!RECORDABLE.has(t.type)) return;
      const file = `data/${id}-${k}.bin`;
      writeFileSync(join(dir, file), new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      sample[name] = { dims: [...t.dims], type: t.type, file };
    });
    // The JSON goes last: a sample is listed only once its data files exist.
    writeFileSync(join(dir, `${id}.json`), `${JSON.stringify(sample)}\n`);
    this.written.set(role, n + 1);
  }

  /** Samples written per role. */
  counts(): Partial<Record<Role, number>> {
    return Object.fromEntries(this.written) as Partial<Record<Role, number>>;
  }
}
