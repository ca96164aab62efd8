/**
 * Loads and validates a pipeline manifest: schema version, every role the pipeline needs, files that exist
 * and read as ONNX, and each file's actual graph inputs/outputs (names, element types, static dims) against
 * the manifest's I/O spec. Errors are ManifestErrors naming the manifest file, the role and the field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ManifestError, WorkbenchError } from '../errors.js';
import { readModel } from '../onnx/read-model.js';
import type { Value } from '../onnx/types.js';
import { sha256File, tensorSpecOf } from './manifest-io.js';
import { ALL_ROLES, MANIFEST_ROLES, REAL_PIPELINE_CONFIG, type Manifest, type Role, type RoleSpec, type TensorSpec } from './manifest.js';

export interface LoadManifestOptions {
  /** Roles that must be present (default: every TTS and Ditto role). */
  requiredRoles?: readonly Role[];
  /** Open each file and compare its graph I/O with the spec (default true). */
  checkGraphs?: boolean;
  /** Check `sha256` where the manifest gives one (default true). */
  checkHashes?: boolean;
}

const CALLS = ['per_voice', 'per_utterance', 'per_token', 'per_source_image', 'per_audio_chunk', 'per_diffusion_step', 'per_frame'];
const ELEM = ['float32', 'float16', 'int64', 'int32', 'uint8', 'bool'];

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function checkTensorSpec(file: string, field: string, s: unknown): void {
  if (!isObject(s)) throw new ManifestError(file, field, 'expected an object { type, shape }');
  if (typeof s.type !== 'string' || !ELEM.includes(s.type))
    throw new ManifestError(file, `${field}.type`, `'${String(s.type)}' is not one of ${ELEM.join(', ')}`);
  if (!Array.isArray(s.shape) || !s.shape.every((d) => (typeof d === 'number' && Number.isInteger(d) && d >= 0) || (typeof d === 'string' && d !== '')))
    throw new ManifestError(file, `${field}.shape`, 'expected an array of non-negative integers and dim names');
}

function checkRoleShape(file: string, role: string, r: unknown): asserts r is RoleSpec {
  const at = `roles.${role}`;
  if (!isObject(r)) throw new ManifestError(file, at, 'expected an object { file, component, calls, inputs, outputs }');
  if (typeof r.file !== 'string' || r.file === '') throw new ManifestError(file, `${at}.file`, 'expected a path to an .onnx file (relative to the manifest)');
  if (r.component !== 'ditto' && r.component !== 'xtts') throw new ManifestError(file, `${at}.component`, `'${String(r.component)}' is not 'ditto' or 'xtts'`);
  if (typeof r.calls !== 'string' || !CALLS.includes(r.calls))
    throw new ManifestError(file, `${at}.calls`, `'${String(r.calls)}' is not one of ${CALLS.join(', ')}`);
  for (const side of ['inputs', 'outputs'] as const) {
    const io = r[side];
    if (!isObject(io) || Object.keys(io).length === 0)
      throw new ManifestError(file, `${at}.${side}`, 'expected a non-empty map of tensor name → { type, shape }');
    for (const [name, s] of Object.entries(io)) checkTensorSpec(file, `${at}.${side}.${name}`, s);
  }
  if (r.profileDims !== undefined && (!isObject(r.profileDims) || !Object.values(r.profileDims).every((v) => typeof v === 'number' && v > 0)))
    throw new ManifestError(file, `${at}.profileDims`, 'expected a map of dim name → positive number');
}

function compareSpec(file: string, field: string, want: TensorSpec, actual: Value): void {
  const got = tensorSpecOf(actual);
  const known = actual.tensorType;
  if (!known) throw new ManifestError(file, field, `the graph's '${actual.name}' is not a tensor`);
  if (got.type !== want.type) throw new ManifestError(file, `${field}.type`, `the model has ${got.type}, the manifest says ${want.type}`);
  if (!known.shape) return;
  if (got.shape.length !== want.shape.length)
    throw new ManifestError(
      file,
      `${field}.shape`,
      `the model has rank ${got.shape.length} [${got.shape.join(', ')}], the manifest says [${want.shape.join(', ')}]`,
    );
  want.shape.forEach((d, i) => {
    const g = known.shape?.[i];
    if (typeof d === 'number' && typeof g === 'number' && d !== g)
      throw new ManifestError(file, `${field}.shape[${i}]`, `the model has ${g}, the manifest says ${d} (model shape [${got.shape.join(', ')}])`);
  });
}

