/**
 * Parses ONNX Runtime's profiling trace (a JSON array of Chrome-trace "X" events, see
 * shared/reference/anchors.md §2.6) into typed node, kernel and run records. Tolerates older builds that
 * write `exec_plan_index`/`graph_index` instead of `node_index`, files whose events are not sorted, and
 * traces with CUPTI `Kernel` events (attached to the node record they follow).
 */
import { readFileSync } from 'node:fs';
import { TraceFormatError } from '../errors.js';

/** One tensor of a node's `input_type_shape` / `output_type_shape`: element type name as ORT writes it, and dims. */
export interface TraceShape {
  type: string;
  dims: number[];
}

/** A CUDA kernel or GPU memcpy event (category `Kernel`, only in builds with CUDA profiling). */
export interface TraceKernelEvent {
  name: string;
  ts: number;
  dur: number;
  opName?: string;
  stream?: number;
  grid?: [number, number, number];
  block?: [number, number, number];
}

/** One execution of one node: the `<node>_kernel_time` event. Times in microseconds. */
export interface TraceNodeEvent {
  /** Position among the file's events. */
  seq: number;
  /** Graph node name (the event name without `_kernel_time`). */
  name: string;
  opType: string;
  provider: string;
  nodeIndex?: number;
  /** Older builds: index in the execution plan and in the graph. */
  execPlanIndex?: number;
  graphIndex?: number;
  ts: number;
  dur: number;
  tid: number;
  activationBytes?: number;
  parameterBytes?: number;
  outputBytes?: number;
  inputShapes: (TraceShape | undefined)[];
  outputShapes: (TraceShape | undefined)[];
  /** `mem_*` fields (bytes), when the build writes them. */
  mem: Record<string, number>;
  /** Index into {@link ParsedTrace.runs}, or −1 when the event lies in no `model_run`. */
  run: number;
  /** CUPTI kernels attributed to this execution. */
  kernels: TraceKernelEvent[];
}

/** One `Run()` call: the `model_run` session event. */
export interface TraceRun {
  index: number;
  ts: number;
  dur: number;
  /** Duration of its `SequentialExecutor::Execute` event, when present. */
  executeDur?: number;
}

export interface ParsedTrace {
  file: string;
  eventCount: number;
  runs: TraceRun[];
  /** Node executions in time order. */
  nodes: TraceNodeEvent[];
  /** All `Kernel` events (also those attached to nodes). */
  kernels: TraceKernelEvent[];
  hasKernelEvents: boolean;
  /** `model_loading_*` and `session_initialization` durations (µs). */
  loadUs?: number;
  sessionInitUs?: number;
  /** Which index field the node events carry. */
  indexFormat: 'node_index' | 'exec_plan_index' | 'none';
  /** ORT caps a session at 1,000,000 events by default; a trace that large was probably truncated. */
  possiblyTruncated: boolean;
}

const MAX_EVENTS = 1_000_000;

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function shapes(v: unknown, file: string, field: string): (TraceShape | undefined)[] {
  let arr = v;
  if (typeof v === 'string') {
    if (v === '') return [];
    try {
      arr = JSON.parse(v);
    } catch {
      throw new TraceFormatError(file, field, `not a JSON array: ${v.slice(0, 80)}`);
    }
  }
  if (arr === undefined) return [];
  if (!Array.isArray(arr)) throw new TraceFormatError(file, field, 'expected an array of {type: dims} objects');
  return arr.map((entry): TraceShape | undefined => {
    if (!entry || typeof entry !== 'object') return undefined;
    const keys = Object.keys(entry as object);
    const type = keys[0];
    if (keys.length !== 1 || type === undefined) return undefined;
    const dims = (entry as Record<string, unknown>)[type];
    if (!Array.isArray(dims)) return undefined;
    return { type, dims: dims.map((d) => Number(d)) };
  });
}

