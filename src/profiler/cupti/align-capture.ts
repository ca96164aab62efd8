/**
 * Alignment: ORT's trace time zero Z on the monotonic clock (see clock-map.ts for the clocks and the window).
 *
 * Offset search (1-D). Within that window Z is refined by maximizing how many launch calls fall inside a node
 * interval: a launch at monotonic time p lies inside node [a, b] (trace µs) iff Z ∈ [p − b, p − a]; so the
 * best Z is the point covered by the most such intervals, found exactly by a sweep over their endpoints
 * (sorted starts and ends, O(P log P) for P point×interval pairs that meet the window). Two stages:
 *   1. runs: launch calls AND the GPU end of every record must lie inside a `model_run` (ORT copies the outputs
 *      to the host and synchronizes before Run returns, so a run's GPU work ends inside it). The input copies at
 *      the start of a run and the output copies at its end pin Z from both sides, to a few µs, also from a
 *      wide window; without this stage a shift could pull a run's input copies into its first node.
 *   2. nodes: launch calls inside the `_kernel_time` intervals of device (CUDA EP) nodes, or in a run's head
 *      (model_run start → first device node) or tail (last device node → model_run end), where ORT copies
 *      inputs and outputs, within stage 1's plateau. CPU-EP nodes and the gaps between nodes launch nothing, so
 *      a launch that lands there does not count. Counting the head and tail matters: otherwise a shift that
 *      pulls a run's input copies into its first node would score higher than the truth.
 * The result is the centre of the widest plateau of maximal count; its width is the remaining uncertainty.
 * Points are subsampled evenly when the pairs would exceed a budget.
 */
import { TraceFormatError } from '../../errors.js';
import type { ParsedTrace, TraceNodeEvent } from '../trace.js';
import type { ApiCall, CuptiCapture } from './capture.js';
import type { ClockMap, HostClockMarks } from './clock-map.js';
import { intervalsOf, lastStartAtOrBefore, type Intervals } from './intervals.js';

export interface Alignment {
  /** ORT's trace time zero on the monotonic clock, ns relative to ClockMap.origin. */
  zeroNs: number;
  /** The plateau of Z values with the best count (ns, same origin): the uncertainty of zeroNs. */
  plateauNs: [number, number];
  /** Stage 1's plateau (launches and GPU ends inside model_run), when the trace has runs. */
  runPlateauNs?: [number, number];
  /** Window the search started from, and where it came from. */
  windowNs: [number, number];
  windowFrom: 'runs' | 'session' | 'data';
  /** Launch calls considered, and how many fall inside a device-node interval at zeroNs. */
  launches: number;
  matched: number;
  /** Launch calls inside a model_run, and how many of those lie in a device node or the run's head/tail. */
  inRuns: number;
  valid: number;
  /** Distinct plateaus with the best count (1 = unambiguous). */
  plateaus: number;
  /** Launch subsampling stride used in the node-level sweep (1 = all). */
  stride: number;
  /** Notes (window fallbacks). */
  notes: string[];
}

interface Plateau {
  count: number;
  lo: number;
  hi: number;
  plateaus: number;
  pairs: number;
}

/**
 * The Z in [lo, hi] that puts the most points inside an interval (p − Z ∈ [a, b] ⇔ Z ∈ [p − b, p − a]):
 * an exact sweep over the endpoints of those Z-intervals. Returns undefined when the pairs exceed `maxPairs`.
 */
function bestShift(points: readonly number[], iv: Intervals, lo: number, hi: number, maxPairs: number): Plateau | undefined {
  const starts: number[] = [];
  const ends: number[] = [];
  const mine: [number, number][] = [];
  for (const p of points) {
    mine.length = 0;
    const j0 = lastStartAtOrBefore(iv.a, p - lo);
    for (let j = j0; j >= 0 && (iv.maxB[j] as number) >= p - hi; j--) {
      const b = iv.b[j] as number;
      if (b < p - hi) continue;
      const zl = Math.max(lo, p - b);
      const zh = Math.min(hi, p - (iv.a[j] as number));
      if (zl <= zh) mine.push([zl, zh]);
    }
    // A point counts once: merge its Z-intervals (touching intervals, e.g. a node's end and the next one's
    // start, would otherwise count it twice at one Z and make a spurious zero-width best plateau).
    mine.sort((x, y) => x[0] - y[0]);
    let cur: [number, number] | undefined;
    for (const m of mine) {
      if (cur && m[0] <= cur[1]) cur[1] = Math.max(cur[1], m[1]);
      else {
        if (cur) {
          starts.push(cur[0]);
          ends.push(cur[1]);
        }
        cur = [m[0], m[1]];
      }
    }
    if (cur) {
      starts.push(cur[0]);
      ends.push(cur[1]);
    }
    if (starts.length > maxPairs) return undefined;
  }
  const n = starts.length;
  if (n === 0) return { count: 0, lo, hi, plateaus: 1, pairs: 0 };
  const S = Float64Array.from(starts).sort();
  const E = Float64Array.from(ends).sort();
  let i = 0;
  let j = 0;
  let count = 0;
  let best = 0;
  let bestLo = lo;
  let bestHi = hi;
  let bestWidth = -1;
  let openLo = Number.NaN;
  let plateaus = 0;
  while (i < n || j < n) {
    if (i < n && (S[i] as number) <= (E[j] as number)) {
      const z = S[i++] as number;
      count++;
      if (count > best) {
        best = count;
        plateaus = 0;
        bestWidth = -1;
        openLo = z;
      } else if (count === best) openLo = z;
    } else {
      const z = E[j++] as number;
      if (count === best && !Number.isNaN(openLo)) {
        plateaus++;
        if (z - openLo > bestWidth) {
          bestWidth = z - openLo;
          bestLo = openLo;
          bestHi = z;
        }
        openLo = Number.NaN;
      }
      count--;
    }
  }
  return { count: best, lo: bestLo, hi: bestHi, plateaus, pairs: n };
}

