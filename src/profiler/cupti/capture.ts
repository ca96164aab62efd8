/**
 * The capture file of the 'cupti' method. The node pass runs in a child process with the injection library
 * native/cupti-trace/libcupti_trace.so (CUDA_INJECTION64_PATH, output file WB_CUPTI_OUT): no launch blocking,
 * every kernel/memcpy/memset with its GPU start/end and the correlationId of the runtime or driver call that
 * launched it, plus those calls' host start/end, written as JSON lines. This file parses them.
 */
import { readFileSync } from 'node:fs';
import { TraceFormatError } from '../../errors.js';

export const CUPTI_FORMAT = 'wb-cupti';

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

/** The header line: the capture's format, CUPTI base timestamp and versions. */
function readHeader(cap: CuptiCapture, o: Record<string, unknown>): void {
  const file = cap.file;
  if (o.t !== 'hdr' || o.format !== CUPTI_FORMAT) {
    const expected = `{"t":"hdr","format":"${CUPTI_FORMAT}"}`;
    throw new TraceFormatError(file, 'line 1', `not a ${CUPTI_FORMAT} capture (expected a ${expected} line first)`);
  }
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
}

/** A kernel ('k'), memcpy ('cp') or memset ('ms') record; kernel names come from earlier 'name' lines. */
function gpuActivity(t: 'k' | 'cp' | 'ms', o: Record<string, unknown>, s: number, e: number, nameOf: (id: unknown, fallback: string) => string): GpuActivity {
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
  return a;
}

/** One record after the header, added to the capture (`at`: the line, for errors). Unknown types are ignored. */
function readRecord(cap: CuptiCapture, o: Record<string, unknown>, at: string, names: Map<number, string>): void {
  const file = cap.file;
  const nameOf = (id: unknown, fallback: string): string => {
    const i = int(id);
    return i !== undefined ? (names.get(i) ?? fallback) : fallback;
  };
  const t = o.t;
  const s = int(o.s);
  const e = int(o.e);
  switch (t) {
    case 'clock': {
      const c = big(o.cupti);
      const m = big(o.mono);
      if (c === undefined || m === undefined) throw new TraceFormatError(file, at, 'clock pair without cupti/mono');
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
    case 'ms':
      if (s === undefined || e === undefined) throw new TraceFormatError(file, at, 'GPU record without s/e');
      cap.activities.push(gpuActivity(t, o, s, e, nameOf));
      break;
    case 'api':
      if (s === undefined || e === undefined) throw new TraceFormatError(file, at, 'API record without s/e');
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

/** Parses the JSON-lines output of libcupti_trace.so. A torn last line (killed process) is ignored. */
export function parseCuptiCapture(text: string, file = '<cupti>'): CuptiCapture {
  const lines = text.split('\n');
  const names = new Map<number, string>();
  const cap: CuptiCapture = { file, version: 0, base: 0n, clocks: [], activities: [], apis: [], errors: [], demangled: false };
  let header = false;
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
    if (header) readRecord(cap, o, `line ${li + 1}`, names);
    else {
      readHeader(cap, o);
      header = true;
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
