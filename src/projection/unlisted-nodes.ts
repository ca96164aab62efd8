/**
 * The nodes a trimmed profile does not list. Committed profiles keep only each role's slowest nodes
 * (`nodesTrimmed: { kept: 40, of: 912 }`); summing projected times over the listed nodes alone would leave the
 * other nodes' GPU time in the residual, kept as measured, and under-project every slower target.
 *
 * A role is trimmed when the profile counts more nodes than it lists: `nodesTrimmed.of`, or the node counts of
 * its op-type table (which, like `coverage` and `totals`, is computed before trimming and covers every node).
 * A profile that lists every node gets no `unlisted` part, and its projection is unchanged.
 *
 * 'op-types' (the op-type table covers the role): for each op type, its row minus the listed nodes of that
 * type (time, FLOPs, bytes, node count) is projected as one aggregate node by `projectNode`, so the small
 * elementwise and data-movement nodes that trimming drops are scaled by their own roof (mostly memory
 * bandwidth), not by the ratio of the slowest, mostly compute-bound, listed nodes. Checked against the same
 * run's untrimmed H100 FP32 profile (the GPU job's profile-cupti-full.json.gz, not committed), the unlisted
 * nodes' work ratio projected one by one vs the listed nodes' ratio vs the op-type remainder: the listed ratio
 * was off by up to −19% (L4), +67% (A100-80GB), +31% (H200), 4.5× (T4); the op-type remainder by 7%, 11%,
 * 3%, 27% (HiFi-GAN on the T4: its 42 unlisted Convs, compute- and memory-bound ones, put together sit on one
 * roof), and per-call role times came within 1.6% of the untrimmed projection (7.3% on the T4), the RTF within
 * 0.4%.
 * The element type of an aggregate node is that of the listed nodes of its op type (else the role's most
 * common one); an op type with device and CPU-EP nodes is taken as on the device (flagged).
 *
 * 'listed-ratio' (no op-type table covering the role): the role's measured node time (CUPTI Σ node GPU time,
 * else Σ node times) minus the listed nodes' is scaled by the listed device nodes' Σ work ratio
 * (Σ projected work / Σ source work).
 *
 * Launches: the profile does not keep the unlisted nodes' kernel counts. 'op-types' gives each unlisted node
 * of a type the listed nodes of that type's mean launches per node (kernels per run, else executions, as
 * `projectNode` counts them), one for a type with no listed node; 'listed-ratio' counts one per unlisted node.
 * The count enters both sides, kernels × async launch in the source model time and on the target, so it moves
 * time between the node model and the residual; it matters where the node model exceeds the measured call
 * (launch-bound roles, scaled by their ratio). On the H100 FP32 profile (40 of 46–912 nodes listed) against
 * the same run untrimmed: RTF to L4 6.129 vs 6.133, per role within 1.6% (one launch per node: 6.173, 10%).
 */
import type { NodeRow, RoleProfile } from '../profiler/profile-report.js';
import { projectNode, type NodeContext } from './project-node.js';
import type { NodeProjection, UnlistedProjection } from './types.js';

const DEVICE_PROVIDER = /CUDA|Tensorrt|GPU/i;
const sum = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0);
const perRun = (n: NodeRow): number => n.executionsPerRun;

/** Nodes of the role the profile counted, listed or not: the largest of the listed rows, nodesTrimmed.of and the op-type table's node count. */
export function roleNodeCount(role: RoleProfile): number {
  return Math.max(role.nodes.length, role.nodesTrimmed?.of ?? 0, sum(role.opTypes.map((o) => o.nodes)));
}

