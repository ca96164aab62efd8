/**
 * Projection of a profile.json to other GPUs: every node by `projectNode`, each role's per-call time
 * (nodes + the part of the measured call the nodes do not explain), the end-to-end RTF from call rates (or a
 * run's counted calls) and the memory footprint against the target's memory.
 *
 * Trimmed profiles (committed ones keep each role's 40 slowest nodes, `nodesTrimmed: { kept, of }`): the listed
 * nodes are projected one by one as always, and the nodes the profile does not list by `projectUnlisted`
 * (unlisted-nodes.ts): each op type's remainder (op-type row, which covers every node, minus the listed nodes of
 * that type) as one aggregate node on its own roof, with the listed nodes of that type's launches per node on
 * both sides; without an op-type table, the role's measured node time minus the listed nodes' × the listed
 * nodes' work ratio, one launch per node (the listed nodes' ratio alone is biased to the slowest, mostly
 * compute-bound nodes: off by up to 67% for the unlisted ones from H100 to A100, 4.5× to T4). Their
 * source model time and projected time join the listed nodes' in sourceModelMs and callMs, so only the part of
 * the call no node explains stays as measured. The role carries `unlisted`, an `unlisted×N` flag count and a
 * warning ("profile trimmed to 40 of 912 nodes: the other 872 nodes' X ms ..."). Without the remainder, their
 * GPU time would sit in the residual, unscaled: the committed H100 FP32 profile (reports/h100/profile-cupti.json.gz)
 * gave L4 RTF 4.77 that way, 6.13 with the remainder, against 6.13 from the same run's untrimmed profile. A
 * profile that lists every node has no `unlisted` part: its numbers are unchanged.
 */
import { UsageError } from '../errors.js';
import type { Manifest, PipelineConfig } from '../models/manifest.js';
import { REAL_PIPELINE_CONFIG } from '../models/manifest.js';
import type { DevicePeaks } from '../core/devices.js';
import type { ProfileReport, RoleProfile } from '../profiler/profile-report.js';
import type { RunResult } from '../runner/run-result.js';
import { callsPerAudioSecond, DEFAULT_ROLE_RATES, stageOfRole } from './call-rates.js';
import { DEFAULT_AUDIO_SECONDS, DEFAULT_CONTEXT_BYTES, DEFAULT_RESERVE_FRACTION } from './defaults.js';
import { deviceSides, requirePeaks, type PeaksFile } from './device-side.js';
import { errorBandFor, type ValidationEntry } from './error-band.js';
import { memoryFit } from './memory-fit.js';
import { isCpuNode, projectNode, type NodeContext } from './project-node.js';
import { projectUnlisted, roleNodeCount } from './unlisted-nodes.js';
import {
  PROJECTION_SCHEMA_VERSION,
  type DeviceSide,
  type ProjectionReport,
  type RoleProjection,
  type RoleRate,
  type RtfProjection,
  type StageRtf,
  type TargetProjection,
} from './types.js';

export interface ProjectOptions {
  /** Target GPU ids or names (e.g. 'l4', 'a100-80gb'). */
  targets: readonly string[];
  /** Source GPU id, instead of the peaks the profile recorded. */
  from?: string;
  /** device-peaks JSONs: launch overheads (and, for both sides, measured peaks). */
  peaksFiles?: readonly PeaksFile[];
  /** Use measured throughputs when both sides have a device-peaks file (default true). */
  useMeasuredPeaks?: boolean;
  /** The manifest the profile was taken of: call rates, pipeline config, components. */
  manifest?: Manifest;
  /** A run of the same manifest on the source GPU: calls per role and the host time between roles. */
  run?: RunResult;
  /** Utterance length for once-per-utterance roles (default 10 s; a run's own length when given). */
  audioSeconds?: number;
  /** DDIM steps (default the manifest's samplingSteps). */
  steps?: number;
  /** Validations for the error band (default src/projection/validation.json). */
  validations?: readonly ValidationEntry[];
  contextBytes?: number;
  reserveFraction?: number;
  /** The input file and its kind (recorded in the report). */
  input?: ProjectionReport['input'];
  createdAt?: string;
}

const ELEM_BYTES: Record<string, number> = {
  float32: 4,
  float: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  int8: 1,
  bool: 1,
  float64: 8,
  double: 8,
};

