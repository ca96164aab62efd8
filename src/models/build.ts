/**
 * Builds the reference model set (every Ditto and XTTS role) into `<outDir>/<component>/<role>.onnx` and
 * writes `<outDir>/manifest.json`. The build is cached by content: the manifest records a build key (hash of
 * scale, seed and the builder sources); when it matches and every file's sha256 still matches, nothing is
 * rebuilt.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listNodeCosts, totalCost } from '../analysis/model-cost.js';
import { countParameters } from '../onnx/graph-utils.js';
import type { Model, Value } from '../onnx/types.js';
import { createExternalDataSink, writeModel, type ExternalDataSink, type WriteResult } from '../onnx/write-model.js';
import { DITTO_BUILDERS, DITTO_CALLS, dittoIo } from './ditto/index.js';
import {
  ALL_ROLES,
  DITTO_ROLES,
  ROLE_CALL_RATES,
  pipelineConfigFor,
  type BuildOptions,
  type CallRate,
  type Manifest,
  type Role,
  type RoleSpec,
  type Scale,
  type TensorSpec,
  type XttsRole,
} from './manifest.js';
import { readManifestJson, sha256File, tensorSpecOf } from './manifest-io.js';
import { XTTS_BUILDERS, clearXttsWeightCache, hifiganOutputSamples, xttsDims } from './xtts/index.js';

export interface BuildReferenceOptions {
  scale: Scale;
  seed: number;
  outDir: string;
  /** 'random' (default) writes seeded weights. */
  weights?: 'random';
  /** Rebuild even when the manifest says the set is up to date. */
  force?: boolean;
  /** Told after each role is written (the CLI prints it on stderr). */
  onProgress?: (e: BuildProgress) => void;
}

export interface BuildProgress {
  role: Role;
  file: string;
  /** Bytes of the .onnx file plus external data written for it. */
  bytes: number;
  seconds: number;
}

export interface BuildReferenceResult {
  manifestPath: string;
  manifest: Manifest;
  /** True when nothing was rebuilt. */
  upToDate: boolean;
  built: BuildProgress[];
}

/** Tensors of at least this many bytes go to external data at full scale. */
export const FULL_SCALE_EXTERNAL_THRESHOLD = 1024;
/** External-data file shared by gpt_prefill and gpt_decode (their weights are the same Tensors). */
export const GPT_SHARED_DATA = 'gpt.onnx.data';

export const XTTS_CALLS: Record<XttsRole, CallRate> = {
  cond_encoder: ROLE_CALL_RATES.cond_encoder,
  speaker_encoder: ROLE_CALL_RATES.speaker_encoder,
  gpt_prefill: ROLE_CALL_RATES.gpt_prefill,
  gpt_decode: ROLE_CALL_RATES.gpt_decode,
  hifigan: ROLE_CALL_RATES.hifigan,
};

/**
 * Symbolic dims used when an XTTS role is profiled alone: 6 s of reference audio (517 mel frames at
 * 22.05 kHz / hop 256; 96000 samples at 16 kHz), a 64-token prompt (P = 32 + 64), a decode step over 255
 * cached positions, and a 108-latent (≈ 5 s) vocoder call.
 */
export function xttsProfileDims(scale: Scale): Record<XttsRole, Record<string, number>> {
  const S = 64;
  const L = 255;
  const T = 108;
  return {
    cond_encoder: { T: 1 + Math.floor((6 * 22050) / 256) },
    speaker_encoder: { N: 6 * 16000 },
    gpt_prefill: { S, P: xttsDims(scale).gpt.condLatents + S },
    gpt_decode: { L, L1: L + 1 },
    hifigan: { T, W: hifiganOutputSamples(T, xttsDims(scale).hifigan) },
  };
}

function ioOf(values: Value[]): Record<string, TensorSpec> {
  return Object.fromEntries(values.filter((v) => !v.initializer).map((v) => [v.name, tensorSpecOf(v)]));
}

/** Component of a role. */
export function componentOf(role: Role): 'ditto' | 'xtts' {
  return (DITTO_ROLES as readonly string[]).includes(role) ? 'ditto' : 'xtts';
}

export function builderFor(role: Role): (opts: BuildOptions) => Model {
  return componentOf(role) === 'ditto' ? DITTO_BUILDERS[role as (typeof DITTO_ROLES)[number]] : XTTS_BUILDERS[role as XttsRole];
}

function callsOf(role: Role): CallRate {
  return componentOf(role) === 'ditto' ? DITTO_CALLS[role as (typeof DITTO_ROLES)[number]] : XTTS_CALLS[role as XttsRole];
}

function profileDimsOf(role: Role, scale: Scale): Record<string, number> | undefined {
  if (componentOf(role) === 'ditto') return dittoIo(scale)[role as (typeof DITTO_ROLES)[number]].profileDims;
  return xttsProfileDims(scale)[role as XttsRole];
}