function commonElem(nodes: readonly NodeRow[]): string {
  const counts = new Map<string, number>();
  for (const n of nodes) {
    const t = n.inputShapes[0]?.type ?? n.outputShapes[0]?.type;
    if (t) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'float';
}

function aggregateRow(o: {
  opType: string;
  provider: string;
  elem: string;
  nodes: number;
  kernels: number;
  ms: number;
  flops: number;
  bytes: number;
}): NodeRow {
  const shape = [{ type: o.elem, dims: [] as number[] }];
  return {
    name: `${o.nodes} unlisted ${o.opType} node${o.nodes === 1 ? '' : 's'}`,
    opType: o.opType,
    provider: o.provider,
    inputShapes: shape,
    outputShapes: shape,
    activationBytes: 0,
    parameterBytes: 0,
    outputBytes: 0,
    time: { n: 0, median: o.ms, p10: o.ms, p90: o.ms, iqr: 0, mean: o.ms, min: o.ms, max: o.ms },
    share: 0,
    executionsPerRun: 1,
    kernelsPerRun: o.kernels,
    macs: o.flops / 2,
    flops: o.flops,
    bytesRead: o.bytes,
    bytesWritten: 0,
    costSource: 'trace-only',
    fused: false,
    costNote: 'op-type total minus the listed nodes of this type',
    roofline: null,
    flags: [],
  };
}

/** Each op type's unlisted nodes as one aggregate node, projected; undefined when the op-type table does not cover the role. */
function byOpTypes(role: RoleProfile, of: number, ctx: NodeContext): NodeProjection[] | undefined {
  if (sum(role.opTypes.map((o) => o.nodes)) < of) return undefined;
  const elem = commonElem(role.nodes);
  const out: NodeProjection[] = [];
  for (const o of role.opTypes) {
    const members = role.nodes.filter((n) => n.opType === o.opType);
    const nodes = o.nodes - members.length;
    if (nodes <= 0) continue;
    const device = o.providers.find((p) => DEVICE_PROVIDER.test(p));
    const p = projectNode(
      aggregateRow({
        opType: o.opType,
        provider: device ?? o.providers[0] ?? 'unknown',
        elem: members[0]?.inputShapes[0]?.type ?? members[0]?.outputShapes[0]?.type ?? elem,
        nodes,
        // Launches per node as projectNode counts them (kernels per run, else executions), from the listed nodes of the type.
        kernels: members.length ? (nodes * sum(members.map((n) => n.kernelsPerRun ?? Math.max(1, n.executionsPerRun || 1)))) / members.length : nodes,
        ms: Math.max(0, o.time.median - sum(members.map((n) => n.time.median))),
        flops: Math.max(0, o.flops - sum(members.map((n) => n.flops * perRun(n)))),
        bytes: Math.max(0, o.bytes - sum(members.map((n) => (n.bytesRead + n.bytesWritten) * perRun(n)))),
      }),
      ctx,
    );
    p.flags.unshift('unlisted (op-type total − listed nodes)');
    if (device && o.providers.length > 1) p.flags.push(`mixed providers (${o.providers.join(', ')}): taken as on the device`);
    out.push(p);
  }
  return out;
}

/** The remainder of the role's measured node time, scaled by the listed device nodes' work ratio. */
function byListedRatio(
  role: RoleProfile,
  listed: readonly NodeProjection[],
  of: number,
  ctx: NodeContext,
): { node: NodeProjection; total: string } | undefined {
  const host = ctx.method === 'host';
  const cu = role.coverage.cupti;
  let totalMs: number;
  let listedMs: number;
  let total: string;
  if (!host && cu && Number.isFinite(cu.nodeGpuSumMs) && cu.nodeGpuSumMs > 0) {
    totalMs = cu.nodeGpuSumMs;
    listedMs = sum(listed.filter((n) => n.sourceBound !== 'cpu').map((n) => n.sourceMs));
    total = 'CUPTI Σ node GPU time';
  } else if (role.coverage.sumOf !== 'contribution' && Number.isFinite(role.coverage.perNodeSumMs) && role.coverage.perNodeSumMs > 0) {
    totalMs = role.coverage.perNodeSumMs;
    listedMs = sum(listed.map((n) => n.sourceMs));
    total = 'Σ node times';
  } else return undefined;
  const sourceMs = Math.max(0, totalMs - listedMs);
  const count = of - role.nodes.length;
  const base = { name: `${count} unlisted nodes`, opType: '(unlisted)', precision: 'mixed', flops: 0, bytes: 0, sourceMs, sourceIdealMs: 0, efficiency: null };
  if (host) {
    const node: NodeProjection = {
      ...base,
      provider: 'unlisted',
      kernels: 0,
      sourceWorkMs: sourceMs,
      sourceBound: 'cpu',
      targetBound: 'cpu',
      launchMs: 0,
      workMs: sourceMs,
      projectedMs: sourceMs,
      flags: ['unlisted (cpu-ep, not scaled)'],
    };
    return { node, total: `${total} ${totalMs.toFixed(3)} ms` };
  }
  const included = ctx.method === 'sync-launch' ? ctx.source.launch.syncLaunchMs : 0;
  const sourceWorkMs = Math.max(0, sourceMs - count * included);
  const dev = listed.filter((n) => n.sourceBound !== 'cpu');
  const srcWork = sum(dev.map((n) => n.sourceWorkMs));
  const flags = ["unlisted (scaled by the listed nodes' work ratio)"];
  let ratio = srcWork > 0 ? sum(dev.map((n) => n.workMs)) / srcWork : Number.NaN;
  if (!Number.isFinite(ratio)) {
    ratio = ctx.source.peaks.memoryBandwidth / ctx.target.peaks.memoryBandwidth;
    flags.push('no listed device work: scaled by memory bandwidth');
  }
  const launchMs = count * ctx.target.launch.asyncMs;
  const workMs = sourceWorkMs * ratio;
  const node: NodeProjection = {
    ...base,
    provider: 'unlisted',
    kernels: count,
    sourceWorkMs,
    sourceBound: 'unknown',
    targetBound: 'unknown',
    launchMs,
    workMs,
    projectedMs: launchMs + workMs,
    flags,
  };
  return { node, total: `${total} ${totalMs.toFixed(3)} ms minus the listed nodes' ${listedMs.toFixed(3)} ms` };
}

/** The unlisted nodes of a trimmed role, projected; undefined when the profile lists every node. */
export function projectUnlisted(role: RoleProfile, listed: readonly NodeProjection[], ctx: NodeContext): UnlistedProjection | undefined {
  const kept = role.nodes.length;
  const of = roleNodeCount(role);
  if (of <= kept) return undefined;
  const head = `profile trimmed to ${kept} of ${of} nodes`;
  const dev = listed.filter((n) => n.sourceBound !== 'cpu');
  const listedSrc = sum(dev.map((n) => n.sourceWorkMs));
  const listedRatio = listedSrc > 0 ? sum(dev.map((n) => n.workMs)) / listedSrc : null;
  const finish = (method: UnlistedProjection['method'], nodes: NodeProjection[], note: (u: Omit<UnlistedProjection, 'note'>) => string): UnlistedProjection => {
    const d = nodes.filter((n) => n.sourceBound !== 'cpu');
    const sourceWorkMs = sum(d.map((n) => n.sourceWorkMs));
    const workMs = sum(d.map((n) => n.workMs));
    const u = {
      listed: kept,
      of,
      method,
      sourceMs: sum(nodes.map((n) => n.sourceMs)),
      kernels: sum(nodes.map((n) => n.kernels)),
      sourceWorkMs,
      workMs,
      launchMs: sum(nodes.map((n) => n.launchMs)),
      projectedMs: sum(nodes.map((n) => n.projectedMs)),
      ratio: sourceWorkMs > 0 ? workMs / sourceWorkMs : null,
      listedRatio,
      nodes,
    };
    return { ...u, note: note(u) };
  };
  const x = (r: number | null): string => (r === null ? 'n/a' : `×${r.toFixed(2)}`);
  const ops = byOpTypes(role, of, ctx);
  if (ops)
    return finish(
      'op-types',
      ops,
      (u) =>
        `${head}: the other ${of - kept} nodes' ${u.sourceMs.toFixed(3)} ms (op-type totals minus the listed nodes) projected per op type with ${u.kernels.toFixed(0)} launches: ${u.projectedMs.toFixed(3)} ms (work ${x(u.ratio)}; the listed nodes' ratio is ${x(listedRatio)})`,
    );
  const lr = byListedRatio(role, listed, of, ctx);
  if (lr)
    return finish(
      'listed-ratio',
      [lr.node],
      (u) =>
        `${head}: the other ${of - kept} nodes' ${u.sourceMs.toFixed(3)} ms (${lr.total}) scaled by the listed nodes' ratio ${x(ctx.method === 'host' ? 1 : u.ratio)}, one launch each: ${u.projectedMs.toFixed(3)} ms`,
    );
  return finish(
    'unknown',
    [],
    () =>
      `${head}: the profile has no node-time total or op-type table to take the listed nodes from: the other ${of - kept} nodes stay in the residual, kept as measured (projection too low for a slower GPU)`,
  );
}
