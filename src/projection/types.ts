/**
 * Typed data of a projection (projection.json): a profile (or a run, or sweep results) measured on one GPU,
 * carried over to another GPU by the roofline model of `project-node.ts`. Every projected number sits in an
 * object with `projected: true` and the error band the validation gave (or 'unvalidated').
 * Times are in milliseconds, sizes in bytes, rates per second.
 */
import type { DevicePeaks } from '../core/devices.js';

export const PROJECTION_SCHEMA_VERSION = 1;

/** How far projections have been off, from src/projection/validation.json. */
export interface ErrorBand {
  status: 'validated' | 'unvalidated';
  /** Largest |relative error| of the end-to-end (RTF) projection over the validations; null when unvalidated. */
  endToEnd: number | null;
  /** Largest |relative error| of a role's per-call time over the validations; null when unvalidated. */
  perRole: number | null;
  /** Which validations the band comes from (GPU pairs, dates), or why there are none. */
  basis: string;
  /** One short label for tables: '±18% (validated h100-sxm→h200)' or 'unvalidated'. */
  label: string;
}

/** Per-kernel launch overheads (ms) and where each came from. */
export interface LaunchOverheads {
  /** Host-side cost per kernel in normal (asynchronous) execution: ORT dispatch + launch. */
  asyncMs: number;
  /** Per-kernel cost included in a 'sync-launch' profile's node times (CUDA_LAUNCH_BLOCKING=1). */
  syncLaunchMs: number;
  source: 'measured' | 'default';
  /** The device-peaks file it was measured in, when measured. */
  file?: string;
}

/** A GPU's figures as the projection uses them. */
export interface DeviceSide {
  id: string;
  name: string;
  peaks: Omit<DevicePeaks, 'match'>;
  /** Where the throughput/bandwidth figures came from. */
  peaksSource: 'datasheet' | 'measured (device-peaks)';
  /** Host link bandwidth per direction (bytes/s), for Memcpy nodes and input copies. */
  pcieBytesPerS: number;
  pcieSource: string;
  launch: LaunchOverheads;
}

/** What bounds a node on a device. */
export type NodeBound = 'compute' | 'memory' | 'launch' | 'pcie' | 'cpu' | 'unknown';

/** One node of a role, projected. Times are per call of the role (all executions of the node in one run). */
export interface NodeProjection {
  name: string;
  opType: string;
  provider: string;
  /** Compute roof class used on both sides ('FP16 tensor', 'TF32 tensor', 'INT8 tensor', 'FP32'). */
  precision: string;
  kernels: number;
  flops: number;
  bytes: number;
  /** Measured time on the source (ms per call). */
  sourceMs: number;
  /** sourceMs minus the launch overhead the source method included: the node's work on the source. */
  sourceWorkMs: number;
  /** max(flops / peak, bytes / bandwidth) on the source. */
  sourceIdealMs: number;
  /** sourceIdealMs / sourceWorkMs: the achieved fraction of the bounding roof; null when not defined. */
  efficiency: number | null;
  sourceBound: NodeBound;
  targetBound: NodeBound;
  /** Launch term on the target: kernels × asyncMs. */
  launchMs: number;
  /** Work term on the target: ideal time on the target / efficiency. */
  workMs: number;
  /** launchMs + workMs. */
  projectedMs: number;
  flags: string[];
}

export interface RoleProjection {
  role: string;
  /** 'tts' (XTTS roles), 'ditto' (Ditto roles) or 'other'. */
  stage: string;
  /** Measured end-to-end time per call on the source (unprofiled run()). */
  sourceCallMs: number;
  /** Per-call source time the node model explains: Σ (work + kernels × async launch). */
  sourceModelMs: number;
  /** sourceCallMs − sourceModelMs (≥ 0): host work, input/output copies; kept on the target. */
  residualMs: number;
  /** The part of the residual taken as input copies (scaled by the PCIe ratio). */
  inputCopyMs: number;
  projected: true;
  /** Projected end-to-end time per call on the target. */
  callMs: number;
  /** callMs / sourceCallMs. */
  ratio: number;
  /** Device memory of the role's session (arena peak), bytes; how it was found. */
  memoryBytes: number | null;
  memorySource: string;
  nodes: NodeProjection[];
  /**
   * Only when the profile lists some of the role's nodes (a trimmed profile): the unlisted ones, projected
   * (unlisted-nodes.ts) and counted in sourceModelMs and callMs. Absent for a profile that lists every node.
   */
  unlisted?: UnlistedProjection;
  /** Counts of flagged nodes (cpu-ep, memcpy, no-cost, efficiency>1, launch-bound; unlisted in a trimmed profile). */
  flagCounts: Record<string, number>;
  warnings: string[];
}

/**
 * The nodes a trimmed profile does not list, projected: 'op-types' takes each op type's remainder (the op-type
 * row, which covers every node, minus the listed nodes of that type) as one aggregate node through the roofline
 * model; 'listed-ratio' (no op-type table covering the role) scales the remainder of the role's measured node
 * time by the listed device nodes' work ratio; 'unknown' (no total to subtract from) leaves it in the residual.
 */
