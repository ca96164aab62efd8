/**
 * A sweep role's measured seconds split into a GPU part and a host part, and projected (used by
 * project-results.ts). A role's time inside the pipeline is not all GPU work: HiFi-GAN re-tunes cuDNN for
 * every new input length, every GPT decode step copies its KV cache host↔device through host tensors
 * (onnxruntime-node has no IO binding), sessions allocate, Node builds tensors. None of that moves with the GPU.
 *
 *   GPU part   G = min(calls × GPU ms per call from the profile, measured seconds)
 *              (steps instead of calls for a role that runs several model steps per call: a decode loop's
 *              call generates a chunk of tokens, each one step of the profiled one-token graph's GPU work)
 *   host part  H = measured − G                        (kept as measured: same host CPU and software assumed)
 *   projected    = H + G × (GPU ms per call on the target / GPU ms per call on the source)
 *
 * GPU ms per call on the source: the CUPTI GPU busy time per run (union of the run's kernels, copies and
 * memsets) when the profile has it; else the Σ node GPU work of the device nodes. On the target: the
 * kernel part × Σ projected node work / Σ source node work of the device nodes (the roofline model of
 * project-node.ts, without its launch term, which is host time), plus the run's own input/output copies ×
 * the host-link ratio. The device nodes are the listed ones plus, for a trimmed profile, the unlisted ones as
 * `projectUnlisted` projected them (RoleProjection.unlisted; unlisted-nodes.ts), so the ratio is not only that
 * of the slowest nodes. A profile without GPU time for the role (CPU-EP profile, no device node with work)
 * falls back to the whole measured time × the role's per-call ratio, flagged.
 */
import type { RoleProfile } from '../profiler/profile-report.js';
import type { RoleMetric } from '../sweep/types.js';
import type { DeviceSide, RoleProjection, VariantRoleProjection } from './types.js';

/** GPU time of one call of a role on the source and (projected) on the target. */
export interface GpuPerCall {
  sourceMs: number;
  targetMs: number;
  /** Where sourceMs came from. */
  source: string;
}

type Link = Pick<DeviceSide, 'pcieBytesPerS'>;

const sum = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0);

/** The GPU time per call of a profiled role on source and target, or why the profile has none. */
export function gpuPerCall(role: RoleProfile, proj: RoleProjection, source: Link, target: Link): GpuPerCall | { missing: string } {
  if (role.method.nodeTime === 'host') return { missing: 'the profile ran on the CPU EP (no GPU time)' };
  const dev = (proj.unlisted ? [...proj.nodes, ...proj.unlisted.nodes] : proj.nodes).filter((n) => n.sourceBound !== 'cpu');
  const srcWork = sum(dev.map((n) => n.sourceWorkMs));
  const tgtWork = sum(dev.map((n) => n.workMs));
  const cu = role.coverage.cupti;
  if (cu && Number.isFinite(cu.gpuBusyMs) && cu.gpuBusyMs > 0) {
    const busy = cu.gpuBusyMs;
    const copies = Math.min(busy, Math.max(0, Number.isFinite(cu.runLevelGpuMs) ? cu.runLevelGpuMs : 0));
    const kernels = busy - copies;
    if (kernels > 0 && !(srcWork > 0)) return { missing: 'no profiled device node with measurable GPU work to scale by' };
    const k = kernels > 0 ? tgtWork / srcWork : 1;
    return {
      sourceMs: busy,
      targetMs: kernels * k + copies * (source.pcieBytesPerS / target.pcieBytesPerS),
      source: 'CUPTI GPU busy per run',
    };
  }
  const which = proj.unlisted
    ? `${proj.nodes.filter((n) => n.sourceBound !== 'cpu').length} listed device nodes and the ${proj.unlisted.of - proj.unlisted.listed} unlisted ones (${proj.unlisted.method})`
    : `${dev.length} listed device nodes`;
  if (srcWork > 0) return { sourceMs: srcWork, targetMs: tgtWork, source: `Σ GPU work of the ${which} (${role.method.nodeTime})` };
  return { missing: `no GPU time in the profile (${role.method.nodeTime}, no device node with work)` };
}

/** One role's measured seconds projected: split when the profile has its GPU time, else the fallback. */
export function projectRoleSeconds(
  m: RoleMetric,
  proj: RoleProjection | undefined,
  role: RoleProfile | undefined,
  sides: { source: Link; target: Link },
): { row: VariantRoleProjection; flags: string[] } {
  const base = { role: m.role, calls: m.calls, measuredSeconds: m.seconds, projected: true as const };
  if (!proj || !role) {
    const row: VariantRoleProjection = {
      ...base,
      method: 'not-in-profile',
      gpuMsPerCall: null,
      gpuSource: 'role not in the profile',
      gpuSeconds: null,
      hostSeconds: null,
      ratio: 1,
      seconds: m.seconds,
    };
    return { row, flags: [`role ${m.role} not in the profile: kept as measured`] };
  }
  const g = gpuPerCall(role, proj, sides.source, sides.target);
  if ('missing' in g) {
    const row: VariantRoleProjection = {
      ...base,
      method: 'per-call-ratio',
      gpuMsPerCall: null,
      gpuSource: g.missing,
      gpuSeconds: null,
      hostSeconds: null,
      ratio: proj.ratio,
      seconds: m.seconds * proj.ratio,
    };
    return { row, flags: [`role ${m.role}: ${g.missing}: its whole measured time × the per-call ratio ${proj.ratio.toFixed(2)} (host work scaled too)`] };
  }
  const flags: string[] = [];
  const wanted = ((m.steps ?? m.calls) * g.sourceMs) / 1000;
  const gpuSeconds = Math.min(m.seconds, wanted);
  if (wanted > m.seconds * 1.001)
    flags.push(
      `role ${m.role}: calls × profiled GPU time (${wanted.toFixed(3)} s) exceeds its measured ${m.seconds.toFixed(3)} s: GPU part capped at the measured time`,
    );
  const ratio = g.targetMs / g.sourceMs;
  const hostSeconds = m.seconds - gpuSeconds;
  const row: VariantRoleProjection = {
    ...base,
    method: 'gpu-host-split',
    gpuMsPerCall: g.sourceMs,
    gpuSource: g.source,
    gpuSeconds,
    hostSeconds,
    ratio,
    seconds: hostSeconds + gpuSeconds * ratio,
  };
  return { row, flags };
}
