/**
 * Validation of the projection: a profile from GPU A projected to GPU B, against B's measured profile of
 * the same models. Relative error per role (per-call time) and end to end (per-call times weighted by calls
 * per audio second). `--record` appends the result to src/projection/validation.json, which gives every
 * later projection its error band.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors.js';
import type { Manifest } from '../models/manifest.js';
import type { ProfileReport } from '../profiler/profile-report.js';
import type { PeaksFile } from './device-side.js';
import type { ValidationEntry, ValidationFile } from './error-band.js';
import { projectProfile, roleRates } from './project-profile.js';
import { median } from '../core/stats.js';

export const VALIDATION_SCHEMA_VERSION = 1;

export interface RoleValidation {
  role: string;
  /** Measured per-call time on A (the projection's input). */
  sourceMs: number;
  projected: true;
  projectedMs: number;
  /** Measured per-call time on B. */
  measuredMs: number;
  /** (projected − measured) / measured. */
  relError: number;
  callsPerAudioSecond: number;
}

export interface ValidationReport {
  schemaVersion: typeof VALIDATION_SCHEMA_VERSION;
  kind: 'workbench.projection-validation';
  createdAt: string;
  from: { id: string; name: string; file: string };
  to: { id: string; name: string; file: string };
  roles: RoleValidation[];
  endToEnd: { projected: true; projectedMs: number; measuredMs: number; relError: number; weighting: string };
  summary: { roles: number; medianAbsRoleError: number; maxAbsRoleError: number };
  /** What `--record` appends to validation.json. */
  entry: ValidationEntry;
  warnings: string[];
}

export interface ValidateOptions {
  fromFile: string;
  measuredFile: string;
  /** Target id when the measured profile recorded no peaks. */
  to?: string;
  from?: string;
  manifest?: Manifest;
  audioSeconds?: number;
  peaksFiles?: readonly PeaksFile[];
  createdAt?: string;
}

