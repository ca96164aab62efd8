/**
 * Per-node and per-op-type timing statistics from a parsed trace. `model_run` events delimit runs; the first
 * `warmupRuns` runs (first-run allocation, cuDNN autotuning) are dropped and every statistic is taken over the
 * remaining ones. A node that executes several times in a run (inside Loop/If/Scan) counts the sum per run.
 */
import { UsageError } from '../errors.js';
import { timeStats, type TimeStats } from '../core/stats.js';
import type { ParsedTrace, TraceNodeEvent, TraceShape } from './trace.js';

/**
 * Where a node's time comes from: 'node' = the `_kernel_time` duration (host-measured around the kernel);
 * 'kernel' = the sum of its CUPTI `Kernel` events (GPU time), falling back to the node duration for nodes
 * without kernels (CPU nodes).
 */
export type NodeTimeSource = 'node' | 'kernel';

export interface NodeAggregate {
  /** Stable identity: name, op type and node index. */
  key: string;
  name: string;
  opType: string;
  provider: string;
  nodeIndex?: number;
  /** µs per counted run. */
  perRunUs: number[];
  /** Statistics of `perRunUs` (µs). */
  stats: TimeStats;
  /** Executions per counted run (1 outside control flow). */
  executionsPerRun: number;
  inputShapes: (TraceShape | undefined)[];
  outputShapes: (TraceShape | undefined)[];
  activationBytes?: number;
  parameterBytes?: number;
  outputBytes?: number;
  /** `mem_*` fields of its last counted execution. */
  mem: Record<string, number>;
  /** CUPTI kernels per run. */
  kernelsPerRun: number;
}

export interface OpTypeAggregate {
  opType: string;
  providers: string[];
  nodes: number;
  perRunUs: number[];
  stats: TimeStats;
}

export interface TraceAggregate {
  timeSource: NodeTimeSource;
  warmupRuns: number;
  /** Indices of the runs the statistics are taken over. */
  countedRuns: number[];
  /** `model_run` durations of the counted runs (µs). */
  runStats: TimeStats;
  /** Sum of all node times per counted run (µs). */
  perNodeSum: TimeStats;
  /** Sorted by median time, largest first. */
  nodes: NodeAggregate[];
  opTypes: OpTypeAggregate[];
  /** Whether runs came from `model_run` events or were inferred from repeated node executions. */
  runsFrom: 'model_run' | 'occurrence';
}

export interface AggregateOptions {
  warmupRuns: number;
  timeSource?: NodeTimeSource;
  /** Time of one node execution (µs), overriding `timeSource` (e.g. GPU time from a CUPTI capture, profiler/cupti/). */
  timeOf?: (e: TraceNodeEvent) => number;
}

function eventTime(e: TraceNodeEvent, source: NodeTimeSource): number {
  if (source === 'kernel' && e.kernels.length > 0) {
    let s = 0;
    for (const k of e.kernels) s += k.dur;
    return s;
  }
  return e.dur;
}

/** Identity of a node across runs. */
export function nodeKey(e: Pick<TraceNodeEvent, 'name' | 'opType' | 'nodeIndex'>): string {
  return `${e.name}|${e.opType}|${e.nodeIndex ?? ''}`;
}

/** Which run each node execution belongs to: its model_run, or (no model_run events) its k-th occurrence. */
function runIndex(trace: ParsedTrace): { runOf: (e: TraceNodeEvent) => number; runCount: number; runsFrom: TraceAggregate['runsFrom'] } {
  if (trace.runs.length > 0) return { runOf: (e) => e.run, runCount: trace.runs.length, runsFrom: 'model_run' };
  // No model_run events: the k-th execution of each node belongs to run k.
  const seen = new Map<string, number>();
  const assigned = new Map<TraceNodeEvent, number>();
  for (const e of trace.nodes) {
    const k = nodeKey(e);
    const c = seen.get(k) ?? 0;
    seen.set(k, c + 1);
    assigned.set(e, c);
  }
  return { runOf: (e) => assigned.get(e) ?? -1, runCount: Math.max(0, ...seen.values()), runsFrom: 'occurrence' };
}