function checkGraph(file: string, role: string, path: string, spec: RoleSpec): void {
  let graph;
  try {
    graph = readModel(path, { loadExternalData: false }).model.graph;
  } catch (e) {
    const why = e instanceof WorkbenchError ? e.message : String(e);
    throw new ManifestError(file, `roles.${role}.file`, `'${spec.file}' is not a readable ONNX model: ${why}`);
  }
  const inputs = new Map(graph.inputs.filter((v) => !v.initializer && !graph.initializers.some((i) => i.name === v.name)).map((v) => [v.name, v]));
  const outputs = new Map(graph.outputs.map((v) => [v.name, v]));
  for (const [name, want] of Object.entries(spec.inputs)) {
    const v = inputs.get(name);
    if (!v) throw new ManifestError(file, `roles.${role}.inputs.${name}`, `the model has no input '${name}' (it has: ${[...inputs.keys()].join(', ')})`);
    compareSpec(file, `roles.${role}.inputs.${name}`, want, v);
  }
  for (const name of inputs.keys())
    if (!(name in spec.inputs)) throw new ManifestError(file, `roles.${role}.inputs`, `the model needs input '${name}', which the manifest does not list`);
  for (const [name, want] of Object.entries(spec.outputs)) {
    const v = outputs.get(name);
    if (!v) throw new ManifestError(file, `roles.${role}.outputs.${name}`, `the model has no output '${name}' (it has: ${[...outputs.keys()].join(', ')})`);
    compareSpec(file, `roles.${role}.outputs.${name}`, want, v);
  }
}

/**
 * Reads and validates a manifest. Returns it with `file` (and `vocab`) made absolute and `config` completed
 * with the real pipeline constants where the manifest leaves them out.
 */
export function loadManifest(path: string, options: LoadManifestOptions = {}): Manifest {
  const file = resolve(path);
  const dir = dirname(file);
  if (!existsSync(file)) throw new ManifestError(path, 'file', 'no such file');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ManifestError(path, 'json', `not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw)) throw new ManifestError(path, 'json', 'expected an object');
  if (raw.schemaVersion !== 1) throw new ManifestError(path, 'schemaVersion', `${JSON.stringify(raw.schemaVersion)} is not supported (expected 1)`);
  if (typeof raw.name !== 'string') throw new ManifestError(path, 'name', 'expected a string');
  if (raw.source !== 'reference' && raw.source !== 'export') throw new ManifestError(path, 'source', `'${String(raw.source)}' is not 'reference' or 'export'`);
  if (!isObject(raw.roles)) throw new ManifestError(path, 'roles', 'expected a map of role → spec');
  if (raw.config !== undefined && !isObject(raw.config)) throw new ManifestError(path, 'config', 'expected an object of pipeline constants');
  for (const k of Object.keys(raw.roles))
    if (!(MANIFEST_ROLES as readonly string[]).includes(k))
      throw new ManifestError(path, `roles.${k}`, `unknown role (roles are: ${MANIFEST_ROLES.join(', ')})`);
  const roles: Partial<Record<Role, RoleSpec>> = {};
  for (const role of options.requiredRoles ?? ALL_ROLES)
    if (!(role in raw.roles)) throw new ManifestError(path, `roles.${role}`, 'missing: the pipeline needs this role');
  for (const [role, r] of Object.entries(raw.roles)) {
    checkRoleShape(path, role, r);
    const abs = isAbsolute(r.file) ? r.file : resolve(dir, r.file);
    if (!existsSync(abs)) throw new ManifestError(path, `roles.${role}.file`, `'${r.file}' not found (looked at ${abs})`);
    if (options.checkHashes !== false && r.sha256 !== undefined && sha256File(abs) !== r.sha256)
      throw new ManifestError(path, `roles.${role}.sha256`, `'${r.file}' has changed since the manifest was written (sha256 differs)`);
    if (options.checkGraphs !== false) checkGraph(path, role, abs, r);
    roles[role as Role] = { ...r, file: abs };
  }
  const config = { ...REAL_PIPELINE_CONFIG, ...(raw.config ?? {}) } as Manifest['config'];
  for (const [k, v] of Object.entries(config))
    if (typeof v !== 'number') throw new ManifestError(path, `config.${k}`, `expected a number, got ${JSON.stringify(v)}`);
  const m: Manifest = { ...(raw as unknown as Manifest), roles, config };
  if (typeof raw.vocab === 'string') {
    const v = isAbsolute(raw.vocab) ? raw.vocab : resolve(dir, raw.vocab);
    if (!existsSync(v)) throw new ManifestError(path, 'vocab', `'${raw.vocab}' not found`);
    m.vocab = v;
  }
  return m;
}