/** Runs bestShift, subsampling points evenly until the pairs fit the budget. */
function bestShiftSampled(points: readonly number[], iv: Intervals, lo: number, hi: number, maxPairs: number): Plateau & { stride: number } {
  for (let stride = 1; ; stride *= 2) {
    const pts = stride === 1 ? points : points.filter((_, k) => k % stride === 0);
    const r = bestShift(pts, iv, lo, hi, maxPairs);
    if (r) return { ...r, stride };
    if (pts.length <= 16) return { count: 0, lo, hi, plateaus: 1, pairs: 0, stride };
  }
}

/** Nodes that can launch GPU work: those of the CUDA EP (all nodes when none is). */
export function deviceNodes(trace: ParsedTrace): TraceNodeEvent[] {
  const d = trace.nodes.filter((n) => n.provider === 'CUDAExecutionProvider');
  return d.length ? d : trace.nodes;
}

/** Per run, in ns: [model_run start, first device node start] and [last device node end, model_run end]. */
function runHeadsAndTails(trace: ParsedTrace, dev: readonly TraceNodeEvent[]): { a: number; b: number }[] {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  for (const n of dev) {
    if (n.run < 0) continue;
    first.set(n.run, Math.min(first.get(n.run) ?? Number.POSITIVE_INFINITY, n.ts));
    last.set(n.run, Math.max(last.get(n.run) ?? Number.NEGATIVE_INFINITY, n.ts + n.dur + 1));
  }
  const out: { a: number; b: number }[] = [];
  trace.runs.forEach((r, i) => {
    const end = r.ts + r.dur + 1;
    const f = first.get(i);
    const l = last.get(i);
    if (f === undefined || l === undefined) out.push({ a: r.ts * 1000, b: end * 1000 });
    else {
      out.push({ a: r.ts * 1000, b: f * 1000 });
      out.push({ a: l * 1000, b: end * 1000 });
    }
  });
  return out;
}

/** Trace intervals in ns: [ts, ts + dur + 1 µs] (ORT truncates both to whole microseconds). */
function nodeIntervalsNs(nodes: readonly TraceNodeEvent[]): { a: number; b: number }[] {
  return nodes.map((n) => ({ a: n.ts * 1000, b: (n.ts + n.dur + 1) * 1000 }));
}

export interface AlignOptions {
  /** Budget of launch×interval pairs per sweep (default 2,000,000). */
  maxPairs?: number;
}

/** Monotonic time (ns from clock origin) of each GPU record's launch call, by correlationId. */
export function launchCalls(cap: CuptiCapture, clock: ClockMap): Map<number, { call: ApiCall; midNs: number }> {
  const used = new Set<number>();
  for (const a of cap.activities) used.add(a.correlationId);
  const out = new Map<number, { call: ApiCall; midNs: number }>();
  for (const c of cap.apis) {
    if (!used.has(c.correlationId) || c.correlationId === 0) continue;
    const prev = out.get(c.correlationId);
    // A runtime call and the driver call inside it can share an id: keep the runtime one (the outer call).
    if (prev && !(prev.call.domain === 'drv' && c.domain === 'rt')) continue;
    out.set(c.correlationId, { call: c, midNs: clock.toMono((c.startNs + c.endNs) / 2) });
  }
  return out;
}

/** The window Z is searched in: from the run() brackets, else session creation, else the data alone. */
interface SearchWindow {
  lo: number;
  hi: number;
  from: Alignment['windowFrom'];
  notes: string[];
}

