/**
 * GPU time per ONNX node from CUPTI ('cupti' method, CUDA EP). The node pass runs in a child process with the
 * injection library native/cupti-trace/libcupti_trace.so (CUDA_INJECTION64_PATH, output file WB_CUPTI_OUT):
 * no launch blocking, every kernel/memcpy/memset with its GPU start/end and the correlationId of the runtime or
 * driver call that launched it, plus those calls' host start/end. This module parses that file, puts it on the
 * time axis of ONNX Runtime's trace, and attributes each piece of GPU work to the node that launched it.
 *
 * Clocks. CUPTI stamps records with its own clock (CLOCK_REALTIME on Linux by default); the library writes
 * (CUPTI, CLOCK_MONOTONIC) pairs read back to back at start and exit, so every record maps onto the monotonic
 * clock. ORT's trace `ts` are microseconds since its profiler started (high_resolution_clock, truncated to
 * whole µs); that start Z is unknown, but the worker brackets it: process.hrtime.bigint() (CLOCK_MONOTONIC)
 * just before and after creating the session (Z lies between), and before/after every run() (each `model_run`
 * event [ts, ts+dur] lies inside its bracket, so Z ∈ ∩ [before_i − ts_i − 1 µs, after_i − ts_i − dur_i]).
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
 *
 * Attribution. Each GPU record → its launch call (correlationId) → the node whose `_kernel_time` interval
 * contains the call's midpoint (1 µs slack for ORT's truncation) → that node execution, and so its run.
 * Work launched inside a run but outside every node (ORT copying inputs and outputs) is counted per run as
 * run-level GPU work; work outside every run (session start-up, weight uploads) is reported and ignored;
 * GPU records without a launch call are placed by GPU start time.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TraceFormatError } from '../errors.js';
import { timeStats, type TimeStats } from '../core/stats.js';
import type { ParsedTrace, TraceKernelEvent, TraceNodeEvent } from './trace.js';

export const CUPTI_LIB_NAME = 'libcupti_trace.so';
export const CUPTI_FORMAT = 'wb-cupti';

// ---------------------------------------------------------------------------------------------------------
// The capture file

export type GpuActivityKind = 'kernel' | 'memcpy' | 'memset';

/** One kernel, memcpy or memset. Times: ns relative to the capture's `base` (CUPTI clock). */
export interface GpuActivity {
  kind: GpuActivityKind;
  /** Kernel name (demangled when the library could), or e.g. 'memcpy HtoD' / 'memset'. */
  name: string;
  startNs: number;
  endNs: number;
  correlationId: number;
  stream: number;
  bytes?: number;
  copyKind?: string;
  grid?: [number, number, number];
  block?: [number, number, number];
}

/** A runtime ('rt') or driver ('drv') API call. Times: ns relative to `base` (CUPTI clock, host side). */
export interface ApiCall {
  domain: 'rt' | 'drv';
  cbid: number;
  name: string;
  startNs: number;
  endNs: number;
  correlationId: number;
  threadId: number;
}

/** Simultaneous readings of the CUPTI clock and CLOCK_MONOTONIC (ns; strings in the file). */
export interface ClockPair {
  at: string;
  cupti: bigint;
  mono: bigint;
  real?: bigint;
  gapNs: number;
}

export interface CuptiCapture {
  file: string;
  version: number;
  pid?: number;
  cuptiApi?: number;
  cudaVersion?: number;
  /** CUPTI timestamp that record times are relative to. */
  base: bigint;
  clocks: ClockPair[];
  activities: GpuActivity[];
  apis: ApiCall[];
  /** CUPTI errors the library reported (tracing was turned off at the first). */
  errors: string[];
  /** Counts of the closing line; absent when the process did not exit normally. */
  end?: { kernels: number; memcpys: number; memsets: number; apis: number; apisSkipped: number; dropped: number; bad: number };
  /** Whether names were demangled. */
  demangled: boolean;
}

const COPY_KINDS = ['unknown', 'HtoD', 'DtoH', 'HtoA', 'AtoH', 'AtoA', 'AtoD', 'DtoA', 'DtoD', 'HtoH', 'PtoP'];