function triple(a: Record<string, unknown>, p: string): [number, number, number] | undefined {
  const x = num(a[`${p}_x`]);
  const y = num(a[`${p}_y`]);
  const z = num(a[`${p}_z`]);
  return x === undefined || y === undefined || z === undefined ? undefined : [x, y, z];
}

/** Reads and parses a trace file. */
export function readTrace(file: string): ParsedTrace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TraceFormatError(file, 'file', `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseTrace(text, file);
}

/** The events of a trace file: a JSON array or {traceEvents}; a torn file (killed process) is closed once. */
function traceEvents(text: string, file: string): unknown[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    // A process killed while writing leaves no closing bracket: try once more with it.
    try {
      raw = JSON.parse(`${text.trimEnd().replace(/,\s*$/, '')}]`);
    } catch {
      throw new TraceFormatError(file, 'json', `not valid JSON: ${(e as Error).message}`);
    }
  }
  const events = Array.isArray(raw) ? raw : (raw as { traceEvents?: unknown })?.traceEvents;
  if (!Array.isArray(events)) throw new TraceFormatError(file, 'root', 'expected a JSON array of trace events (or {traceEvents: [...]})');
  return events;
}

/** A node's `_kernel_time` event (event i), and which index field named it ('node_index' wins over the others). */
function nodeEvent(
  e: Record<string, unknown>,
  args: Record<string, unknown>,
  at: { i: number; name: string; ts: number; dur: number; file: string },
): { node: TraceNodeEvent; index?: 'node_index' | 'exec_plan_index' } {
  const { i, name, ts, dur, file } = at;
  const opType = typeof args.op_name === 'string' ? args.op_name : '';
  if (!opType) throw new TraceFormatError(file, `event[${i}] ('${name}').args.op_name`, 'missing');
  const n: TraceNodeEvent = {
    seq: i,
    name: name.slice(0, -'_kernel_time'.length),
    opType,
    provider: typeof args.provider === 'string' ? args.provider : 'unknown',
    ts,
    dur,
    tid: num(e.tid) ?? 0,
    inputShapes: shapes(args.input_type_shape, file, `event[${i}] ('${name}').args.input_type_shape`),
    outputShapes: shapes(args.output_type_shape, file, `event[${i}] ('${name}').args.output_type_shape`),
    mem: {},
    run: -1,
    kernels: [],
  };
  let index: 'node_index' | 'exec_plan_index' | undefined;
  const ni = num(args.node_index);
  const epi = num(args.exec_plan_index);
  const gi = num(args.graph_index);
  if (ni !== undefined) {
    n.nodeIndex = ni;
    index = 'node_index';
  }
  if (epi !== undefined) n.execPlanIndex = epi;
  if (gi !== undefined) n.graphIndex = gi;
  if (ni === undefined && (epi !== undefined || gi !== undefined)) {
    n.nodeIndex = gi ?? epi;
    index = 'exec_plan_index';
  }
  const act = num(args.activation_size);
  const par = num(args.parameter_size);
  const outb = num(args.output_size);
  if (act !== undefined) n.activationBytes = act;
  if (par !== undefined) n.parameterBytes = par;
  if (outb !== undefined) n.outputBytes = outb;
  for (const [k, v] of Object.entries(args)) {
    if (!k.startsWith('mem_')) continue;
    const x = num(v);
    if (x !== undefined) n.mem[k] = x;
  }
  return index ? { node: n, index } : { node: n };
}

/** A CUPTI `Kernel` event of ORT's own GPU profiler. */
function kernelEvent(name: string, ts: number, dur: number, args: Record<string, unknown>): TraceKernelEvent {
  const k: TraceKernelEvent = { name, ts, dur };
  if (typeof args.op_name === 'string') k.opName = args.op_name;
  const stream = num(args.stream);
  if (stream !== undefined) k.stream = stream;
  const grid = triple(args, 'grid');
  const block = triple(args, 'block');
  if (grid) k.grid = grid;
  if (block) k.block = block;
  return k;
}

/** Orders runs and nodes, gives each run its executor time and each node execution the model_run containing it. */
function assignRuns(runs: TraceRun[], executes: readonly { ts: number; dur: number }[], nodes: TraceNodeEvent[]): void {
  runs.sort((a, b) => a.ts - b.ts);
  runs.forEach((r, i) => {
    r.index = i;
    const ex = executes.find((x) => x.ts >= r.ts && x.ts + x.dur <= r.ts + r.dur + 1);
    if (ex) r.executeDur = ex.dur;
  });
  nodes.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  // Assign each node execution to the model_run that contains it (binary search on start times).
  for (const n of nodes) {
    let lo = 0;
    let hi = runs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = runs[mid] as TraceRun;
      if (r.ts <= n.ts) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const r = found >= 0 ? runs[found] : undefined;
    // 1 µs slack: ts and dur are rounded to whole microseconds.
    if (r && n.ts <= r.ts + r.dur + 1) n.run = found;
  }
}

/** Parses the text of a trace; `file` names it in errors. */
export function parseTrace(text: string, file = '<trace>'): ParsedTrace {
  const events = traceEvents(text, file);
  const runs: TraceRun[] = [];
  const executes: { ts: number; dur: number }[] = [];
  const nodes: TraceNodeEvent[] = [];
  const kernels: TraceKernelEvent[] = [];
  let loadUs: number | undefined;
  let sessionInitUs: number | undefined;
  let indexFormat: ParsedTrace['indexFormat'] = 'none';
  let lastNode: TraceNodeEvent | undefined;

  events.forEach((ev: unknown, i: number) => {
    if (!ev || typeof ev !== 'object') throw new TraceFormatError(file, `event[${i}]`, 'not an object');
    const e = ev as Record<string, unknown>;
    const cat = typeof e.cat === 'string' ? e.cat : '';
    const name = typeof e.name === 'string' ? e.name : '';
    const ts = num(e.ts);
    const dur = num(e.dur);
    if (ts === undefined || dur === undefined) {
      if (e.ph === 'X' || cat === 'Node' || cat === 'Kernel') throw new TraceFormatError(file, `event[${i}] ('${name}')`, 'missing numeric ts/dur');
      return;
    }
    const args = (e.args && typeof e.args === 'object' ? e.args : {}) as Record<string, unknown>;
    if (cat === 'Session') {
      if (name === 'model_run') runs.push({ index: -1, ts, dur });
      else if (name === 'SequentialExecutor::Execute') executes.push({ ts, dur });
      else if (name.startsWith('model_loading')) loadUs = dur;
      else if (name === 'session_initialization') sessionInitUs = dur;
      return;
    }
    if (cat === 'Node') {
      if (!name.endsWith('_kernel_time')) return; // fence_before / fence_after
      const { node, index } = nodeEvent(e, args, { i, name, ts, dur, file });
      if (index === 'node_index') indexFormat = 'node_index';
      else if (index === 'exec_plan_index' && indexFormat === 'none') indexFormat = 'exec_plan_index';
      nodes.push(node);
      lastNode = node;
      return;
    }
    if (cat === 'Kernel') {
      const k = kernelEvent(name, ts, dur, args);
      kernels.push(k);
      // ORT's GPUProfilerBase::MergeEvents inserts a node's kernels right after its record.
      if (lastNode && (k.opName === undefined || k.opName === lastNode.opType || k.opName === lastNode.name)) lastNode.kernels.push(k);
    }
  });
  assignRuns(runs, executes, nodes);
  const t: ParsedTrace = {
    file,
    eventCount: events.length,
    runs,
    nodes,
    kernels,
    hasKernelEvents: kernels.length > 0,
    indexFormat,
    possiblyTruncated: events.length >= MAX_EVENTS,
  };
  if (loadUs !== undefined) t.loadUs = loadUs;
  if (sessionInitUs !== undefined) t.sessionInitUs = sessionInitUs;
  return t;
}