/** Per node: time per counted run (slot), executions, kernels, last shapes; and each run's summed node time. */
function nodeAggregates(
  trace: ParsedTrace,
  options: AggregateOptions,
  slotOf: (e: TraceNodeEvent) => number | undefined,
  runs: number,
): { nodes: NodeAggregate[]; runSums: number[] } {
  const source = options.timeSource ?? 'node';
  const byNode = new Map<string, { agg: NodeAggregate; execs: number }>();
  const runSums = new Array<number>(runs).fill(0);
  for (const e of trace.nodes) {
    const i = slotOf(e);
    if (i === undefined) continue;
    const k = nodeKey(e);
    let entry = byNode.get(k);
    if (!entry) {
      const agg: NodeAggregate = {
        key: k,
        name: e.name,
        opType: e.opType,
        provider: e.provider,
        perRunUs: new Array<number>(runs).fill(0),
        stats: timeStats([]),
        executionsPerRun: 0,
        inputShapes: e.inputShapes,
        outputShapes: e.outputShapes,
        mem: e.mem,
        kernelsPerRun: 0,
      };
      if (e.nodeIndex !== undefined) agg.nodeIndex = e.nodeIndex;
      entry = { agg, execs: 0 };
      byNode.set(k, entry);
    }
    const t = options.timeOf ? options.timeOf(e) : eventTime(e, source);
    (entry.agg.perRunUs as number[])[i] = (entry.agg.perRunUs[i] ?? 0) + t;
    runSums[i] = (runSums[i] ?? 0) + t;
    entry.execs++;
    entry.agg.kernelsPerRun += e.kernels.length;
    // Shapes and sizes of the last counted execution.
    entry.agg.inputShapes = e.inputShapes;
    entry.agg.outputShapes = e.outputShapes;
    entry.agg.mem = e.mem;
    if (e.activationBytes !== undefined) entry.agg.activationBytes = e.activationBytes;
    if (e.parameterBytes !== undefined) entry.agg.parameterBytes = e.parameterBytes;
    if (e.outputBytes !== undefined) entry.agg.outputBytes = e.outputBytes;
  }
  const nodes: NodeAggregate[] = [];
  for (const { agg, execs } of byNode.values()) {
    agg.stats = timeStats(agg.perRunUs);
    agg.executionsPerRun = execs / runs;
    agg.kernelsPerRun /= runs;
    nodes.push(agg);
  }
  nodes.sort((a, b) => b.stats.median - a.stats.median || a.name.localeCompare(b.name));
  return { nodes, runSums };
}

/** Per op type: the summed time per counted run of its nodes, their providers and count. */
function opTypeAggregates(nodes: readonly NodeAggregate[], runs: number): OpTypeAggregate[] {
  const byOp = new Map<string, { perRunUs: number[]; providers: Set<string>; nodes: number }>();
  for (const n of nodes) {
    let o = byOp.get(n.opType);
    if (!o) {
      o = { perRunUs: new Array<number>(runs).fill(0), providers: new Set(), nodes: 0 };
      byOp.set(n.opType, o);
    }
    o.nodes++;
    o.providers.add(n.provider);
    n.perRunUs.forEach((t, i) => {
      (o as { perRunUs: number[] }).perRunUs[i] = ((o as { perRunUs: number[] }).perRunUs[i] ?? 0) + t;
    });
  }
  const opTypes: OpTypeAggregate[] = [...byOp.entries()].map(([opType, o]) => ({
    opType,
    providers: [...o.providers].sort(),
    nodes: o.nodes,
    perRunUs: o.perRunUs,
    stats: timeStats(o.perRunUs),
  }));
  opTypes.sort((a, b) => b.stats.median - a.stats.median || a.opType.localeCompare(b.opType));
  return opTypes;
}

/** Aggregates node executions by node and by op type over the counted runs. */
export function aggregateTrace(trace: ParsedTrace, options: AggregateOptions): TraceAggregate {
  const source = options.timeSource ?? 'node';
  const warm = Math.max(0, Math.floor(options.warmupRuns));
  const { runOf, runCount, runsFrom } = runIndex(trace);
  if (runCount <= warm) throw new UsageError(`${trace.file}: the trace has ${runCount} run(s); cannot drop ${warm} warm-up run(s) and keep any`);
  const counted: number[] = [];
  for (let r = warm; r < runCount; r++) counted.push(r);
  const slot = new Map<number, number>(counted.map((r, i) => [r, i]));
  const { nodes, runSums } = nodeAggregates(trace, options, (e) => slot.get(runOf(e)), counted.length);
  const opTypes = opTypeAggregates(nodes, counted.length);
  const runDurs = runsFrom === 'model_run' ? counted.map((r) => trace.runs[r]?.dur ?? Number.NaN) : [];
  return {
    timeSource: source,
    warmupRuns: warm,
    countedRuns: counted,
    runStats: timeStats(runDurs),
    perNodeSum: timeStats(runSums),
    nodes,
    opTypes,
    runsFrom,
  };
}
