/**
 * Attribution. Each GPU record → its launch call (correlationId) → the node whose `_kernel_time` interval
 * contains the call's midpoint (1 µs slack for ORT's truncation) → that node execution, and so its run.
 * Work launched inside a run but outside every node (ORT copying inputs and outputs) is counted per run as
 * run-level GPU work; work outside every run (session start-up, weight uploads) is reported and ignored;
 * GPU records without a launch call are placed by GPU start time.
 */
import type { ParsedTrace, TraceNodeEvent } from '../trace.js';
import { alignCapture, deviceNodes, launchCalls, type AlignOptions, type Alignment } from './align-capture.js';
import type { CuptiCapture, GpuActivity } from './capture.js';
import { clockMap, type ClockMap, type HostClockMarks } from './clock-map.js';
import { lastStartAtOrBefore, unionLength } from './intervals.js';

export type Placement = 'node' | 'run' | 'outside';

export interface PlacedActivity extends GpuActivity {
  /** Trace time (µs) of the GPU start and end. */
  startUs: number;
  endUs: number;
  /** Trace time (µs) of the launch call's midpoint; absent without a launch call. */
  launchUs?: number;
  /** Node execution it was attributed to. */
  node?: TraceNodeEvent;
  /** Index into trace.runs, or −1. */
  run: number;
  placement: Placement;
}

export interface NodeGpu {
  activities: PlacedActivity[];
  /** Σ durations of its kernels, memcpys and memsets (µs). */
  gpuUs: number;
  kernelUs: number;
  copyUs: number;
  /** Host time inside the node spent in blocking calls (stream/device synchronize, synchronous memcpy), µs. */
  blockedUs: number;
}

export interface RunGpu {
  run: number;
  /** model_run duration (µs). */
  modelRunUs: number;
  /** Union of all GPU intervals of the run (µs). */
  busyUs: number;
  /** First GPU start to last GPU end (µs). */
  spanUs: number;
  /** Σ GPU time attributed to nodes (µs). */
  nodeGpuUs: number;
  /** Σ GPU time launched in the run outside nodes, e.g. input/output copies (µs). */
  runLevelUs: number;
  activities: number;
}

export interface CuptiAttribution {
  clock: ClockMap;
  alignment: Alignment;
  activities: PlacedActivity[];
  byNode: Map<TraceNodeEvent, NodeGpu>;
  /** Per trace run (warm-up included). */
  runs: RunGpu[];
  /** GPU records without a launch call in the capture (placed by GPU time). */
  withoutLaunch: number;
  /** GPU work outside every run (µs) and records. */
  outside: { count: number; us: number };
}

/** Index of the innermost interval of `nodes` (sorted by ts, with prefix max end) containing t (µs), or −1. */
function containing(nodes: readonly TraceNodeEvent[], starts: Float64Array, maxEnd: Float64Array, t: number): number {
  let j = lastStartAtOrBefore(starts, t);
  let best = -1;
  let bestDur = Number.POSITIVE_INFINITY;
  for (; j >= 0 && (maxEnd[j] as number) >= t; j--) {
    const n = nodes[j] as TraceNodeEvent;
    if (n.ts + n.dur + 1 >= t && n.dur < bestDur) {
      best = j;
      bestDur = n.dur;
    }
  }
  return best;
}

function isBlockingCall(name: string): boolean {
  return /Synchronize/.test(name) || (/Memcpy/.test(name) && !/Async/.test(name));
}

/** What the phases of attributeCapture share: the aligned clock and the device nodes indexed by start. */
interface Placing {
  trace: ParsedTrace;
  clock: ClockMap;
  /** ORT's trace time zero (ns from the clock origin). */
  Z: number;
  /** Device nodes sorted by ts, their starts and the prefix maximum of their ends (µs). */
  nodes: TraceNodeEvent[];
  starts: Float64Array;
  maxEnd: Float64Array;
  byNode: Map<TraceNodeEvent, NodeGpu>;
}

function placingOf(trace: ParsedTrace, clock: ClockMap, Z: number): Placing {
  const nodes = deviceNodes(trace); // sorted by ts
  const starts = Float64Array.from(nodes.map((n) => n.ts));
  const maxEnd = new Float64Array(nodes.length);
  let m = Number.NEGATIVE_INFINITY;
  nodes.forEach((n, i) => {
    m = Math.max(m, n.ts + n.dur + 1);
    maxEnd[i] = m;
  });
  return { trace, clock, Z, nodes, starts, maxEnd, byNode: new Map() };
}

function nodeEntry(st: Placing, n: TraceNodeEvent): NodeGpu {
  let g = st.byNode.get(n);
  if (!g) {
    g = { activities: [], gpuUs: 0, kernelUs: 0, copyUs: 0, blockedUs: 0 };
    st.byNode.set(n, g);
  }
  return g;
}

/** Index of the run whose model_run contains t (µs), or −1. */
function runLocator(trace: ParsedTrace): (t: number) => number {
  const runStarts = Float64Array.from(trace.runs.map((r) => r.ts));
  return (t) => {
    const j = lastStartAtOrBefore(runStarts, t);
    const r = j >= 0 ? trace.runs[j] : undefined;
    return r && t <= r.ts + r.dur + 1 ? j : -1;
  };
}

