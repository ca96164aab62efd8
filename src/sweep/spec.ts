/**
 * The sweep spec: parsing and validation (errors name the file and field), the default spec for the tiny
 * reference set, and expansion into planned variants (baseline first, explicit variants, then the capped
 * grid), each with a stable id made from its normalized settings.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { ALL_ROLES, type Role } from '../models/manifest.js';
import { findPass, listSweepPasses, PASS_REGISTRY, type PassList } from '../quantize/registry.js';
import { nonDefaultSettings, parseSetting, pickSettings, resolvePipelineSettings, SETTING_KEYS, type PipelineSettings } from '../runner/pipeline-settings.js';
import {
  PRECISIONS,
  SWEEP_SPEC_SCHEMA_VERSION,
  type GridSpec,
  type PassSpec,
  type PlannedVariant,
  type Precision,
  type RolePasses,
  type SweepSpec,
  type VariantSpec,
} from './types.js';

/**
 * Roles rescaled when a variant changes the output size: the source crop feeds both extractors, the
 * appearance volume feeds the warp network, whose output feeds the decoder, so all four scale together.
 */
/**
 * Roles a `resolution` variant rescales: the decoder only, resizing its input feature map inside the graph.
 * The warp network's 5-level hourglass needs a feature grid divisible by 32 (64 → 32 → … → 2), so 384² output
 * (a 48² grid) cannot run through it; rendering the decoder (72% of the per-frame MACs) at the lower size can.
 */
export const RESOLUTION_ROLES: readonly Role[] = ['decoder'];

/** Default cap on grid variants. */
export const DEFAULT_MAX_VARIANTS = 32;

/**
 * The spec `workbench sweep` runs without an argument (and `npm start`): the tiny reference set on the CPU,
 * a handful of variants that finish in about a minute on 2 cores.
 */
export const DEFAULT_SWEEP_SPEC: SweepSpec = {
  schemaVersion: SWEEP_SPEC_SCHEMA_VERSION,
  name: 'tiny-default',
  scale: 'tiny',
  seed: 1,
  steps: 4,
  repeats: 1,
  profile: false,
  text: 'Hello there, this is a short test.',
  variants: [
    { name: 'fp16', precision: { '*': 'fp16' } },
    { name: 'int8-dynamic', precision: { '*': 'int8-dynamic' } },
    { name: 'res-96', resolution: 96 },
    { name: 'steps-2', steps: 2 },
    { name: 'fp16+res-96', precision: { '*': 'fp16' }, resolution: 96 },
  ],
};

