/**
 * `<out>/sweep.json`: what a sweep folder is a part of — the spec (and its hash), the baseline models'
 * hash, the planned variant ids, and which shard and devices ran it. `report merge` reads it to refuse
 * shards of different sweeps and to name variants no shard ran.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { Shard } from './shard.js';
import { canonicalJson } from './spec.js';
import type { PlannedVariant, SweepSpec } from './types.js';

export const SWEEP_META_FILE = 'sweep.json';
export const SWEEP_META_SCHEMA_VERSION = 1;

export interface SweepMeta {
  schemaVersion: typeof SWEEP_META_SCHEMA_VERSION;
  name: string;
  /** sha256 of the spec's canonical JSON (key order does not matter). */
  specHash: string;
  /** sha256 of the baseline manifest's bytes (its roles' file hashes are in it), or of its path when unreadable. */
  modelHash: string;
  ep: 'cpu' | 'cuda';
  /** Every planned variant of the whole sweep (all shards), in spec order. */
  planned: { id: string; index: number; name: string }[];
  shard?: Shard & { source?: string };
  devices?: number[];
  spec: SweepSpec;
}

export function specHash(spec: SweepSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}

export function modelHash(manifestPath: string): string {
  const h = createHash('sha256');
  if (existsSync(manifestPath)) h.update(readFileSync(manifestPath));
  else h.update(`path:${manifestPath}`);
  return h.digest('hex').slice(0, 16);
}

export function sweepMeta(
  spec: SweepSpec,
  planned: readonly PlannedVariant[],
  baseManifest: string,
  o: { ep: 'cpu' | 'cuda'; shard?: Shard & { source?: string }; devices?: readonly number[] },
): SweepMeta {
  return {
    schemaVersion: SWEEP_META_SCHEMA_VERSION,
    name: spec.name,
    specHash: specHash(spec),
    modelHash: modelHash(baseManifest),
    ep: o.ep,
    planned: planned.map((v) => ({ id: v.id, index: v.index, name: v.name })),
    ...(o.shard ? { shard: o.shard } : {}),
    ...(o.devices?.length ? { devices: [...o.devices] } : {}),
    spec,
  };
}

export function writeSweepMeta(out: string, meta: SweepMeta): void {
  const file = join(out, SWEEP_META_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(meta, null, 2)}\n`);
  renameSync(tmp, file);
}

/** The folder's sweep.json, or undefined when it has none (a sweep from before it existed). */
export function readSweepMeta(dir: string): SweepMeta | undefined {
  const file = join(dir, SWEEP_META_FILE);
  if (!existsSync(file)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file}: not JSON (${(e as Error).message})`);
  }
  const m = v as Partial<SweepMeta>;
  if (m.schemaVersion !== SWEEP_META_SCHEMA_VERSION || typeof m.specHash !== 'string' || typeof m.modelHash !== 'string' || !Array.isArray(m.planned)) {
    throw new UsageError(`${file}: not a sweep.json (schemaVersion ${SWEEP_META_SCHEMA_VERSION} with specHash, modelHash, planned)`);
  }
  return m as SweepMeta;
}