function inputBytes(role: RoleProfile): number {
  return role.inputs.reduce((s, i) => s + i.dims.reduce((a, d) => a * d, 1) * (ELEM_BYTES[i.type] ?? 4), 0);
}

/** The source side of a profile: its recorded peaks, or --from. */
export function sourceOf(profile: ProfileReport, from?: string): { id: string; peaks: Omit<DevicePeaks, 'match'> } {
  if (from) {
    const { match: _m, ...peaks } = requirePeaks(from, '--from');
    return { id: peaks.id, peaks };
  }
  const p = profile.device.peaks;
  if (!p)
    throw new UsageError(
      profile.device.kind === 'cpu'
        ? `the profile ran on the CPU (${profile.device.name}): there is no GPU to project from; profile with --ep cuda (or pass --from <id> to treat it as one)`
        : `the profile's GPU '${profile.device.name}' has no peak figures; pass --from <id>`,
    );
  return { id: p.id, peaks: p };
}

/** Projects one role's per-call time. */
export function projectRole(
  role: RoleProfile,
  source: DeviceSide,
  target: DeviceSide,
  tf32: boolean,
  stage: string,
  contextBytes = DEFAULT_CONTEXT_BYTES,
): RoleProjection {
  const ctx: NodeContext = { source, target, tf32, method: role.method.nodeTime };
  const nodes = role.nodes.map((n) => projectNode(n, ctx));
  const warnings: string[] = [];
  // A trimmed profile: the nodes it does not list, projected (undefined when every node is listed).
  const unlisted = projectUnlisted(role, nodes, ctx);
  const modelled = unlisted ? [...nodes, ...unlisted.nodes] : nodes;
  const sourceModelMs = modelled.reduce((s, n) => s + (n.sourceBound === 'cpu' ? n.sourceMs : n.sourceWorkMs + n.kernels * source.launch.asyncMs), 0);
  const nodesMs = modelled.reduce((s, n) => s + n.projectedMs, 0);
  const measured = role.endToEnd.time.median;
  const sourceCallMs = Number.isFinite(measured) && measured > 0 ? measured : sourceModelMs;
  if (sourceCallMs !== measured) warnings.push('no end-to-end time in the profile: the per-call time is the node model alone');
  let residualMs = 0;
  let inputCopyMs = 0;
  let callMs: number;
  const gpuSource = role.method.nodeTime !== 'host';
  if (sourceModelMs <= sourceCallMs) {
    residualMs = sourceCallMs - sourceModelMs;
    inputCopyMs = gpuSource ? Math.min(residualMs, (inputBytes(role) / source.pcieBytesPerS) * 1000) : 0;
    callMs = nodesMs + (residualMs - inputCopyMs) + inputCopyMs * (source.pcieBytesPerS / target.pcieBytesPerS);
  } else {
    callMs = sourceModelMs > 0 ? nodesMs * (sourceCallMs / sourceModelMs) : nodesMs;
    warnings.push(
      `the node model (${sourceModelMs.toFixed(3)} ms) exceeds the measured call (${sourceCallMs.toFixed(3)} ms): node times overlap or the launch overhead is overestimated; the projection is scaled by their ratio`,
    );
  }
  const flagCounts: Record<string, number> = {};
  for (const n of nodes)
    for (const f of n.flags) {
      const k = f.split(' ')[0] ?? f;
      flagCounts[k] = (flagCounts[k] ?? 0) + 1;
    }
  if (unlisted) {
    flagCounts['unlisted'] = unlisted.of - unlisted.listed;
    warnings.push(unlisted.note);
  }
  const cpu = role.nodes.filter((n) => isCpuNode(n)).length;
  if (cpu && gpuSource) warnings.push(`${cpu} node(s) ran on the CPU EP: their time is kept as measured (host CPU, not scaled)`);
  // Device memory of the session.
  const dev = role.memory.device;
  let memoryBytes: number | null = null;
  let memorySource: string;
  if (gpuSource && dev.peakBytes !== null && dev.source === 'trace') {
    memoryBytes = dev.peakBytes;
    memorySource = 'ORT arena peak (trace)';
  } else if (gpuSource && dev.peakBytes !== null && dev.source === 'nvidia-smi') {
    memoryBytes = Math.max(0, dev.peakBytes - contextBytes);
    memorySource = 'nvidia-smi process peak minus the CUDA context';
  } else {
    const act = Math.max(0, ...role.nodes.map((n) => n.activationBytes + n.outputBytes));
    memoryBytes = role.totals.params + act;
    memorySource = 'estimate: weights + the largest node activations (no device measurement)';
  }
  return {
    role: role.role,
    stage,
    sourceCallMs,
    sourceModelMs,
    residualMs,
    inputCopyMs,
    projected: true,
    callMs,
    ratio: sourceCallMs > 0 ? callMs / sourceCallMs : 1,
    memoryBytes,
    memorySource,
    nodes,
    ...(unlisted ? { unlisted } : {}),
    flagCounts,
    warnings,
  };
}

