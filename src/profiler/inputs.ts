/**
 * Inputs for profiling: resolved shapes and a deterministic generator per input (seeded normal floats; int64
 * 0 unless the name says otherwise: ones for masks, 0..L-1 for positions, small token ids), or data from a file.
 * A plan is plain JSON so a child process regenerates the very same tensors.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { float32ToFloat16 } from '../onnx/dtype.js';
import { createRng } from '../onnx/rng.js';
import type { HostTensor, SessionIO } from '../runtime/index.js';

export type InputFill = 'normal' | 'zeros' | 'ones' | 'positions' | 'token-ids' | 'uniform-bytes' | 'data';

/** One input: its type, concrete dims and how its values are made. */
export interface InputPlanEntry {
  name: string;
  type: HostTensor['type'];
  dims: number[];
  fill: InputFill;
  seed: number;
  /** Values when fill is 'data'. */
  data?: number[];
  /** Why this fill / these dims (symbolic dims resolved, defaults taken). */
  note?: string;
}

/** Shapes and data a user passes with `--inputs`. */
export interface InputOverrides {
  /** Values of symbolic dims ('N' → 6480). */
  dims: Record<string, number>;
  /** Full shapes by input name. */
  shapes: Record<string, number[]>;
  /** Explicit data by input name. */
  data: Record<string, { type?: HostTensor['type']; dims: number[]; data: number[] }>;
  /** Per-role overrides (manifests). */
  roles: Record<string, Omit<InputOverrides, 'roles'>>;
}

export function emptyOverrides(): InputOverrides {
  return { dims: {}, shapes: {}, data: {}, roles: {} };
}

const TYPES: readonly HostTensor['type'][] = ['float32', 'float16', 'int32', 'int64', 'uint8', 'int8', 'bool', 'float64'];

function typeOf(t: string | undefined, where: string): HostTensor['type'] {
  const n = t === 'float' ? 'float32' : t === 'double' ? 'float64' : t;
  if (n && (TYPES as readonly string[]).includes(n)) return n as HostTensor['type'];
  throw new UsageError(`${where}: unsupported input element type '${t ?? '?'}' (one of ${TYPES.join(', ')})`);
}

/**
 * Parses `--inputs`: a JSON file (`{dims?, shapes?, inputs?: {name: {type?, dims, data}}, roles?: {role: {...}}}`)
 * or an inline spec `x:1x3x64x64,N=6480` (name:dims sets a shape, NAME=value a symbolic dim).
 */
export function parseInputsOption(value: string | undefined): InputOverrides {
  const o = emptyOverrides();
  if (!value) return o;
  if (/\.json$/i.test(value)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(value, 'utf8'));
    } catch (e) {
      throw new UsageError(`--inputs ${value}: cannot read a JSON inputs file (${(e as Error).message})`);
    }
    return fromJson(raw, value);
  }
  for (const part of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const colon = part.lastIndexOf(':');
    const eq = part.indexOf('=');
    if (colon > 0) {
      const dims = part
        .slice(colon + 1)
        .split('x')
        .map((d) => Number(d));
      if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new UsageError(`--inputs: '${part}': dims must be non-negative integers like 1x3x64x64`);
      o.shapes[part.slice(0, colon)] = dims;
    } else if (eq > 0) {
      const v = Number(part.slice(eq + 1));
      if (!Number.isInteger(v) || v < 0) throw new UsageError(`--inputs: '${part}': a symbolic dim needs a non-negative integer`);
      o.dims[part.slice(0, eq)] = v;
    } else throw new UsageError(`--inputs: '${part}' is neither name:dims (x:1x3x64x64) nor DIM=value (N=6480), nor a .json file`);
  }
  return o;
}