function searchWindow(trace: ParsedTrace, cap: CuptiCapture, clock: ClockMap, points: readonly number[], marks?: HostClockMarks): SearchWindow {
  const notes: string[] = [];
  const rel = (s: string): number => Number(BigInt(s) - clock.origin);
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  let from: Alignment['windowFrom'] = 'data';
  if (marks) {
    lo = rel(marks.sessionCreate[0]);
    hi = rel(marks.sessionCreate[1]);
    from = 'session';
    if (marks.runs.length === trace.runs.length && trace.runs.length > 0) {
      let rlo = lo;
      let rhi = hi;
      trace.runs.forEach((r, i) => {
        const m = marks.runs[i] as [string, string];
        rlo = Math.max(rlo, rel(m[0]) - (r.ts + 1) * 1000);
        rhi = Math.min(rhi, rel(m[1]) - (r.ts + r.dur) * 1000);
      });
      if (rlo <= rhi) {
        lo = rlo;
        hi = rhi;
        from = 'runs';
      } else {
        const by = ((rlo - rhi) / 1000).toFixed(1);
        notes.push(`the run() brackets disagree with the trace's model_run events by ${by} µs; using the session-creation window`);
      }
    } else if (marks.runs.length !== trace.runs.length) {
      notes.push(`${marks.runs.length} run() brackets for ${trace.runs.length} model_run events: using the session-creation window`);
    }
  }
  if (!(lo <= hi) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    const first = points[0];
    const last = points[points.length - 1];
    const tEnd = Math.max(0, ...trace.nodes.map((n) => (n.ts + n.dur + 1) * 1000), ...trace.runs.map((r) => (r.ts + r.dur + 1) * 1000));
    if (first === undefined || last === undefined) throw new TraceFormatError(cap.file, 'api', 'no launch calls with GPU work: nothing to align');
    if (marks && !(lo <= hi)) notes.push('the session-creation window is empty; aligning on the data alone');
    lo = first - tEnd;
    hi = last;
    from = 'data';
  }
  return { lo, hi, from, notes };
}

/** Finds ORT's trace time zero on the monotonic clock (see the file comment). */
export function alignCapture(trace: ParsedTrace, cap: CuptiCapture, clock: ClockMap, marks?: HostClockMarks, o: AlignOptions = {}): Alignment {
  const maxPairs = o.maxPairs ?? 2_000_000;
  const points = [...launchCalls(cap, clock).values()].map((l) => l.midNs).sort((x, y) => x - y);
  const w = searchWindow(trace, cap, clock, points, marks);
  let { lo, hi } = w;
  const { from, notes } = w;
  const window: [number, number] = [lo, hi];
  // Stage 1: launch calls and GPU ends inside model_run intervals (few), to narrow the window.
  let runPlateau: [number, number] | undefined;
  if (trace.runs.length > 0) {
    const runIv = intervalsOf(trace.runs.map((r) => ({ a: r.ts * 1000, b: (r.ts + r.dur + 1) * 1000 })));
    const ends = cap.activities.map((a) => clock.toMono(a.endNs));
    const pts = [...points, ...ends].sort((x, y) => x - y);
    const r = bestShiftSampled(pts, runIv, lo, hi, maxPairs);
    if (r.count > 0) {
      lo = r.lo;
      hi = r.hi;
      runPlateau = [r.lo, r.hi];
    }
  }
  // Stage 2: launch calls inside device-node intervals, or in a run's head or tail.
  const dev = deviceNodes(trace);
  const nodeList = nodeIntervalsNs(dev);
  const validIv = intervalsOf([...nodeList, ...runHeadsAndTails(trace, dev)]);
  const r = bestShiftSampled(points, validIv, lo, hi, maxPairs);
  const zeroNs = r.count > 0 ? (r.lo + r.hi) / 2 : (lo + hi) / 2;
  const nodeIv = intervalsOf(nodeList);
  const runIv = intervalsOf(trace.runs.map((x) => ({ a: x.ts * 1000, b: (x.ts + x.dur + 1) * 1000 })));
  const inside = (iv: Intervals, t: number): boolean => {
    for (let j = lastStartAtOrBefore(iv.a, t); j >= 0 && (iv.maxB[j] as number) >= t; j--) if ((iv.b[j] as number) >= t) return true;
    return false;
  };
  let matched = 0;
  let inRuns = 0;
  let valid = 0;
  for (const p of points) {
    const t = p - zeroNs;
    if (inside(nodeIv, t)) matched++;
    if (trace.runs.length === 0 || inside(runIv, t)) {
      inRuns++;
      if (inside(validIv, t)) valid++;
    }
  }
  return {
    zeroNs,
    plateauNs: r.count > 0 ? [r.lo, r.hi] : [lo, hi],
    ...(runPlateau ? { runPlateauNs: runPlateau } : {}),
    windowNs: window,
    windowFrom: from,
    launches: points.length,
    matched,
    inRuns,
    valid,
    plateaus: r.plateaus,
    stride: r.stride,
    notes,
  };
}
