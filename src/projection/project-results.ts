/**
 * Sweep results (results.jsonl) projected to other GPUs. A result carries each role's measured seconds and
 * calls but no per-node data, so each role's time is scaled by the projected/measured per-call ratio of a
 * profile of the same models (the variant's own profile when one matches its manifest, else the first one,
 * flagged); the time outside role calls (host work) stays as measured.
 */
import { resolve } from 'node:path';
import type { ProfileReport } from '../profiler/profile-report.js';
import type { ProjectedRtf, VariantResult } from '../sweep/types.js';
import { projectProfile, type ProjectOptions } from './project-profile.js';
import type { ProjectionReport, VariantProjection } from './types.js';

/** A profile with where it came from. */
export interface NamedProfile {
  file: string;
  profile: ProfileReport;
}

/** The profile whose manifest is the variant's (by path, or by the variant id in the path), else the first. */
export function profileForVariant(r: VariantResult, profiles: readonly NamedProfile[]): { p: NamedProfile; exact: boolean } | undefined {
  const m = r.manifest ? resolve(r.manifest) : undefined;
  const exact = profiles.find((p) => (m && resolve(p.profile.target) === m) || p.profile.target.includes(r.id));
  if (exact) return { p: exact, exact: true };
  const first = profiles[0];
  return first ? { p: first, exact: false } : undefined;
}

/** Projects every ok variant to every target; returns the per-variant rows and the profile projections used. */
export function projectResults(
  results: readonly VariantResult[],
  profiles: readonly NamedProfile[],
  o: Omit<ProjectOptions, 'run' | 'manifest'> & { manifestFor?: (profile: ProfileReport) => ProjectOptions['manifest'] },
): { variants: VariantProjection[]; projections: Map<string, ProjectionReport> } {
  const projections = new Map<string, ProjectionReport>();
  const projectionOf = (p: NamedProfile): ProjectionReport => {
    let pr = projections.get(p.file);
    if (!pr) {
      const manifest = o.manifestFor?.(p.profile);
      pr = projectProfile(p.profile, { ...o, ...(manifest ? { manifest } : {}), input: { file: p.file, kind: 'profile' } });
      projections.set(p.file, pr);
    }
    return pr;
  };
  const variants: VariantProjection[] = [];
  for (const r of results) {
    const m = r.metrics;
    if (r.status !== 'ok' || !m || !(m.audioSeconds > 0)) continue;
    const match = profileForVariant(r, profiles);
    if (!match) continue;
    const pr = projectionOf(match.p);
    for (const t of pr.targets) {
      const ratio = new Map(t.roles.map((x) => [x.role, x.ratio]));
      const flags: string[] = [];
      if (!match.exact) flags.push(`ratios from ${match.p.file}, not a profile of this variant's models`);
      let roleSeconds = 0;
      let projectedSeconds = 0;
      for (const role of m.roles) {
        roleSeconds += role.seconds;
        const k = ratio.get(role.role);
        if (k === undefined) flags.push(`role ${role.role} not in the profile: kept as measured`);
        projectedSeconds += role.seconds * (k ?? 1);
      }
      const hostSeconds = Math.max(0, m.wallSeconds - roleSeconds);
      variants.push({
        id: r.id,
        name: r.name,
        target: t.target.id,
        measuredRtf: m.rtf,
        projected: true,
        rtf: (projectedSeconds + hostSeconds) / m.audioSeconds,
        errorBand: t.errorBand,
        ratiosFrom: match.p.file,
        flags,
      });
    }
  }
  return { variants, projections };
}

/** The results with `metrics.projections` filled from `variants` (other fields untouched). */
export function annotateResults(results: readonly VariantResult[], variants: readonly VariantProjection[]): VariantResult[] {
  return results.map((r) => {
    const mine = variants.filter((v) => v.id === r.id);
    if (!mine.length || !r.metrics) return r;
    const projections: ProjectedRtf[] = mine.map((v) => ({ projected: true, target: v.target, rtf: v.rtf, errorBand: v.errorBand.endToEnd, errorLabel: v.errorBand.label }));
    return { ...r, metrics: { ...r.metrics, projections } };
  });
}