/** Calls per audio second of each role: the run's counts, the manifest's rates, or the reference rates. */
export function roleRates(
  roles: readonly string[],
  o: Pick<ProjectOptions, 'manifest' | 'run' | 'audioSeconds' | 'steps'>,
): { rates: RoleRate[]; audioSeconds: number; warnings: string[] } {
  const config: PipelineConfig = o.manifest?.config ?? REAL_PIPELINE_CONFIG;
  const audioSeconds = o.run?.audio.seconds ?? o.audioSeconds ?? DEFAULT_AUDIO_SECONDS;
  const warnings: string[] = [];
  const rates = roles.map((role): RoleRate => {
    const counted = o.run?.roles[role as keyof RunResult['roles']];
    if (o.run && counted) return { role, callsPerAudioSecond: counted.calls / audioSeconds, source: 'run.json' };
    const spec = o.manifest?.roles[role as keyof Manifest['roles']];
    const rate = spec?.calls ?? DEFAULT_ROLE_RATES[role];
    if (!rate) {
      warnings.push(`role '${role}' has no call rate (not in the manifest or the reference roles): left out of the RTF`);
      return { role, callsPerAudioSecond: 0, source: 'unknown (excluded)' };
    }
    if (o.run) warnings.push(`role '${role}' is not in the run: its rate comes from ${spec ? 'the manifest' : 'the reference rates'}`);
    return { role, callsPerAudioSecond: callsPerAudioSecond(rate, config, audioSeconds, o.steps), source: `${spec ? 'manifest' : 'default'} ${rate}` };
  });
  return { rates, audioSeconds, warnings };
}

/** RTF on source and target from per-call times and rates (sequential stages); with a run, its measured role totals and host time. */
export function aggregateRtf(
  roles: readonly RoleProjection[],
  rates: readonly RoleRate[],
  audioSeconds: number,
  band: RtfProjection['errorBand'],
  run?: RunResult,
): RtfProjection {
  const rateOf = new Map(rates.map((r) => [r.role, r.callsPerAudioSecond]));
  const stages = new Map<string, { src: number; tgt: number }>();
  const add = (stage: string, src: number, tgt: number): void => {
    const s = stages.get(stage) ?? { src: 0, tgt: 0 };
    s.src += src;
    s.tgt += tgt;
    stages.set(stage, s);
  };
  let model: string;
  if (run) {
    let roleMs = 0;
    for (const r of roles) {
      const measuredMs = run.roles[r.role as keyof RunResult['roles']]?.totalMs ?? 0;
      roleMs += measuredMs;
      add(r.stage, measuredMs / 1000 / audioSeconds, (measuredMs * r.ratio) / 1000 / audioSeconds);
    }
    const hostMs = Math.max(0, run.timing.totalMs - roleMs);
    add('host (unscaled)', hostMs / 1000 / audioSeconds, hostMs / 1000 / audioSeconds);
    model =
      "run.json: each role's measured total × its projected/measured per-call ratio from the profile, plus the run's time outside role calls (host work, unscaled), over the run's audio seconds";
  } else {
    for (const r of roles) {
      const rate = rateOf.get(r.role) ?? 0;
      add(r.stage, (rate * r.sourceCallMs) / 1000, (rate * r.callMs) / 1000);
    }
    model = `Σ over roles of calls per audio second × per-call time (sequential stages, no overlap between roles; host work between calls not included); once-per-utterance roles spread over ${audioSeconds} s of audio`;
  }
  const stageList: StageRtf[] = [...stages.entries()].map(([stage, v]) => ({ stage, sourceRtf: v.src, projected: true, rtf: v.tgt }));
  return {
    projected: true,
    audioSeconds,
    rates: [...rates],
    stages: stageList,
    sourceRtf: stageList.reduce((s, x) => s + x.sourceRtf, 0),
    measuredSourceRtf: run ? (run.timing.rtf.endToEnd ?? run.timing.totalMs / 1000 / audioSeconds) : null,
    rtf: stageList.reduce((s, x) => s + x.rtf, 0),
    errorBand: band,
    model,
  };
}