function fail(file: string, field: string, detail: string): never {
  throw new UsageError(`${file}: ${field}: ${detail}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkPrecision(file: string, field: string, v: unknown): Precision {
  if (typeof v !== 'string' || !PRECISIONS.includes(v as Precision))
    fail(file, field, `unknown precision '${String(v)}'. Should be one of: ${PRECISIONS.join(', ')}.`);
  return v as Precision;
}

function checkRole(file: string, field: string, v: string, allowStar: boolean): void {
  if (allowStar && v === '*') return;
  if (!ALL_ROLES.includes(v as Role)) fail(file, field, `unknown role '${v}'. Should be one of: ${allowStar ? '*, ' : ''}${ALL_ROLES.join(', ')}.`);
}

function checkPositiveInt(file: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(file, field, `expected a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates one pass object of a spec through its registry entry (exported for tests that register a pass). */
export function checkPass(file: string, field: string, p: unknown, registry: PassList = PASS_REGISTRY): PassSpec {
  const names = listSweepPasses(registry).map((d) => d.name);
  if (!isObj(p) || typeof p.pass !== 'string') fail(file, field, `expected { "pass": ${names.map((n) => `"${n}"`).join(' | ')}, ... }`);
  const def = findPass(p.pass, registry);
  if (!def?.sweep) return fail(file, `${field}.pass`, `unknown pass '${p.pass}'. Should be one of: ${names.join(', ')}.`);
  return def.sweep.parse(p as Record<string, unknown> & { pass: string }, { file, field }) as PassSpec;
}

/** Variant fields that change the models (passes); every run setting (PipelineSettings) is a variant field too. */
const VARIANT_BUILD_FIELDS = ['name', 'precision', 'resolution', 'steps', 'mixedBudget', 'passes', 'decodeLoop'];

function checkVariant(file: string, field: string, v: unknown): VariantSpec {
  if (!isObj(v)) fail(file, field, 'expected an object');
  const known = [...VARIANT_BUILD_FIELDS, ...SETTING_KEYS];
  for (const k of Object.keys(v)) if (!known.includes(k)) fail(file, `${field}.${k}`, `unknown field. Should be one of: ${known.join(', ')}.`);
  if (v.name !== undefined && typeof v.name !== 'string') fail(file, `${field}.name`, 'expected a string');
  if (v.precision !== undefined) {
    if (!isObj(v.precision)) fail(file, `${field}.precision`, 'expected { role | "*": precision }');
    for (const [role, p] of Object.entries(v.precision)) {
      checkRole(file, `${field}.precision.${role}`, role, true);
      checkPrecision(file, `${field}.precision.${role}`, p);
    }
  }
  if (v.resolution !== undefined) checkPositiveInt(file, `${field}.resolution`, v.resolution);
  if (v.steps !== undefined) checkPositiveInt(file, `${field}.steps`, v.steps);
  if (v.decodeLoop !== undefined && typeof v.decodeLoop !== 'boolean') fail(file, `${field}.decodeLoop`, 'expected true or false');
  pickSettings(v, file, field);
  if (v.mixedBudget !== undefined && (typeof v.mixedBudget !== 'number' || v.mixedBudget < 0)) fail(file, `${field}.mixedBudget`, 'expected a number >= 0');
  if (v.passes !== undefined) {
    if (!isObj(v.passes)) fail(file, `${field}.passes`, 'expected { role: [pass, ...] }');
    for (const [role, list] of Object.entries(v.passes)) {
      checkRole(file, `${field}.passes.${role}`, role, false);
      if (!Array.isArray(list)) fail(file, `${field}.passes.${role}`, 'expected a list of passes');
      list.forEach((p, i) => checkPass(file, `${field}.passes.${role}[${i}]`, p));
    }
  }
  return v as VariantSpec;
}

function checkGrid(file: string, g: unknown): GridSpec {
  if (!isObj(g)) fail(file, 'grid', 'expected an object of axes');
  const known: string[] = ['precision', 'precisionRoles', 'resolution', 'steps', 'mixedBudget', ...SETTING_KEYS];
  for (const [k, vals] of Object.entries(g)) {
    if (!known.includes(k)) fail(file, `grid.${k}`, `unknown axis. Should be one of: ${known.join(', ')}.`);
    if (!Array.isArray(vals) || vals.length === 0) fail(file, `grid.${k}`, 'expected a non-empty list of values');
    vals.forEach((x, i) => {
      const f = `grid.${k}[${i}]`;
      if (k === 'precision') checkPrecision(file, f, x);
      else if (k === 'precisionRoles') checkRole(file, f, String(x), false);
      else if ((SETTING_KEYS as string[]).includes(k)) parseSetting(k as keyof PipelineSettings, x, file, f);
      else if (k === 'mixedBudget') {
        if (typeof x !== 'number' || x < 0) fail(file, f, 'expected a number >= 0');
      } else checkPositiveInt(file, f, x);
    });
  }
  return g as GridSpec;
}

/** `qualityFloor`: false (none), or { minPsnr, minSsim, maxAudioDistance } each a number or null (that one off). */
function checkQualityFloor(file: string, v: unknown): void {
  if (v === false) return;
  if (!isObj(v)) fail(file, 'qualityFloor', 'expected false or { "minPsnr": dB, "minSsim": s, "maxAudioDistance": dB } (null turns one off)');
  const known = ['minPsnr', 'minSsim', 'maxAudioDistance'];
  for (const [k, x] of Object.entries(v)) {
    if (!known.includes(k)) fail(file, `qualityFloor.${k}`, `unknown field. Should be one of: ${known.join(', ')}.`);
    if (x !== null && (typeof x !== 'number' || !Number.isFinite(x))) fail(file, `qualityFloor.${k}`, `expected a number or null, got ${JSON.stringify(x)}`);
  }
}

/** Validates a parsed JSON value as a sweep spec; `file` names it in errors. */
export function parseSweepSpec(json: unknown, file = 'sweep spec'): SweepSpec {
  if (!isObj(json)) fail(file, '(root)', 'expected a JSON object');
  if (json.schemaVersion !== SWEEP_SPEC_SCHEMA_VERSION)
    fail(file, 'schemaVersion', `expected ${SWEEP_SPEC_SCHEMA_VERSION}, got ${JSON.stringify(json.schemaVersion)}`);
  const known = [
    'schemaVersion',
    'name',
    'manifest',
    'scale',
    'seed',
    'steps',
    'repeats',
    'text',
    'variants',
    'grid',
    'maxVariants',
    'qualityFloor',
    '$comment',
    ...SETTING_KEYS,
  ];
  for (const k of Object.keys(json)) if (!known.includes(k)) fail(file, k, `unknown field. Should be one of: ${known.join(', ')}.`);
  if (typeof json.name !== 'string' || !json.name) fail(file, 'name', 'expected a non-empty string');
  if (json.manifest !== undefined && typeof json.manifest !== 'string') fail(file, 'manifest', 'expected a path');
  if (json.scale !== undefined && json.scale !== 'tiny' && json.scale !== 'full') fail(file, 'scale', "expected 'tiny' or 'full'");
  if (json.seed !== undefined && (typeof json.seed !== 'number' || !Number.isInteger(json.seed))) fail(file, 'seed', 'expected an integer');
  if (json.steps !== undefined) checkPositiveInt(file, 'steps', json.steps);
  if (json.repeats !== undefined) checkPositiveInt(file, 'repeats', json.repeats);
  if (json.maxVariants !== undefined) checkPositiveInt(file, 'maxVariants', json.maxVariants);
  pickSettings(json, file);
  if (json.text !== undefined && typeof json.text !== 'string') fail(file, 'text', 'expected a string');
  if (json.variants !== undefined) {
    if (!Array.isArray(json.variants)) fail(file, 'variants', 'expected a list');
    json.variants.forEach((v, i) => checkVariant(file, `variants[${i}]`, v));
  }
  if (json.grid !== undefined) checkGrid(file, json.grid);
  if (json.qualityFloor !== undefined) checkQualityFloor(file, json.qualityFloor);
  if (json.variants === undefined && json.grid === undefined) fail(file, 'variants', 'a spec needs "variants", "grid" or both');
  return json as unknown as SweepSpec;
}

/** Reads and validates a sweep spec file. */
export function loadSweepSpec(path: string): SweepSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${path}: cannot read the sweep spec (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseSweepSpec(json, path);
}

const PRECISION_PASS: Record<Precision, PassSpec | undefined> = {
  fp32: undefined,
  fp16: { pass: 'fp16' },
  'int8-dynamic': { pass: 'int8', mode: 'dynamic' },
  'int8-static': { pass: 'int8', mode: 'static' },
  wo8: { pass: 'wo', bits: 8 },
  wo4: { pass: 'wo', bits: 4 },
};

/** Per-role passes of a variant: precision, resolution and mixed shorthands expanded; `*` = every role. */
export function resolvePasses(v: VariantSpec): RolePasses {
  const out: RolePasses = {};
  const add = (role: Role | '*', p: PassSpec): void => {
    (out[role] ??= []).push(p);
  };
  if (v.resolution !== undefined) for (const r of RESOLUTION_ROLES) add(r, { pass: 'resolution', outputSize: v.resolution, keepInputs: true });
  // A role's own precision replaces the '*' one, so { '*': 'fp16', warp_network: 'fp32' } keeps warp in fp32.
  const prec = v.precision ?? {};
  const star = prec['*'];
  const roles = star !== undefined ? ALL_ROLES : (Object.keys(prec) as Role[]);
  for (const role of roles) {
    const p = PRECISION_PASS[prec[role] ?? star ?? 'fp32'];
    if (p) add(role, p);
  }
  if (v.mixedBudget !== undefined) add('*', { pass: 'mixed', budget: v.mixedBudget });
  for (const [role, list] of Object.entries(v.passes ?? {})) {
    out[role as Role] = [...(out[role as Role] ?? []).filter((p) => p.pass === 'resolution'), ...list];
  }
  // After the precision passes: the loop is built around the rewritten step.
  if (v.decodeLoop && !out.gpt_decode?.some((p) => p.pass === 'decode-loop')) add('gpt_decode', { pass: 'decode-loop' });
  return out;
}

/** JSON with sorted keys, so equal settings hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObj(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Settings that do not change what a run measures, left out of ids: `profile` profiles in a pass of its own
 * after the timed run.
 */
const SETTINGS_NOT_IN_ID: ReadonlySet<keyof PipelineSettings> = new Set(['profile']);

/**
 * A variant's id: a hash of what changes the result (passes, steps, run settings), not its name. `session`
 * and `workers` were always in the key; every other setting joins it only when it differs from its default,
 * so the ids of existing specs stay what they were when a setting is added (and a warm sweep never resumes
 * from cold results).
 */
export function variantId(passes: RolePasses, steps: number | undefined, settings: PipelineSettings): string {
  const changed = Object.entries(nonDefaultSettings(settings)).filter(([k]) => !SETTINGS_NOT_IN_ID.has(k as keyof PipelineSettings));
  const key = { passes, steps, session: settings.session, workers: settings.workers, ...Object.fromEntries(changed) };
  return createHash('sha256').update(canonicalJson(key)).digest('hex').slice(0, 12);
}

/** A variant's run settings: defaults ← the spec's ← the variant's. */
export function variantSettings(spec: SweepSpec, v: VariantSpec): PipelineSettings {
  return resolvePipelineSettings(
    [pickSettings(spec as unknown as Record<string, unknown>, 'sweep spec'), pickSettings(v as Record<string, unknown>, 'sweep spec')],
    'sweep spec',
  );
}

/** Run settings that have a short name of their own in variant names. */
const NAMED_SETTINGS: ReadonlySet<string> = new Set([
  'workers',
  'session',
  'vocoderBucket',
  'overlap',
  'renderGraph',
  'renderBatch',
  'diffusionLoop',
  'backend',
  'providerOptions',
]);

/** A readable name made from a variant's settings ('fp16+res96+steps2'). */
export function variantName(v: VariantSpec): string {
  if (v.name) return v.name;
  const parts: string[] = [];
  for (const [role, p] of Object.entries(v.precision ?? {})) if (p !== 'fp32') parts.push(role === '*' ? p : `${role}:${p}`);
  if (v.passes) parts.push(...Object.keys(v.passes).map((r) => `${r}:custom`));
  if (v.resolution !== undefined) parts.push(`res${v.resolution}`);
  if (v.vocoderBucket) parts.push(`voc${v.vocoderBucket}`);
  if (v.decodeLoop) parts.push('loop');
  if (v.renderGraph) parts.push(v.renderGraph === 'baked' ? 'rgbaked' : 'rg');
  if (v.renderBatch !== undefined && v.renderBatch > 1) parts.push(`rb${v.renderBatch}`);
  if (v.diffusionLoop) parts.push(v.diffusionLoop === 'unrolled' ? 'dunrolled' : 'dloop');
  if (v.overlap) parts.push('overlap');
  if (v.mixedBudget !== undefined) parts.push(`mixed${v.mixedBudget}`);
  if (v.steps !== undefined) parts.push(`steps${v.steps}`);
  if (v.workers !== undefined && v.workers !== 1) parts.push(`w${v.workers}`);
  if (v.session && Object.keys(v.session).length)
    parts.push(
      Object.entries(v.session)
        .map(([k, x]) => `${k}=${String(x)}`)
        .join(','),
    );
  if (v.backend !== undefined && v.backend !== 'node') parts.push(v.backend);
  for (const [role, o] of Object.entries(v.providerOptions ?? {}))
    if (o && Object.keys(o).length)
      parts.push(
        `${role === '*' ? '' : `${role}:`}${Object.entries(o)
          .map(([k, x]) => `${k}=${String(x)}`)
          .join(',')}`,
      );
  // Any other run setting the variant changes (a grid axis of warmup, say) is named as key=value.
  for (const [k, x] of Object.entries(nonDefaultSettings(resolvePipelineSettings([pickSettings(v as Record<string, unknown>, 'sweep spec')]))))
    if (!NAMED_SETTINGS.has(k)) parts.push(`${k}=${JSON.stringify(x)}`);
  return parts.length ? parts.join('+') : 'fp32';
}

function gridVariants(g: GridSpec): VariantSpec[] {
  type Axis = (v: VariantSpec) => VariantSpec[];
  const roles = g.precisionRoles ?? ['*'];
  const axes: Axis[] = [];
  if (g.precision) axes.push((v) => g.precision!.map((p) => (p === 'fp32' ? v : { ...v, precision: Object.fromEntries(roles.map((r) => [r, p])) })));
  if (g.resolution) axes.push((v) => g.resolution!.map((r) => ({ ...v, resolution: r })));
  if (g.steps) axes.push((v) => g.steps!.map((s) => ({ ...v, steps: s })));
  if (g.mixedBudget) axes.push((v) => g.mixedBudget!.map((b) => ({ ...v, mixedBudget: b })));
  // Run-setting axes after the build axes, in PIPELINE_SETTINGS_DEFAULTS order (workers, then session, …).
  for (const k of SETTING_KEYS) {
    const values = g[k] as unknown[] | undefined;
    if (values) axes.push((v) => values.map((x) => ({ ...v, [k]: x })));
  }
  let all: VariantSpec[] = [{}];
  for (const axis of axes) all = all.flatMap(axis);
  return all;
}

/**
 * Every variant of a spec in run order: the FP32 baseline (index 0), the explicit variants, then the grid
 * (its cross product truncated at `maxVariants`). Variants equal to an earlier one (same id) are dropped.
 */
export function expandVariants(spec: SweepSpec): PlannedVariant[] {
  const out: PlannedVariant[] = [];
  const seen = new Set<string>();
  const push = (v: VariantSpec, baseline: boolean): void => {
    const passes = resolvePasses(v);
    const settings = variantSettings(spec, v);
    const id = variantId(passes, v.steps ?? spec.steps, settings);
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ id, index: out.length, name: baseline ? 'fp32-baseline' : variantName(v), baseline, spec: v, passes, settings });
  };
  push({}, true);
  for (const v of spec.variants ?? []) push(v, false);
  if (spec.grid) {
    const cap = spec.maxVariants ?? DEFAULT_MAX_VARIANTS;
    let added = 0;
    for (const v of gridVariants(spec.grid)) {
      if (added >= cap) break;
      const before = out.length;
      push(v, false);
      if (out.length > before) added++;
    }
  }
  return out;
}

/** How many variants the grid alone would give before the cap (so the CLI can say what it dropped). */
export function gridSize(g: GridSpec): number {
  return gridVariants(g).length;
}