function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function big(v: unknown): bigint | undefined {
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  return undefined;
}

function triple(v: unknown): [number, number, number] | undefined {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number') ? [v[0] as number, v[1] as number, v[2] as number] : undefined;
}

/** Parses the JSON-lines output of libcupti_trace.so. A torn last line (killed process) is ignored. */
export function parseCuptiCapture(text: string, file = '<cupti>'): CuptiCapture {
  const lines = text.split('\n');
  const names = new Map<number, string>();
  const cap: CuptiCapture = { file, version: 0, base: 0n, clocks: [], activities: [], apis: [], errors: [], demangled: false };
  let header = false;
  const nameOf = (id: unknown, fallback: string): string => {
    const i = int(id);
    return i !== undefined ? (names.get(i) ?? fallback) : fallback;
  };
  for (let li = 0; li < lines.length; li++) {
    const line = (lines[li] as string).trim();
    if (!line) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      if (lines.slice(li + 1).every((l) => !l.trim())) break; // torn last line
      throw new TraceFormatError(file, `line ${li + 1}`, `not JSON: ${(e as Error).message}`);
    }
    const t = o.t;
    if (!header) {
      if (t !== 'hdr' || o.format !== CUPTI_FORMAT) throw new TraceFormatError(file, 'line 1', `not a ${CUPTI_FORMAT} capture (expected a {"t":"hdr","format":"${CUPTI_FORMAT}"} line first)`);
      const base = big(o.base);
      if (base === undefined) throw new TraceFormatError(file, 'line 1.base', 'missing');
      cap.base = base;
      cap.version = int(o.version) ?? 0;
      const pid = int(o.pid);
      const api = int(o.cuptiApi);
      const cv = int(o.cudaVersion);
      if (pid !== undefined) cap.pid = pid;
      if (api !== undefined) cap.cuptiApi = api;
      if (cv !== undefined) cap.cudaVersion = cv;
      cap.demangled = o.demangle === 1;
      header = true;
      continue;
    }
    const s = int(o.s);
    const e = int(o.e);
    switch (t) {
      case 'clock': {
        const c = big(o.cupti);
        const m = big(o.mono);
        if (c === undefined || m === undefined) throw new TraceFormatError(file, `line ${li + 1}`, 'clock pair without cupti/mono');
        const p: ClockPair = { at: typeof o.at === 'string' ? o.at : '', cupti: c, mono: m, gapNs: int(o.gap) ?? 0 };
        const r = big(o.real);
        if (r !== undefined) p.real = r;
        cap.clocks.push(p);
        break;
      }
      case 'name':
        if (int(o.id) !== undefined && typeof o.s === 'string') names.set(o.id as number, o.s);
        break;
      case 'k':
      case 'cp':
      case 'ms': {
        if (s === undefined || e === undefined) throw new TraceFormatError(file, `line ${li + 1}`, 'GPU record without s/e');
        const a: GpuActivity = {
          kind: t === 'k' ? 'kernel' : t === 'cp' ? 'memcpy' : 'memset',
          name: '',
          startNs: s,
          endNs: e,
          correlationId: int(o.c) ?? 0,
          stream: int(o.st) ?? 0,
        };
        if (t === 'k') {
          a.name = nameOf(o.n, 'kernel');
          const g = triple(o.g);
          const b = triple(o.b);
          if (g) a.grid = g;
          if (b) a.block = b;
        } else {
          const by = int(o.by);
          if (by !== undefined) a.bytes = by;
          if (t === 'cp') {
            a.copyKind = COPY_KINDS[int(o.k) ?? 0] ?? 'unknown';
            a.name = `memcpy ${a.copyKind}`;
          } else a.name = 'memset';
        }
        cap.activities.push(a);
        break;
      }
      case 'api':
        if (s === undefined || e === undefined) throw new TraceFormatError(file, `line ${li + 1}`, 'API record without s/e');
        cap.apis.push({
          domain: o.d === 'drv' ? 'drv' : 'rt',
          cbid: int(o.cb) ?? -1,
          name: nameOf(o.n, `cbid ${int(o.cb) ?? '?'}`),
          startNs: s,
          endNs: e,
          correlationId: int(o.c) ?? 0,
          threadId: int(o.tid) ?? 0,
        });
        break;
      case 'error':
        cap.errors.push(`${String(o.what)}: ${String(o.msg)}`);
        break;
      case 'end':
        cap.end = {
          kernels: int(o.kernels) ?? 0,
          memcpys: int(o.memcpys) ?? 0,
          memsets: int(o.memsets) ?? 0,
          apis: int(o.apis) ?? 0,
          apisSkipped: int(o.apisSkipped) ?? 0,
          dropped: int(o.dropped) ?? 0,
          bad: int(o.bad) ?? 0,
        };
        break;
      default:
        break; // newer record types: ignored
    }
  }
  if (!header) throw new TraceFormatError(file, 'file', 'empty CUPTI capture (the injection library never started: was CUDA initialized in this process?)');
  return cap;
}