function fromJson(raw: unknown, file: string, allowRoles = true): InputOverrides {
  const o = emptyOverrides();
  if (!raw || typeof raw !== 'object') throw new UsageError(`${file}: expected a JSON object`);
  const r = raw as Record<string, unknown>;
  for (const [k, v] of Object.entries((r.dims ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'number') throw new UsageError(`${file}: dims.${k} must be a number`);
    o.dims[k] = v;
  }
  for (const [k, v] of Object.entries((r.shapes ?? {}) as Record<string, unknown>)) {
    if (!Array.isArray(v)) throw new UsageError(`${file}: shapes.${k} must be an array of dims`);
    o.shapes[k] = v.map(Number);
  }
  for (const [k, v] of Object.entries((r.inputs ?? {}) as Record<string, unknown>)) {
    const e = v as { type?: string; dims?: unknown; data?: unknown };
    if (!Array.isArray(e?.dims)) throw new UsageError(`${file}: inputs.${k}.dims must be an array`);
    const dims = e.dims.map(Number);
    if (!Array.isArray(e.data)) {
      o.shapes[k] = dims;
      continue;
    }
    const count = dims.reduce((a, b) => a * b, 1);
    if (e.data.length !== count) throw new UsageError(`${file}: inputs.${k}: ${e.data.length} values for dims [${dims.join(',')}] (${count} expected)`);
    const entry: InputOverrides['data'][string] = { dims, data: e.data.map(Number) };
    if (e.type) entry.type = typeOf(e.type, `${file}: inputs.${k}`);
    o.data[k] = entry;
  }
  if (allowRoles)
    for (const [role, v] of Object.entries((r.roles ?? {}) as Record<string, unknown>)) {
      const sub = fromJson(v, `${file}: roles.${role}`, false);
      o.roles[role] = { dims: sub.dims, shapes: sub.shapes, data: sub.data };
    }
  return o;
}

/** The overrides that apply to one role: top-level ones, then the role's own. */
export function overridesForRole(o: InputOverrides, role: string): InputOverrides {
  const r = o.roles[role];
  return {
    dims: { ...o.dims, ...(r?.dims ?? {}) },
    shapes: { ...o.shapes, ...(r?.shapes ?? {}) },
    data: { ...o.data, ...(r?.data ?? {}) },
    roles: {},
  };
}

/** How values of an input are generated, from its name and type. */
export function fillFor(name: string, type: HostTensor['type']): { fill: InputFill; note: string } {
  const n = name.toLowerCase();
  const isFloat = type === 'float32' || type === 'float16' || type === 'float64';
  if (/mask/.test(n)) return { fill: 'ones', note: 'a mask: all ones' };
  if (isFloat) return { fill: 'normal', note: 'seeded standard normal' };
  if (type === 'bool') return { fill: 'zeros', note: 'false' };
  if (type === 'uint8') return { fill: 'uniform-bytes', note: 'seeded uniform 0..255' };
  if (/position|pos_id|positions/.test(n)) return { fill: 'positions', note: '0..L-1 along the last axis' };
  if (/token|input_ids|(^|_)ids$|text|codes/.test(n)) return { fill: 'token-ids', note: 'seeded token ids in 0..15 (valid for any vocabulary)' };
  return { fill: 'zeros', note: 'integer input: 0' };
}

/** Resolves a shape's symbolic dims; unknown ones become 1 and are reported in `missing`. */
export function resolveDims(shape: readonly (number | string | undefined)[], dims: Record<string, number>, missing: string[]): number[] {
  return shape.map((d) => {
    if (typeof d === 'number' && d >= 0) return d;
    const key = typeof d === 'string' ? d : '?';
    const v = dims[key];
    if (v !== undefined) return v;
    if (!missing.includes(key)) missing.push(key);
    return 1;
  });
}

/** Builds the plan for a model's inputs (ORT metadata or a manifest's contract) with the given overrides. */
export function planInputs(
  inputs: readonly { name: string; type?: string; shape?: readonly (number | string | undefined)[] }[],
  o: InputOverrides,
  seed: number,
  where: string,
): { plan: InputPlanEntry[]; warnings: string[] } {
  const warnings: string[] = [];
  const plan = inputs.map((io, i): InputPlanEntry => {
    const given = o.data[io.name];
    const type = given?.type ?? typeOf(io.type ?? 'float32', `${where}: input '${io.name}'`);
    if (given) return { name: io.name, type, dims: given.dims, fill: 'data', seed, data: given.data, note: 'from the inputs file' };
    const missing: string[] = [];
    const shape = o.shapes[io.name];
    const dims = shape ?? resolveDims(io.shape ?? [], o.dims, missing);
    const f = fillFor(io.name, type);
    const e: InputPlanEntry = { name: io.name, type, dims, fill: f.fill, seed: seed + i * 7919, note: f.note };
    if (missing.length) {
      const w = `${where}: input '${io.name}': no value for symbolic dim(s) ${missing.join(', ')}; used 1 (pass --inputs ${missing[0]}=<n>)`;
      warnings.push(w);
      e.note = `${f.note}; ${missing.join(', ')} = 1 (default)`;
    }
    return e;
  });
  return { plan, warnings };
}

/** Makes the tensor an entry describes (deterministic for a given entry). */
export function materializeInput(e: InputPlanEntry): HostTensor {
  const count = e.dims.reduce((a, b) => a * b, 1);
  const rng = createRng(e.seed);
  const floats = (): Float32Array => {
    const f = new Float32Array(count);
    if (e.fill === 'normal') rng.fillNormal(f);
    else if (e.fill === 'ones') f.fill(1);
    else if (e.fill === 'data') f.set(e.data ?? []);
    return f;
  };
  const ints = (): number[] => {
    const v = new Array<number>(count).fill(0);
    const last = e.dims[e.dims.length - 1] ?? 1;
    for (let i = 0; i < count; i++) {
      if (e.fill === 'ones') v[i] = 1;
      else if (e.fill === 'positions') v[i] = last > 0 ? i % last : 0;
      else if (e.fill === 'token-ids') v[i] = Math.floor(rng.next() * 16);
      else if (e.fill === 'uniform-bytes') v[i] = Math.floor(rng.next() * 256);
      else if (e.fill === 'data') v[i] = e.data?.[i] ?? 0;
    }
    return v;
  };
  switch (e.type) {
    case 'float32':
      return { type: e.type, dims: e.dims, data: floats() };
    case 'float64':
      return { type: e.type, dims: e.dims, data: Float64Array.from(floats()) };
    case 'float16':
      return { type: e.type, dims: e.dims, data: float32ToFloat16(floats()) };
    case 'int64':
      return { type: e.type, dims: e.dims, data: BigInt64Array.from(ints(), (x) => BigInt(Math.trunc(x))) };
    case 'int32':
      return { type: e.type, dims: e.dims, data: Int32Array.from(ints()) };
    case 'int8':
      return { type: e.type, dims: e.dims, data: Int8Array.from(ints()) };
    case 'uint8':
    case 'bool':
      return { type: e.type, dims: e.dims, data: Uint8Array.from(ints()) };
  }
}

/** Tensors for a whole plan, by input name. */
export function materializeInputs(plan: readonly InputPlanEntry[]): Record<string, HostTensor> {
  const r: Record<string, HostTensor> = {};
  for (const e of plan) r[e.name] = materializeInput(e);
  return r;
}

/** Maps ORT session metadata to the shape list planInputs takes. */
export function sessionInputs(meta: readonly SessionIO[]): { name: string; type?: string; shape?: (number | string)[] }[] {
  return meta.map((m) => {
    const r: { name: string; type?: string; shape?: (number | string)[] } = { name: m.name };
    if (m.type) r.type = m.type;
    if (m.shape) r.shape = m.shape;
    return r;
  });
}