/** The method notes every projection carries. */
export const METHOD_NOTES: readonly string[] = [
  'Per node: t_target = kernels × launch_target + ideal_target / efficiency, ideal = max(FLOPs / compute peak of the precision class, bytes / memory bandwidth), efficiency = ideal_source / (t_source − launch included by the profile method).',
  'Precision class as in the profile roofline: FP32 (TF32 when allowed) vs FP16/BF16 tensor vs INT8 tensor for matrix ops; FP32 (or 2× for FP16) for the rest.',
  'CPU-EP nodes keep their measured time (host CPU, not scaled). Memcpy nodes and input copies scale with the host link (PCIe). Nodes without FLOP/byte counts scale with memory bandwidth.',
  'Per call: Σ projected nodes + the measured call time the nodes do not explain (host work, kept as is). L2 size, clocks under power limits (L4, T4), kernel selection and occupancy on a smaller GPU are not modelled: the validation error band covers them only for the GPU pairs validated.',
];

/** Added to the method notes when the profile lists only some of a role's nodes. */
export const TRIMMED_NOTE =
  "Trimmed profile (a role lists only some of its nodes): the unlisted nodes are projected per op type (the op-type row minus the listed nodes of that type, as one aggregate node on its roof, with the listed nodes of that type's launches per node), or without an op-type table as the role's measured node time minus the listed nodes' × the listed nodes' work ratio (one launch per node); see each role's `unlisted`.";

/** Projects a profile to each target. */
export function projectProfile(profile: ProfileReport, o: ProjectOptions): ProjectionReport {
  if (!o.targets.length) throw new UsageError('project: give at least one --to <gpu>');
  const src = sourceOf(profile, o.from);
  const files = o.peaksFiles ?? [];
  const components = new Map(Object.entries(o.manifest?.roles ?? {}).map(([k, v]) => [k, v?.component]));
  const {
    rates,
    audioSeconds,
    warnings: rateWarnings,
  } = roleRates(
    profile.roles.map((r) => r.role),
    o,
  );
  let sourceSide: DeviceSide | undefined;
  const targets: TargetProjection[] = o.targets.map((t) => {
    const sides = deviceSides(src, t, files, o.useMeasuredPeaks !== false);
    sourceSide ??= sides.source;
    const band = errorBandFor(sides.target.id, o.validations);
    const roles = profile.roles.map((r) =>
      projectRole(r, sides.source, sides.target, profile.device.tf32, stageOfRole(r.role, components.get(r.role)), o.contextBytes),
    );
    const rtf = aggregateRtf(roles, rates, audioSeconds, band, o.run);
    const warnings = [...rateWarnings];
    if (profile.requestedEp === 'cpu') warnings.push('the profile ran on the CPU EP: every node keeps its CPU time; this is not a GPU projection');
    if (sides.source.launch.source === 'default' || sides.target.launch.source === 'default')
      warnings.push('launch overheads are documented defaults (src/projection/defaults.ts) for a side without a device-peaks measurement');
    return {
      target: sides.target,
      projected: true,
      errorBand: band,
      roles,
      rtf,
      memory: memoryFit(roles, sides.target.peaks.memoryBytes, rtf.rtf, o.contextBytes ?? DEFAULT_CONTEXT_BYTES, o.reserveFraction ?? DEFAULT_RESERVE_FRACTION),
      warnings,
    };
  });
  const methods = [...new Set(profile.roles.map((r) => r.method.nodeTime))];
  return {
    schemaVersion: PROJECTION_SCHEMA_VERSION,
    kind: 'workbench.projection',
    createdAt: o.createdAt ?? new Date().toISOString(),
    projected: true,
    input: o.input ?? { file: profile.target, kind: 'profile' },
    source: sourceSide as DeviceSide,
    sourceMethod: methods.join(', '),
    targets,
    method: profile.roles.some((r) => roleNodeCount(r) > r.nodes.length) ? [...METHOD_NOTES, TRIMMED_NOTE] : [...METHOD_NOTES],
  };
}