/** Reads and parses a capture file. */
export function readCuptiCapture(file: string): CuptiCapture {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TraceFormatError(file, 'file', `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseCuptiCapture(text, file);
}

// ---------------------------------------------------------------------------------------------------------
// Finding the library

export interface CuptiLibraryLookup {
  path?: string;
  tried: string[];
}

/**
 * Where libcupti_trace.so is: $WB_CUPTI_LIB (a file, or a folder holding it), else native/cupti-trace/ of
 * the repository this module (or the esbuild bundle) lives in, next to the CLI script, or in the working folder.
 */
export function findCuptiLibrary(env: NodeJS.ProcessEnv = process.env, extraDirs: readonly string[] = []): CuptiLibraryLookup {
  const tried: string[] = [];
  const check = (p: string): string | undefined => {
    const abs = resolve(p);
    tried.push(abs);
    try {
      if (existsSync(abs) && statSync(abs).isFile()) return abs;
    } catch {
      /* unreadable: keep looking */
    }
    return undefined;
  };
  const fromEnv = env.WB_CUPTI_LIB;
  if (fromEnv) {
    const p = check(fromEnv) ?? check(resolve(fromEnv, CUPTI_LIB_NAME));
    return p ? { path: p, tried } : { tried };
  }
  const dirs: string[] = [...extraDirs];
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    dirs.push(resolve(here, '../../native/cupti-trace'), resolve(here, '../native/cupti-trace'), resolve(here, '../../../native/cupti-trace'));
  } catch {
    /* not a file: URL */
  }
  const script = process.argv[1];
  if (script && isAbsolute(script)) dirs.push(resolve(dirname(script), '../native/cupti-trace'), resolve(dirname(script), 'native/cupti-trace'));
  dirs.push(resolve(process.cwd(), 'native/cupti-trace'));
  for (const d of [...new Set(dirs)]) {
    const p = check(resolve(d, CUPTI_LIB_NAME));
    if (p) return { path: p, tried };
  }
  return { tried };
}

/** Environment of the node-pass child for the CUPTI method. */
export function cuptiEnv(library: string, outFile: string): Record<string, string> {
  return { CUDA_INJECTION64_PATH: library, WB_CUPTI_OUT: outFile, CUDA_LAUNCH_BLOCKING: '0' };
}

// ---------------------------------------------------------------------------------------------------------
// Clocks and alignment

/** process.hrtime.bigint() readings (ns, CLOCK_MONOTONIC, decimal strings) taken by the node-pass worker. */
export interface HostClockMarks {
  /** Just before and just after creating the (profiled) session: ORT's trace time zero lies between. */
  sessionCreate: [string, string];
  /** Just before and just after each run(), warm-up included, in order. */
  runs: [string, string][];
}

/** Maps CUPTI-relative ns to monotonic ns relative to `origin` (the init clock pair's monotonic reading). */
export interface ClockMap {
  origin: bigint;
  toMono: (cuptiRelNs: number) => number;
  /** Change of (monotonic − CUPTI) between the first and last pair (ns); large values mean a clock step. */
  driftNs: number;
}

/** The CUPTI → monotonic mapping: offset from the first pair, linear between the first and last pairs. */
export function clockMap(cap: CuptiCapture): ClockMap {
  const first = cap.clocks[0];
  if (!first) throw new TraceFormatError(cap.file, 'clock', 'no clock pair (the library could not read cuptiGetTimestamp)');
  const last = cap.clocks[cap.clocks.length - 1] ?? first;
  const origin = first.mono;
  // mono_rel(t) = base + t + (mono_i − cupti_i) − origin = t + (base − cupti_0) (+ drift).
  const off0 = Number(cap.base - first.cupti);
  const c0 = Number(first.cupti - cap.base);
  const c1 = Number(last.cupti - cap.base);
  const driftNs = Number(last.mono - last.cupti - (first.mono - first.cupti));
  const slope = c1 > c0 ? driftNs / (c1 - c0) : 0;
  return { origin, driftNs, toMono: (t) => t + off0 + (t - c0) * slope };
}

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

interface Intervals {
  a: Float64Array;
  b: Float64Array;
  /** Prefix maximum of b (intervals sorted by a). */
  maxB: Float64Array;
}

function intervalsOf(list: readonly { a: number; b: number }[]): Intervals {
  const s = [...list].sort((x, y) => x.a - y.a);
  const a = new Float64Array(s.length);
  const b = new Float64Array(s.length);
  const maxB = new Float64Array(s.length);
  let m = Number.NEGATIVE_INFINITY;
  s.forEach((x, i) => {
    a[i] = x.a;
    b[i] = x.b;
    m = Math.max(m, x.b);
    maxB[i] = m;
  });
  return { a, b, maxB };
}

/** Index of the last interval with a ≤ x, or −1. */
function lastStartAtOrBefore(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length - 1;
  let r = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((a[mid] as number) <= x) {
      r = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return r;
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

/** Finds ORT's trace time zero on the monotonic clock (see the module comment). */
export function alignCapture(trace: ParsedTrace, cap: CuptiCapture, clock: ClockMap, marks?: HostClockMarks, o: AlignOptions = {}): Alignment {
  const maxPairs = o.maxPairs ?? 2_000_000;
  const notes: string[] = [];
  const points = [...launchCalls(cap, clock).values()].map((l) => l.midNs).sort((x, y) => x - y);
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
      } else notes.push(`the run() brackets disagree with the trace's model_run events by ${((rlo - rhi) / 1000).toFixed(1)} µs; using the session-creation window`);
    } else if (marks.runs.length !== trace.runs.length) notes.push(`${marks.runs.length} run() brackets for ${trace.runs.length} model_run events: using the session-creation window`);
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

// ---------------------------------------------------------------------------------------------------------
// Attribution

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

function unionLength(iv: { s: number; e: number }[]): number {
  if (iv.length === 0) return 0;
  const s = [...iv].sort((x, y) => x.s - y.s);
  let total = 0;
  let cs = (s[0] as { s: number }).s;
  let ce = (s[0] as { e: number }).e;
  for (const x of s) {
    if (x.s > ce) {
      total += ce - cs;
      cs = x.s;
      ce = x.e;
    } else ce = Math.max(ce, x.e);
  }
  return total + (ce - cs);
}

/** Aligns the capture to the trace and attributes every GPU record (see the module comment). */
export function attributeCapture(trace: ParsedTrace, cap: CuptiCapture, marks?: HostClockMarks, o: AlignOptions = {}): CuptiAttribution {
  const clock = clockMap(cap);
  const alignment = alignCapture(trace, cap, clock, marks, o);
  const Z = alignment.zeroNs;
  const toUs = (cuptiRelNs: number): number => (clock.toMono(cuptiRelNs) - Z) / 1000;
  const nodes = deviceNodes(trace); // sorted by ts
  const starts = Float64Array.from(nodes.map((n) => n.ts));
  const maxEnd = new Float64Array(nodes.length);
  let m = Number.NEGATIVE_INFINITY;
  nodes.forEach((n, i) => {
    m = Math.max(m, n.ts + n.dur + 1);
    maxEnd[i] = m;
  });
  const runStarts = Float64Array.from(trace.runs.map((r) => r.ts));
  const runMaxEnd = new Float64Array(trace.runs.length);
  let rm = Number.NEGATIVE_INFINITY;
  trace.runs.forEach((r, i) => {
    rm = Math.max(rm, r.ts + r.dur + 1);
    runMaxEnd[i] = rm;
  });
  const runAt = (t: number): number => {
    const j = lastStartAtOrBefore(runStarts, t);
    const r = j >= 0 ? trace.runs[j] : undefined;
    return r && t <= r.ts + r.dur + 1 ? j : -1;
  };
  const launches = launchCalls(cap, clock);
  const byNode = new Map<TraceNodeEvent, NodeGpu>();
  const entry = (n: TraceNodeEvent): NodeGpu => {
    let g = byNode.get(n);
    if (!g) {
      g = { activities: [], gpuUs: 0, kernelUs: 0, copyUs: 0, blockedUs: 0 };
      byNode.set(n, g);
    }
    return g;
  };
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
      const j = containing(nodes, starts, maxEnd, t);
      if (j >= 0) {
        const n = nodes[j] as TraceNodeEvent;
        p.node = n;
        p.run = n.run;
        p.placement = 'node';
        const g = entry(n);
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
  // Host time of each node spent waiting in blocking calls (not launch work): the union of those calls
  // clipped to the node (a runtime call and the driver call inside it may both be recorded).
  const blocked = new Map<TraceNodeEvent, { s: number; e: number }[]>();
  for (const c of cap.apis) {
    if (!isBlockingCall(c.name)) continue;
    const s = (clock.toMono(c.startNs) - Z) / 1000;
    const e = (clock.toMono(c.endNs) - Z) / 1000;
    const j = containing(nodes, starts, maxEnd, (s + e) / 2);
    if (j < 0) continue;
    const n = nodes[j] as TraceNodeEvent;
    const cs = Math.max(s, n.ts);
    const ce = Math.min(e, n.ts + n.dur);
    if (ce <= cs) continue;
    const list = blocked.get(n) ?? [];
    list.push({ s: cs, e: ce });
    blocked.set(n, list);
  }
  for (const [n, list] of blocked) entry(n).blockedUs = unionLength(list);
  // A node's GPU time is the union of its activities, not their sum: cuDNN runs some grouped convolutions
  // as concurrent kernels (HuBERT's 16-group positional conv: 16 kernels of 0.35 ms overlapping in ~0.4 ms).
  for (const g of byNode.values()) if (g.activities.length > 1) g.gpuUs = unionLength(g.activities.map((a) => ({ s: a.startUs, e: a.endUs })));
  const runs: RunGpu[] = trace.runs.map((r, i) => ({ run: i, modelRunUs: r.dur, busyUs: 0, spanUs: 0, nodeGpuUs: 0, runLevelUs: 0, activities: 0 }));
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
  for (const [n, g] of byNode) {
    const rg = runs[n.run];
    if (rg) rg.nodeGpuUs += g.gpuUs;
  }
  return { clock, alignment, activities: placed, byNode, runs, withoutLaunch, outside };
}

// ---------------------------------------------------------------------------------------------------------
// Per-node times and the coverage of the 'cupti' method

const DEVICE_PROVIDER = 'CUDAExecutionProvider';

/** Whether a node's time is GPU time: it ran on the CUDA EP or launched GPU work. */
export function isDeviceNode(e: TraceNodeEvent, att: CuptiAttribution): boolean {
  return e.provider === DEVICE_PROVIDER || (att.byNode.get(e)?.activities.length ?? 0) > 0;
}

/** Node time under 'cupti' (µs): GPU time for device nodes, the host `_kernel_time` for CPU nodes. */
export function nodeGpuTimeUs(e: TraceNodeEvent, att: CuptiAttribution): number {
  return isDeviceNode(e, att) ? (att.byNode.get(e)?.gpuUs ?? 0) : e.dur;
}

/** Host time of launching a node's work (µs): its `_kernel_time` less time blocked in synchronizing calls. */
export function nodeHostLaunchUs(e: TraceNodeEvent, att: CuptiAttribution): number {
  return Math.max(0, e.dur - (att.byNode.get(e)?.blockedUs ?? 0));
}

/**
 * What a node adds to a run (µs): max(host launch time, GPU time). A GPU-bound node costs its GPU time; a
 * launch-bound one (tiny kernels) costs the host time of launching them. CPU nodes: their host time.
 */
export function nodeContributionUs(e: TraceNodeEvent, att: CuptiAttribution): number {
  if (!isDeviceNode(e, att)) return e.dur;
  return Math.max(nodeHostLaunchUs(e, att), att.byNode.get(e)?.gpuUs ?? 0);
}

/** Puts the attributed kernels on each node execution (`kernels`, in trace µs), as ORT's own Kernel events would be. */
export function attachKernels(att: CuptiAttribution): void {
  for (const [n, g] of att.byNode) {
    n.kernels = g.activities
      .filter((a) => a.kind === 'kernel')
      .map((a): TraceKernelEvent => {
        const k: TraceKernelEvent = { name: a.name, ts: a.startUs, dur: a.endUs - a.startUs, stream: a.stream };
        if (a.grid) k.grid = a.grid;
        if (a.block) k.block = a.block;
        return k;
      });
  }
}

/** The 'cupti' coverage block of profile.json (ms). */
export interface CuptiCoverage {
  /** Median over counted runs of Σ per-node GPU time (device nodes). */
  nodeGpuSumMs: number;
  /** Median GPU busy time per run (union of its kernels/copies/memsets). */
  gpuBusyMs: number;
  /** Median first-start → last-end of a run's GPU work. */
  gpuSpanMs: number;
  /** nodeGpuSumMs / gpuBusyMs: ~1 when attribution works (above 1: overlapping streams). */
  attributionRatio: number;
  /**
   * The end-to-end GPU check: (Σ per-node GPU time + the run's own input/output copies) / GPU busy time
   * (the union of all GPU work of a run, measured by CUPTI). 1 = every GPU microsecond of a run is accounted
   * for by a node or a copy; within ±10% is the target.
   */
  gpuAccountingRatio: number;
  gpuAccountingWithinTenPercent: boolean;
  /** Median GPU time per run launched outside nodes (ORT's input/output copies). */
  runLevelGpuMs: number;
  /** Median Σ host `_kernel_time` and Σ host launch time (less blocking waits) of the device nodes. */
  hostSumMs: number;
  hostLaunchSumMs: number;
  /** Median Σ max(host launch, GPU) per node: what coverage.perNodeSumMs holds under 'cupti'. */
  contributionSumMs: number;
  /** (contributionSumMs + runLevelGpuMs) / end-to-end median. */
  ratioWithRunLevel: number;
  /** 'launch-bound' when the device nodes' host launch time exceeds their GPU time. */
  bound: 'gpu-bound' | 'launch-bound';
  /** Median model_run of the profiled pass. */
  modelRunMs: number;
  records: { kernels: number; memcpys: number; memsets: number; launchCalls: number; withoutLaunch: number; outsideRuns: number; outsideRunsMs: number; dropped: number };
  alignment: {
    windowFrom: Alignment['windowFrom'];
    windowUs: number;
    runPlateauUs?: number;
    plateauUs: number;
    launches: number;
    /** Launch calls inside device nodes / all launch calls. */
    matchedFraction: number;
    /** Of the launch calls inside runs, the share in a device node or the run's head/tail (~1 when aligned). */
    validFraction: number;
    plateaus: number;
    stride: number;
    clockDriftUs: number;
    notes: string[];
  };
}

/** Summarizes an attribution over the counted runs (trace run indices). */
export function cuptiCoverage(trace: ParsedTrace, att: CuptiAttribution, counted: readonly number[], endToEndMs: number, cap: CuptiCapture): CuptiCoverage {
  const idx = new Map<number, number>(counted.map((r, i) => [r, i]));
  const zeros = (): number[] => new Array<number>(counted.length).fill(0);
  const gpu = zeros();
  const host = zeros();
  const launch = zeros();
  const contrib = zeros();
  for (const e of trace.nodes) {
    const i = idx.get(e.run);
    if (i === undefined) continue;
    contrib[i] = (contrib[i] ?? 0) + nodeContributionUs(e, att);
    if (!isDeviceNode(e, att)) continue;
    gpu[i] = (gpu[i] ?? 0) + (att.byNode.get(e)?.gpuUs ?? 0);
    host[i] = (host[i] ?? 0) + e.dur;
    launch[i] = (launch[i] ?? 0) + nodeHostLaunchUs(e, att);
  }
  const runSel = counted.map((r) => att.runs[r]).filter((r): r is RunGpu => r !== undefined);
  const med = (v: number[]): number => timeStats(v).median / 1000;
  const busy = med(runSel.map((r) => r.busyUs));
  const nodeGpu = med(gpu);
  const runLevel = med(runSel.map((r) => r.runLevelUs));
  const contribution = med(contrib);
  const hostLaunch = med(launch);
  const a = att.alignment;
  const count = (k: GpuActivityKind): number => cap.activities.filter((x) => x.kind === k).length;
  return {
    nodeGpuSumMs: nodeGpu,
    gpuBusyMs: busy,
    gpuSpanMs: med(runSel.map((r) => r.spanUs)),
    attributionRatio: busy > 0 ? nodeGpu / busy : Number.NaN,
    gpuAccountingRatio: busy > 0 ? (nodeGpu + runLevel) / busy : Number.NaN,
    gpuAccountingWithinTenPercent: busy > 0 && Math.abs((nodeGpu + runLevel) / busy - 1) <= 0.1,
    runLevelGpuMs: runLevel,
    hostSumMs: med(host),
    hostLaunchSumMs: hostLaunch,
    contributionSumMs: contribution,
    ratioWithRunLevel: endToEndMs > 0 ? (contribution + runLevel) / endToEndMs : Number.NaN,
    bound: hostLaunch > nodeGpu ? 'launch-bound' : 'gpu-bound',
    modelRunMs: med(runSel.map((r) => r.modelRunUs)),
    records: {
      kernels: count('kernel'),
      memcpys: count('memcpy'),
      memsets: count('memset'),
      launchCalls: a.launches,
      withoutLaunch: att.withoutLaunch,
      outsideRuns: att.outside.count,
      outsideRunsMs: att.outside.us / 1000,
      dropped: cap.end?.dropped ?? 0,
    },
    alignment: {
      windowFrom: a.windowFrom,
      windowUs: (a.windowNs[1] - a.windowNs[0]) / 1000,
      ...(a.runPlateauNs ? { runPlateauUs: (a.runPlateauNs[1] - a.runPlateauNs[0]) / 1000 } : {}),
      plateauUs: (a.plateauNs[1] - a.plateauNs[0]) / 1000,
      launches: a.launches,
      matchedFraction: a.launches > 0 ? a.matched / a.launches : 0,
      validFraction: a.inRuns > 0 ? a.valid / a.inRuns : 0,
      plateaus: a.plateaus,
      stride: a.stride,
      clockDriftUs: att.clock.driftNs / 1000,
      notes: a.notes,
    },
  };
}

/** Per node (by aggregate key): kernel names with count and GPU time per counted run, largest first. */
export function kernelsByNode(trace: ParsedTrace, att: CuptiAttribution, counted: readonly number[], key: (e: TraceNodeEvent) => string, top = 5): Map<string, { name: string; perRun: number; ms: number }[]> {
  const set = new Set(counted);
  const acc = new Map<string, Map<string, { n: number; us: number }>>();
  for (const e of trace.nodes) {
    if (!set.has(e.run)) continue;
    const g = att.byNode.get(e);
    if (!g) continue;
    const k = key(e);
    let m = acc.get(k);
    if (!m) {
      m = new Map();
      acc.set(k, m);
    }
    for (const a of g.activities) {
      const x = m.get(a.name) ?? { n: 0, us: 0 };
      x.n++;
      x.us += a.endUs - a.startUs;
      m.set(a.name, x);
    }
  }
  const out = new Map<string, { name: string; perRun: number; ms: number }[]>();
  const runs = Math.max(1, counted.length);
  for (const [k, m] of acc) {
    out.set(
      k,
      [...m.entries()]
        .map(([name, x]) => ({ name: name.length > 200 ? `${name.slice(0, 199)}…` : name, perRun: x.n / runs, ms: x.us / runs / 1000 }))
        .sort((p, q) => q.ms - p.ms)
        .slice(0, top),
    );
  }
  return out;
}