function listSources(dir: string, out: string[]): void {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) listSources(p, out);
    else if ((extname(p) === '.ts' || extname(p) === '.js') && !p.endsWith('.d.ts')) out.push(p);
  }
}

let sourceHash: string | undefined;

/** Hash of the builder sources (this folder and the graph builder it uses), as shipped (.ts or .js). */
export function builderSourceHash(): string {
  if (sourceHash) return sourceHash;
  const here = dirname(fileURLToPath(import.meta.url));
  const files: string[] = [];
  listSources(here, files);
  for (const f of ['builder', 'rng', 'tensor'])
    for (const ext of ['.ts', '.js']) if (existsSync(join(here, '..', 'onnx', f + ext))) files.push(join(here, '..', 'onnx', f + ext));
  // In a single-file bundle the sources are not there: the bundle itself is the builder's code.
  if (files.length === 0) files.push(fileURLToPath(import.meta.url));
  const h = createHash('sha256');
  for (const f of files) h.update(relative(here, f)).update('\0').update(readFileSync(f)).update('\0');
  sourceHash = h.digest('hex');
  return sourceHash;
}

/** The cache key of a reference build. */
export function buildKey(scale: Scale, seed: number): string {
  return createHash('sha256')
    .update(JSON.stringify({ scale, seed, builder: builderSourceHash() }))
    .digest('hex')
    .slice(0, 32);
}

function isUpToDate(manifestPath: string, key: string): Manifest | undefined {
  if (!existsSync(manifestPath)) return undefined;
  let m: Manifest;
  try {
    m = readManifestJson(manifestPath);
  } catch {
    return undefined;
  }
  if (m.buildKey !== key) return undefined;
  const dir = dirname(manifestPath);
  for (const role of ALL_ROLES) {
    const spec = m.roles[role];
    if (!spec?.sha256) return undefined;
    const file = join(dir, spec.file);
    if (!existsSync(file) || sha256File(file) !== spec.sha256) return undefined;
  }
  return m;
}

export { sha256File, tensorSpecOf };

/** Builds every role, writes the files and the manifest (or returns the cached manifest when up to date). */
export function buildReferenceSet(o: BuildReferenceOptions): BuildReferenceResult {
  const outDir = resolve(o.outDir);
  const manifestPath = join(outDir, 'manifest.json');
  const key = buildKey(o.scale, o.seed);
  if (!o.force) {
    const cached = isUpToDate(manifestPath, key);
    if (cached) return { manifestPath, manifest: cached, upToDate: true, built: [] };
  }
  const opts: BuildOptions = { scale: o.scale, seed: o.seed, weights: 'random' };
  const full = o.scale === 'full';
  let gptSink: ExternalDataSink | undefined;
  const roles: Partial<Record<Role, RoleSpec>> = {};
  const built: BuildProgress[] = [];
  try {
    for (const role of ALL_ROLES) {
      const t0 = performance.now();
      const component = componentOf(role);
      const rel = `${component}/${role}.onnx`;
      const file = join(outDir, rel);
      mkdirSync(dirname(file), { recursive: true });
      const model = builderFor(role)(opts);
      const profileDims = profileDimsOf(role, o.scale);
      const params = countParameters(model.graph).count;
      const macs = totalCost(listNodeCosts(model, profileDims ? { dims: profileDims } : {})).macs;
      const isGpt = role === 'gpt_prefill' || role === 'gpt_decode';
      let result: WriteResult;
      if (!full) result = writeModel(model, file);
      else if (isGpt) {
        gptSink ??= createExternalDataSink(dirname(file), GPT_SHARED_DATA, FULL_SCALE_EXTERNAL_THRESHOLD);
        result = writeModel(model, file, { externalData: gptSink });
      } else result = writeModel(model, file, { externalDataThreshold: FULL_SCALE_EXTERNAL_THRESHOLD });
      if (role === 'gpt_decode') {
        gptSink?.close();
        gptSink = undefined;
        clearXttsWeightCache();
      }
      const spec: RoleSpec = {
        file: rel,
        component,
        calls: callsOf(role),
        inputs: ioOf(model.graph.inputs),
        outputs: ioOf(model.graph.outputs),
        sha256: sha256File(file),
        params,
        macsPerCall: macs,
      };
      if (profileDims) spec.profileDims = profileDims;
      roles[role] = spec;
      const p: BuildProgress = { role, file, bytes: result.modelBytes + result.externalBytes, seconds: (performance.now() - t0) / 1000 };
      built.push(p);
      o.onProgress?.(p);
    }
  } finally {
    gptSink?.abort();
    clearXttsWeightCache();
  }
  const manifest: Manifest = {
    schemaVersion: 1,
    name: `reference-${o.scale}`,
    scale: o.scale,
    source: 'reference',
    seed: o.seed,
    buildKey: key,
    roles,
    config: pipelineConfigFor(o.scale),
  };
  const tmp = `${manifestPath}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, manifestPath);
  return { manifestPath, manifest, upToDate: false, built };
}