/** Compares the projection of `fromProfile` to `measured`'s GPU against `measured`. */
export function validateProjection(fromProfile: ProfileReport, measured: ProfileReport, o: ValidateOptions): ValidationReport {
  const toId = o.to ?? measured.device.peaks?.id;
  if (!toId) throw new UsageError(`${o.measuredFile}: the measured profile has no GPU peaks (device '${measured.device.name}'); pass --to <id>`);
  if (measured.requestedEp !== 'cuda') throw new UsageError(`${o.measuredFile}: the measured profile ran on the ${measured.requestedEp} EP, not on a GPU`);
  const createdAt = o.createdAt ?? new Date().toISOString();
  const projection = projectProfile(fromProfile, {
    targets: [toId],
    ...(o.from ? { from: o.from } : {}),
    ...(o.peaksFiles ? { peaksFiles: o.peaksFiles } : {}),
    ...(o.manifest ? { manifest: o.manifest } : {}),
    ...(o.audioSeconds !== undefined ? { audioSeconds: o.audioSeconds } : {}),
    validations: [],
    createdAt,
  });
  const t = projection.targets[0];
  if (!t) throw new UsageError('validate: no target');
  const warnings: string[] = [];
  const measuredBy = new Map(measured.roles.map((r) => [r.role, r]));
  const common = t.roles.filter((r) => measuredBy.has(r.role));
  if (!common.length) throw new UsageError(`${o.fromFile} and ${o.measuredFile} have no role in common`);
  for (const r of fromProfile.roles) if (!measuredBy.has(r.role)) warnings.push(`role ${r.role} is not in the measured profile: left out`);
  // A trimmed source profile: its unlisted nodes were projected by projectUnlisted (the measured side uses only end-to-end times).
  const trimmed = common.filter((r) => r.unlisted);
  if (trimmed.length) {
    const methods = [...new Set(trimmed.map((r) => (r.unlisted as NonNullable<typeof r.unlisted>).method))].join(', ');
    warnings.push(
      `${o.fromFile} lists only some nodes of ${trimmed.length} role(s) (trimmed): their unlisted nodes were projected (${methods}; see each role's unlisted part in \`workbench project\`)`,
    );
  }
  const { rates } = roleRates(
    common.map((r) => r.role),
    { ...(o.manifest ? { manifest: o.manifest } : {}), ...(o.audioSeconds !== undefined ? { audioSeconds: o.audioSeconds } : {}) },
  );
  const rateOf = new Map(rates.map((r) => [r.role, r.callsPerAudioSecond]));
  const anyRate = rates.some((r) => r.callsPerAudioSecond > 0);
  const roles: RoleValidation[] = common.map((p) => {
    const m = measuredBy.get(p.role)!;
    const a = fromProfile.roles.find((x) => x.role === p.role);
    if (a && basename(a.model) !== basename(m.model)) warnings.push(`role ${p.role}: different model files (${basename(a.model)} vs ${basename(m.model)})`);
    if (a && JSON.stringify(a.inputs.map((i) => i.dims)) !== JSON.stringify(m.inputs.map((i) => i.dims)))
      warnings.push(`role ${p.role}: different input shapes`);
    const measuredMs = m.endToEnd.time.median;
    return {
      role: p.role,
      sourceMs: p.sourceCallMs,
      projected: true,
      projectedMs: p.callMs,
      measuredMs,
      relError: (p.callMs - measuredMs) / measuredMs,
      callsPerAudioSecond: anyRate ? (rateOf.get(p.role) ?? 0) : 1,
    };
  });
  const projectedMs = roles.reduce((s, r) => s + r.callsPerAudioSecond * r.projectedMs, 0);
  const measuredMs = roles.reduce((s, r) => s + r.callsPerAudioSecond * r.measuredMs, 0);
  const relError = (projectedMs - measuredMs) / measuredMs;
  const abs = roles.map((r) => Math.abs(r.relError));
  const from = projection.source;
  const entry: ValidationEntry = {
    from: from.id,
    to: t.target.id,
    createdAt,
    endToEndRelError: relError,
    roles: roles.map((r) => ({ role: r.role, relError: r.relError })),
    files: { fromProfile: o.fromFile, measured: o.measuredFile },
  };
  return {
    schemaVersion: VALIDATION_SCHEMA_VERSION,
    kind: 'workbench.projection-validation',
    createdAt,
    from: { id: from.id, name: from.name, file: o.fromFile },
    to: { id: t.target.id, name: t.target.name, file: o.measuredFile },
    roles,
    endToEnd: {
      projected: true,
      projectedMs,
      measuredMs,
      relError,
      weighting: anyRate
        ? 'per-call times weighted by calls per audio second (ms of compute per audio second)'
        : 'plain sum of per-call times (no call rates known)',
    },
    summary: { roles: roles.length, medianAbsRoleError: median(abs), maxAbsRoleError: Math.max(...abs) },
    entry,
    warnings,
  };
}

/** Appends a validation entry to a validation.json (e.g. src/projection/validation.json). */
export function recordValidation(file: string, entry: ValidationEntry): ValidationFile {
  let v: ValidationFile;
  try {
    v = JSON.parse(readFileSync(file, 'utf8')) as ValidationFile;
  } catch (e) {
    throw new UsageError(`${file}: cannot read the validation file (${(e as Error).message})`);
  }
  if (!Array.isArray(v.validations)) throw new UsageError(`${file}: no 'validations' list`);
  v.validations.push(entry);
  writeFileSync(file, `${JSON.stringify(v, null, 2)}\n`);
  return v;
}

/** One-line-per-role console summary of a validation. */
export function renderValidation(r: ValidationReport): string {
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  const lines = [`projection ${r.from.id} → ${r.to.id} against ${r.to.name} measured (${r.to.file})`];
  for (const x of r.roles)
    lines.push(
      `  ${x.role.padEnd(22)} ${x.sourceMs.toFixed(3).padStart(10)} ms on ${r.from.id}  projected ${x.projectedMs.toFixed(3).padStart(10)} ms  measured ${x.measuredMs.toFixed(3).padStart(10)} ms  ${pct(x.relError)}`,
    );
  lines.push(
    `  end to end (${r.endToEnd.weighting}): projected ${r.endToEnd.projectedMs.toFixed(2)}, measured ${r.endToEnd.measuredMs.toFixed(2)}: ${pct(r.endToEnd.relError)}`,
  );
  lines.push(`  roles: median |error| ${(r.summary.medianAbsRoleError * 100).toFixed(1)}%, max ${(r.summary.maxAbsRoleError * 100).toFixed(1)}%`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
