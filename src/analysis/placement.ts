/**
 * Placement check: which nodes of a session ran outside the execution provider a variant is for. A
 * read-only analysis over a placement list (node name, op type, provider, output types), as ONNX
 * Runtime's profiling trace gives it (`args.provider` of each `_kernel_time` event): the runtime part that
 * reads it is `src/profiler/placement-probe.ts`, so this part is testable with a synthetic placement.
 *
 * Off-EP nodes are sorted into:
 * - `compute`: a float (or mixed) node on the CPU EP — a fallback that copies tensors to the host and back
 *   (the FP16 warp's GridSamples: no CUDA kernel for their input types);
 * - `inserted`: a Cast that ORT's InsertCastTransformer added (`InsertedPrecisionFreeCast_*`,
 *   `InsertedCast_*`) to run such a node in float32 on the CPU;
 * - `shape`: a node whose outputs are all integer or bool (shape arithmetic). ORT places these on the CPU by
 *   design (GetCpuPreferredNodes); they are listed, but do not make a variant off-EP.
 * Memcpy nodes are the EP's own copies and never count.
 */

export type PlacementTarget = 'cpu' | 'cuda';

/** ORT's provider name per target. */
export const TARGET_PROVIDER: Record<PlacementTarget, string> = { cpu: 'CPUExecutionProvider', cuda: 'CUDAExecutionProvider' };

/** Where one node ran. */
export interface NodePlacement {
  name: string;
  opType: string;
  provider: string;
  /** Element type names of its outputs as ORT writes them ('float', 'float16', 'int64', …); empty when unknown. */
  outputTypes: readonly string[];
}

export type OffEpKind = 'compute' | 'inserted' | 'shape';

export interface OffEpNode extends NodePlacement {
  kind: OffEpKind;
}

/** What the check found for one model. */
export interface PlacementCheck {
  target: PlacementTarget;
  /** 'clean': no compute or inserted node off the target EP; 'skipped': not checked (see `reason`). */
  status: 'clean' | 'off-ep' | 'skipped';
  reason?: string;
  /** Nodes seen in the placement. */
  nodes: number;
  /** Every node off the target EP (shape nodes included), in placement order. */
  offEp: OffEpNode[];
}

const INSERTED_CAST = /^Inserted(PrecisionFree)?Cast_/;
const NON_FLOAT = new Set(['int64', 'int32', 'int16', 'int8', 'uint64', 'uint32', 'uint16', 'uint8', 'bool', 'string']);

function kindOf(n: NodePlacement): OffEpKind {
  if (n.opType === 'Cast' && INSERTED_CAST.test(n.name)) return 'inserted';
  if (n.outputTypes.length > 0 && n.outputTypes.every((t) => NON_FLOAT.has(t))) return 'shape';
  return 'compute';
}

/**
 * Checks a placement against a target EP. Each node counts once (a node that ran several times, in a loop
 * body, keeps its first placement). With the CPU as target every node is on it: trivially clean.
 */
export function checkPlacement(placement: readonly NodePlacement[], target: PlacementTarget): PlacementCheck {
  const want = TARGET_PROVIDER[target];
  const seen = new Set<string>();
  const offEp: OffEpNode[] = [];
  for (const n of placement) {
    if (seen.has(n.name)) continue;
    seen.add(n.name);
    if (n.provider === want || /^Memcpy/.test(n.opType)) continue;
    offEp.push({ ...n, kind: kindOf(n) });
  }
  const bad = offEp.some((n) => n.kind !== 'shape');
  return { target, status: bad ? 'off-ep' : 'clean', nodes: seen.size, offEp };
}

/** A check that did not run, with why (no CUDA EP on this machine, switched off). */
export function skippedPlacement(target: PlacementTarget, reason: string): PlacementCheck {
  return { target, status: 'skipped', reason, nodes: 0, offEp: [] };
}

/** The off-EP nodes that make a variant off-EP (compute and inserted; shape nodes are by design). */
export function offEpNodes(c: PlacementCheck): OffEpNode[] {
  return c.offEp.filter((n) => n.kind !== 'shape');
}

/** Names, the first `max` of them, then '+N more' (of `total`, when the list was already cut). */
export function listNames(names: readonly string[], max = 6, total = names.length): string {
  const shown = names.slice(0, max).join(', ');
  const shownCount = Math.min(max, names.length);
  return total > shownCount ? `${shown} +${total - shownCount} more` : shown;
}

/**
 * One line for a variant whose nodes fell off the EP, naming them (truncated after `max`):
 * `4 nodes off CUDAExecutionProvider (on CPUExecutionProvider): /GridSample (GridSample), …`.
 * Undefined when the check is clean or skipped.
 */
export function placementWarning(c: PlacementCheck, max = 6): string | undefined {
  const bad = offEpNodes(c);
  if (c.status !== 'off-ep' || !bad.length) return undefined;
  const providers = [...new Set(bad.map((n) => n.provider))].join(', ');
  const names = bad.map((n) => `${n.name} (${n.kind === 'inserted' ? 'ORT-inserted Cast' : n.opType})`);
  return `${bad.length} node${bad.length === 1 ? '' : 's'} off ${TARGET_PROVIDER[c.target]} (on ${providers}): ${listNames(names, max)}`;
}
