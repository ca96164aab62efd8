/**
 * Reads what `workbench project` accepts: a profile.json, a run.json or sweep results (results.jsonl or a
 * sweep folder), telling them apart by content; and the manifest a profile was taken of, when it exists.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UsageError } from '../errors.js';
import { loadManifest } from '../models/load-manifest.js';
import type { Manifest } from '../models/manifest.js';
import type { ProfileReport } from '../profiler/profile-report.js';
import type { RunResult } from '../runner/run-result.js';
import { loadResults } from '../sweep/merge-results.js';
import type { VariantResult } from '../sweep/types.js';

export type ProjectionInput =
  | { kind: 'profile'; file: string; profile: ProfileReport }
  | { kind: 'run'; file: string; run: RunResult }
  | { kind: 'results'; file: string; results: VariantResult[] };

/** JSON, gzip-compressed when the name ends in `.gz` (large committed profiles are kept compressed). */
function readJson(file: string): unknown {
  try {
    const bytes = readFileSync(file);
    return JSON.parse((file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'));
  } catch (e) {
    throw new UsageError(`${file}: cannot read JSON (${(e as Error).message})`);
  }
}

/** A profile.json (tool 'workbench profile'). */
export function readProfile(file: string): ProfileReport {
  const j = readJson(file) as Partial<ProfileReport> | null;
  if (j?.tool !== 'workbench profile' || !Array.isArray(j.roles)) throw new UsageError(`${file}: not a profile.json of 'workbench profile'`);
  return j as ProfileReport;
}

/** Tells the input apart: results.jsonl (or a folder with one), run.json, profile.json. */
export function readProjectionInput(file: string): ProjectionInput {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file or folder`);
  if (statSync(file).isDirectory() || file.endsWith('.jsonl')) return { kind: 'results', file, results: loadResults([file]) };
  const j = readJson(file) as { tool?: unknown; kind?: unknown } | null;
  if (j?.tool === 'workbench profile') return { kind: 'profile', file, profile: j as ProfileReport };
  if (j?.kind === 'workbench.run') return { kind: 'run', file, run: j as RunResult };
  throw new UsageError(`${file}: not a profile.json, run.json or results.jsonl (tool/kind '${String(j?.tool ?? j?.kind)}')`);
}

/** The manifest at `path` without checking graphs or hashes; undefined when it is not there. */
export function readManifestIfPresent(path: string | undefined): Manifest | undefined {
  if (!path || !/\.json$/i.test(path) || !existsSync(path)) return undefined;
  return loadManifest(path, { requiredRoles: [], checkGraphs: false, checkHashes: false });
}