export interface UnlistedProjection {
  /** Nodes listed in the profile, and nodes of the role. */
  listed: number;
  of: number;
  method: 'op-types' | 'listed-ratio' | 'unknown';
  /** Their measured time on the source (ms per call): the role's total minus the listed nodes'. */
  sourceMs: number;
  /**
   * Launches assumed for them (their kernel counts are not in the profile): per op type, the listed nodes of that
   * type's mean per node (one without a listed node of the type); one per unlisted node for 'listed-ratio'.
   */
  kernels: number;
  /** Σ over the unlisted device nodes: work on the source, work on the target, launch term on the target. */
  sourceWorkMs: number;
  workMs: number;
  launchMs: number;
  /** Σ projected time of the unlisted nodes (CPU-EP ones kept as measured). */
  projectedMs: number;
  /** workMs / sourceWorkMs; null without device work. */
  ratio: number | null;
  /** The listed device nodes' Σ work ratio, for comparison (what a plain scale-up would have used). */
  listedRatio: number | null;
  /** 'op-types': one aggregate node per op type with unlisted nodes; 'listed-ratio': one node for all. */
  nodes: NodeProjection[];
  /** The line also put in the role's warnings. */
  note: string;
}

/** How often a role runs per second of audio, and from where that came. */
export interface RoleRate {
  role: string;
  callsPerAudioSecond: number;
  /** 'run.json', 'manifest <rate>' or 'default <rate>'. */
  source: string;
}

export interface StageRtf {
  stage: string;
  /** Seconds per second of audio on the source (from the same call model) and on the target. */
  sourceRtf: number;
  projected: true;
  rtf: number;
}

/** End-to-end RTF: Σ over roles of calls per audio second × time per call (sequential stages). */
export interface RtfProjection {
  projected: true;
  /** Audio seconds the per-utterance roles are spread over. */
  audioSeconds: number;
  rates: RoleRate[];
  stages: StageRtf[];
  /** Same call model with the source's measured per-call times. */
  sourceRtf: number;
  /** The measured RTF of the run, when the input was a run.json (includes host work between roles). */
  measuredSourceRtf: number | null;
  rtf: number;
  errorBand: ErrorBand;
  /** How the RTF was put together. */
  model: string;
}

export interface MemoryFit {
  projected: true;
  /** Σ role session peaks + CUDA context: what one pipeline worker needs. */
  perWorkerBytes: number;
  contextBytes: number;
  targetMemoryBytes: number;
  /** Memory kept free (allocator slack, display, other processes). */
  reserveBytes: number;
  fits: boolean;
  /** floor((target − reserve) / perWorker). */
  workersByMemory: number;
  /** Streams the GPU can keep in real time: min(workersByMemory, floor(1 / RTF)) (compute shared). */
  realtimeStreams: number;
  note: string;
}

export interface TargetProjection {
  target: DeviceSide;
  projected: true;
  errorBand: ErrorBand;
  roles: RoleProjection[];
  rtf: RtfProjection;
  memory: MemoryFit;
  warnings: string[];
}

export interface ProjectionReport {
  schemaVersion: typeof PROJECTION_SCHEMA_VERSION;
  kind: 'workbench.projection';
  createdAt: string;
  projected: true;
  /** The input file and its kind. */
  input: { file: string; kind: 'profile' | 'run' | 'results' };
  source: DeviceSide;
  /** How source node times were measured (profile method). */
  sourceMethod: string;
  targets: TargetProjection[];
  /** The model, in words, and its known blind spots. */
  method: string[];
  /** For results.jsonl input: per variant and target. */
  variants?: VariantProjection[];
}

/** A sweep variant's projected RTF (results.jsonl input). */
export interface VariantProjection {
  id: string;
  name: string;
  target: string;
  measuredRtf: number;
  projected: true;
  rtf: number;
  errorBand: ErrorBand;
  /** Which profile gave the per-role ratios. */
  ratiosFrom: string;
  flags: string[];
  /** Per role: its measured seconds split into GPU and host parts and projected (absent in older projections). */
  roles?: VariantRoleProjection[];
  /** Seconds of the run outside role calls (host work between roles), kept as measured. */
  outsideRolesSeconds?: number;
  /** How the projected RTF was put together. */
  model?: string;
}

/**
 * One role of a sweep variant, projected: `gpu-host-split` scales only the GPU part (calls × the profile's
 * GPU time per call, capped at the measured seconds) and keeps the host part; `per-call-ratio` (fallback, the
 * profile has no GPU time for the role) scales the whole measured time by the per-call ratio; `not-in-profile`
 * keeps it as measured.
 */
export interface VariantRoleProjection {
  role: string;
  calls: number;
  measuredSeconds: number;
  method: 'gpu-host-split' | 'per-call-ratio' | 'not-in-profile';
  /** GPU time per call on the source from the profile (ms); null without one. */
  gpuMsPerCall: number | null;
  /** Where gpuMsPerCall came from ('CUPTI GPU busy per run', ...), or why there is none. */
  gpuSource: string;
  /** GPU part of the measured seconds: min(calls × gpuMsPerCall, measured); null unless split. */
  gpuSeconds: number | null;
  /** measuredSeconds − gpuSeconds, kept as measured; null unless split. */
  hostSeconds: number | null;
  /** Factor applied to the GPU part (split) or to the whole measured time (per-call-ratio); 1 when not in the profile. */
  ratio: number;
  projected: true;
  /** Projected seconds of the role on the target. */
  seconds: number;
}
