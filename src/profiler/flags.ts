/**
 * What silently costs time: nodes that fell back to the CPU while the session asked for CUDA, Memcpy nodes ORT
 * inserts between providers, Cast nodes, and layout transposes (NCHW ↔ NHWC).
 */
import type { TraceShape } from './trace.js';

export type NodeFlag = 'cpu-fallback' | 'memcpy' | 'cast' | 'layout-transpose';
export const NODE_FLAGS: readonly NodeFlag[] = ['cpu-fallback', 'memcpy', 'cast', 'layout-transpose'];

const LAYOUT_PERMS = ['0,2,3,1', '0,3,1,2', '0,2,3,4,1', '0,4,1,2,3', '0,2,1'];

/** The permutations that map `input` dims onto `output` dims (at most `limit` of them). */
export function permutationsMatching(input: readonly number[], output: readonly number[], limit = 8): number[][] {
  if (input.length !== output.length) return [];
  const out: number[][] = [];
  const used = new Array<boolean>(input.length).fill(false);
  const cur: number[] = [];
  const rec = (i: number): void => {
    if (out.length >= limit) return;
    if (i === output.length) {
      out.push([...cur]);
      return;
    }
    for (let j = 0; j < input.length; j++) {
      if (used[j] || input[j] !== output[i]) continue;
      used[j] = true;
      cur.push(j);
      rec(i + 1);
      cur.pop();
      used[j] = false;
    }
  };
  rec(0);
  return out;
}

/**
 * Whether a Transpose is a layout change: 4-D/5-D channel-first ↔ channel-last. `perm` from the graph when the
 * node was matched; otherwise inferred from the trace shapes when only one permutation fits (3-D [0,2,1] counts
 * only with a known perm, since attention uses it too).
 */
export function isLayoutTranspose(perm: readonly number[] | undefined, input: TraceShape | undefined, output: TraceShape | undefined): boolean {
  if (perm) return perm.length >= 4 && LAYOUT_PERMS.includes(perm.join(','));
  if (!input || !output) return false;
  const cands = permutationsMatching(input.dims, output.dims);
  return cands.length === 1 && (cands[0] as number[]).length >= 4 && LAYOUT_PERMS.includes((cands[0] as number[]).join(','));
}

export interface FlagInput {
  opType: string;
  provider: string;
  inputShapes: (TraceShape | undefined)[];
  outputShapes: (TraceShape | undefined)[];
  /** Transpose perm from the model graph, when known. */
  perm?: readonly number[];
}

/** Flags of one node, given the execution provider the session asked for. */
export function flagsOf(n: FlagInput, requestedEp: 'cpu' | 'cuda'): NodeFlag[] {
  const f: NodeFlag[] = [];
  if (requestedEp === 'cuda' && n.provider === 'CPUExecutionProvider' && !/^Memcpy/.test(n.opType)) f.push('cpu-fallback');
  if (/^Memcpy(ToHost|FromHost)$/.test(n.opType) || n.opType === 'Memcpy') f.push('memcpy');
  if (n.opType === 'Cast') f.push('cast');
  if (n.opType === 'Transpose' && isLayoutTranspose(n.perm, n.inputShapes[0], n.outputShapes[0])) f.push('layout-transpose');
  return f;
}

/** Totals of one flag over a profile. */
export interface FlagTotal {
  count: number;
  /** Sum of the flagged nodes' median times. */
  ms: number;
  /** ms over the per-node sum. */
  share: number;
  /** Flagged node names, slowest first. */
  nodes: string[];
}

export type FlagTotals = Record<NodeFlag, FlagTotal>;

/** Totals each flag over rows that carry `flags` and a median time in ms. */
export function totalFlags(rows: readonly { name: string; flags: readonly NodeFlag[]; medianMs: number }[], perNodeSumMs: number): FlagTotals {
  const t = {} as FlagTotals;
  for (const flag of NODE_FLAGS) {
    const hit = rows.filter((r) => r.flags.includes(flag)).sort((a, b) => b.medianMs - a.medianMs);
    const ms = hit.reduce((s, r) => s + r.medianMs, 0);
    t[flag] = { count: hit.length, ms, share: perNodeSumMs > 0 ? ms / perNodeSumMs : 0, nodes: hit.map((r) => r.name) };
  }
  return t;
}