/** Phase 1: every GPU record → node (by its launch call), else run, else outside. */
function placeActivities(st: Placing, cap: CuptiCapture): Pick<CuptiAttribution, 'activities' | 'withoutLaunch' | 'outside'> {
  const { clock, Z, nodes } = st;
  const toUs = (cuptiRelNs: number): number => (clock.toMono(cuptiRelNs) - Z) / 1000;
  const runAt = runLocator(st.trace);
  const launches = launchCalls(cap, clock);
  const placed: PlacedActivity[] = [];
  let withoutLaunch = 0;
  const outside = { count: 0, us: 0 };
  for (const a of cap.activities) {
    const p: PlacedActivity = { ...a, startUs: toUs(a.startNs), endUs: toUs(a.endNs), run: -1, placement: 'outside' };
    const l = launches.get(a.correlationId);
    const durUs = (a.endNs - a.startNs) / 1000;
    if (l) {
      const t = (l.midNs - Z) / 1000;
      p.launchUs = t;
      const j = containing(nodes, st.starts, st.maxEnd, t);
      if (j >= 0) {
        const n = nodes[j] as TraceNodeEvent;
        p.node = n;
        p.run = n.run;
        p.placement = 'node';
        const g = nodeEntry(st, n);
        g.activities.push(p);
        g.gpuUs += durUs;
        if (a.kind === 'kernel') g.kernelUs += durUs;
        else g.copyUs += durUs;
      } else {
        p.run = runAt(t);
        p.placement = p.run >= 0 ? 'run' : 'outside';
      }
    } else {
      withoutLaunch++;
      p.run = runAt(p.startUs);
      p.placement = p.run >= 0 ? 'run' : 'outside';
    }
    if (p.placement === 'outside') {
      outside.count++;
      outside.us += durUs;
    }
    placed.push(p);
  }
  return { activities: placed, withoutLaunch, outside };
}

/**
 * Phase 2: host time of each node spent waiting in blocking calls (not launch work): the union of those calls
 * clipped to the node (a runtime call and the driver call inside it may both be recorded).
 */
function addBlockedTime(st: Placing, cap: CuptiCapture): void {
  const blocked = new Map<TraceNodeEvent, { s: number; e: number }[]>();
  for (const c of cap.apis) {
    if (!isBlockingCall(c.name)) continue;
    const s = (st.clock.toMono(c.startNs) - st.Z) / 1000;
    const e = (st.clock.toMono(c.endNs) - st.Z) / 1000;
    const j = containing(st.nodes, st.starts, st.maxEnd, (s + e) / 2);
    if (j < 0) continue;
    const n = st.nodes[j] as TraceNodeEvent;
    const cs = Math.max(s, n.ts);
    const ce = Math.min(e, n.ts + n.dur);
    if (ce <= cs) continue;
    const list = blocked.get(n) ?? [];
    list.push({ s: cs, e: ce });
    blocked.set(n, list);
  }
  for (const [n, list] of blocked) nodeEntry(st, n).blockedUs = unionLength(list);
}

/**
 * Phase 3: a node's GPU time is the union of its activities, not their sum: cuDNN runs some grouped
 * convolutions as concurrent kernels (HuBERT's 16-group positional conv: 16 kernels of 0.35 ms overlapping
 * in ~0.4 ms).
 */
function unionNodeGpuTime(st: Placing): void {
  for (const g of st.byNode.values()) {
    if (g.activities.length > 1) g.gpuUs = unionLength(g.activities.map((a) => ({ s: a.startUs, e: a.endUs })));
  }
}

/** Phase 4: per run, the GPU busy time, span, node and run-level GPU time. */
function runTotals(st: Placing, placed: readonly PlacedActivity[]): RunGpu[] {
  const runs: RunGpu[] = st.trace.runs.map((r, i) => ({
    run: i,
    modelRunUs: r.dur,
    busyUs: 0,
    spanUs: 0,
    nodeGpuUs: 0,
    runLevelUs: 0,
    activities: 0,
  }));
  const perRun = new Map<number, { s: number; e: number }[]>();
  for (const p of placed) {
    const rg = p.run >= 0 ? runs[p.run] : undefined;
    if (!rg) continue;
    const d = p.endUs - p.startUs;
    if (p.placement !== 'node') rg.runLevelUs += d;
    rg.activities++;
    let list = perRun.get(p.run);
    if (!list) {
      list = [];
      perRun.set(p.run, list);
    }
    list.push({ s: p.startUs, e: p.endUs });
  }
  for (const rg of runs) {
    const list = perRun.get(rg.run) ?? [];
    rg.busyUs = unionLength(list);
    rg.nodeGpuUs = 0;
    rg.spanUs = list.length ? Math.max(...list.map((x) => x.e)) - Math.min(...list.map((x) => x.s)) : 0;
  }
  for (const [n, g] of st.byNode) {
    const rg = runs[n.run];
    if (rg) rg.nodeGpuUs += g.gpuUs;
  }
  return runs;
}

/** Aligns the capture to the trace and attributes every GPU record (see the file comment). */
export function attributeCapture(trace: ParsedTrace, cap: CuptiCapture, marks?: HostClockMarks, o: AlignOptions = {}): CuptiAttribution {
  const clock = clockMap(cap);
  const alignment = alignCapture(trace, cap, clock, marks, o);
  const st = placingOf(trace, clock, alignment.zeroNs);
  const { activities, withoutLaunch, outside } = placeActivities(st, cap);
  addBlockedTime(st, cap);
  unionNodeGpuTime(st);
  const runs = runTotals(st, activities);
  return { clock, alignment, activities, byNode: st.byNode, runs, withoutLaunch, outside };
}
