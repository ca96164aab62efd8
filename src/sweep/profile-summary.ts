/**
 * A variant's profile for the sweep report: the ORT traces a profiled run wrote (one per role,
 * `<runDir>/profile/<role>.json`, RunResult.profile) summed per role and op type, and the nodes that took
 * longest. Calls of the profile pass's warm-up (its first `model_run`s) are left out. Times are the trace's
 * node durations (host-measured around each kernel), summed over the counted calls.
 */
import { join } from 'node:path';
import type { Role } from '../models/manifest.js';
import { readTrace } from '../profiler/trace.js';
import type { RunProfile } from '../runner/run-result.js';
import type { OpTypeTime, ProfileSummary, TopOp } from './types.js';

/** Nodes listed in `topOps`. */
export const PROFILE_TOP_OPS = 20;

export function summarizeRunProfile(runDir: string, profile: RunProfile): ProfileSummary {
  const opTypes: OpTypeTime[] = [];
  const nodes: TopOp[] = [];
  for (const [role, rel] of Object.entries(profile.traces)) {
    if (!rel) continue;
    const trace = readTrace(join(runDir, rel));
    const skip = profile.warmupCalls[role as Role] ?? 0;
    const counted = trace.nodes.filter((e) => (skip === 0 ? true : e.run >= skip));
    const runs = Math.max(1, trace.runs.length - skip);
    const byOp = new Map<string, { us: number; count: number }>();
    const byNode = new Map<string, { opType: string; us: number }>();
    for (const e of counted) {
      const op = byOp.get(e.opType) ?? { us: 0, count: 0 };
      op.us += e.dur;
      op.count++;
      byOp.set(e.opType, op);
      const n = byNode.get(e.name) ?? { opType: e.opType, us: 0 };
      n.us += e.dur;
      byNode.set(e.name, n);
    }
    for (const [opType, o] of byOp) opTypes.push({ role, opType, seconds: o.us / 1e6, count: o.count });
    // A top node's seconds are per call of its role, as the report's roofline expects.
    for (const [node, n] of byNode) nodes.push({ role, node, opType: n.opType, seconds: n.us / 1e6 / runs });
  }
  opTypes.sort((a, b) => b.seconds - a.seconds);
  nodes.sort((a, b) => b.seconds - a.seconds);
  return { opTypes, topOps: nodes.slice(0, PROFILE_TOP_OPS) };
}
