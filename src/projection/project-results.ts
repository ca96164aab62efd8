/**
 * Sweep results (results.jsonl) projected to other GPUs. A result carries each role's measured seconds and
 * calls but no per-node data, so the per-role data comes from a profile of the same models (the variant's own
 * profile when one matches its manifest, else the first one, flagged).
 *
 * A role's measured seconds in the pipeline include host work that does not move with the GPU (cuDNN
 * re-tuning per new input length in HiFi-GAN, the KV-cache copies through host tensors of every GPT step,
 * tensor creation), so only its GPU part is scaled (gpu-host-split.ts):
 *
 *   GPU part  = min(calls × the profile's GPU time per call (CUPTI GPU busy per run), measured seconds)
 *   projected = (measured − GPU part) + GPU part × projected/measured GPU time per call
 *
 * The host part and the time outside role calls stay as measured: this assumes the same host CPU and software
 * on the target, and that the profile's inputs stand for the run's calls. A role whose profile has no GPU time
 * falls back to the whole measured time × its per-call ratio (flagged); a role not in the profile is kept.
 * Every number is a projection (`projected: true`, with the error band of the per-call validation).
 */
import { resolve } from 'node:path';
import type { ProfileReport } from '../profiler/profile-report.js';
import type { ProjectedRtf, VariantResult, RoleMetric } from '../sweep/types.js';
import { projectRoleSeconds } from './gpu-host-split.js';
import { projectProfile, type ProjectOptions } from './project-profile.js';
import type { ProjectionReport, VariantProjection, VariantRoleProjection } from './types.js';

/** How a variant's projected RTF is put together (VariantProjection.model). */
export const RESULTS_MODEL =
  "Σ over roles of (host part as measured + GPU part × projected/measured GPU time per call) + the run's time outside role calls as measured, over its audio seconds; GPU part = calls × the profile's GPU time per call (CUPTI GPU busy), capped at the role's measured seconds; assumes the same host CPU and software on the target";

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
  const base = results.find((r) => r.baseline && r.status === 'ok');
  for (const r of results) {
    const m = r.metrics;
    if (r.status !== 'ok' || !m || !(m.audioSeconds > 0)) continue;
    const match = profileForVariant(r, profiles);
    if (!match) continue;
    const pr = projectionOf(match.p);
    const profiled = new Map(match.p.profile.roles.map((x) => [x.role, x]));
    for (const t of pr.targets) {
      const projected = new Map(t.roles.map((x) => [x.role, x]));
      const flags: string[] = [];
      if (!match.exact) flags.push(`ratios and GPU times from ${match.p.file}, not a profile of this variant's models`);
      const roles: VariantRoleProjection[] = m.roles.map((measured) => {
        const role = withLoopSteps(measured, r, base, flags);
        const x = projectRoleSeconds(role, projected.get(role.role), profiled.get(role.role), { source: pr.source, target: t.target });
        flags.push(...x.flags);
        return x.row;
      });
      const roleSeconds = roles.reduce((s, x) => s + x.measuredSeconds, 0);
      const projectedSeconds = roles.reduce((s, x) => s + x.seconds, 0);
      const outsideRolesSeconds = Math.max(0, m.wallSeconds - roleSeconds);
      variants.push({
        id: r.id,
        name: r.name,
        target: t.target.id,
        measuredRtf: m.rtf,
        projected: true,
        rtf: (projectedSeconds + outsideRolesSeconds) / m.audioSeconds,
        errorBand: t.errorBand,
        ratiosFrom: match.p.file,
        flags,
        roles,
        outsideRolesSeconds,
        model: RESULTS_MODEL,
      });
    }
  }
  return { variants, projections };
}

/**
 * A decode-loop variant's gpt_decode runs a chunk of one-token steps per call. Runs record the steps
 * (`RoleMetric.steps`); results written before they did get the baseline's one-token calls of the same
 * sweep (same text and seed: the same number of tokens), flagged.
 */
function withLoopSteps(m: RoleMetric, r: VariantResult, base: VariantResult | undefined, flags: string[]): RoleMetric {
  if (m.steps !== undefined || m.role !== 'gpt_decode' || !r.passes.gpt_decode?.some((p) => p.pass === 'decode-loop')) return m;
  const steps = base?.metrics?.roles.find((x) => x.role === 'gpt_decode')?.calls;
  if (steps === undefined) {
    flags.push('gpt_decode: a decode loop without recorded steps and no baseline to take them from: GPU part counted per call (too low)');
    return m;
  }
  flags.push(`gpt_decode: decode-loop steps not recorded; ${steps} taken from the baseline's one-token calls`);
  return { ...m, steps };
}

/** The results with `metrics.projections` filled from `variants` (other fields untouched). */
export function annotateResults(results: readonly VariantResult[], variants: readonly VariantProjection[]): VariantResult[] {
  return results.map((r) => {
    const mine = variants.filter((v) => v.id === r.id);
    if (!mine.length || !r.metrics) return r;
    const projections: ProjectedRtf[] = mine.map((v) => ({
      projected: true,
      target: v.target,
      rtf: v.rtf,
      errorBand: v.errorBand.endToEnd,
      errorLabel: v.errorBand.label,
    }));
    return { ...r, metrics: { ...r.metrics, projections } };
  });
}
