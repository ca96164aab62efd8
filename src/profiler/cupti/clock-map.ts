/**
 * Clocks. CUPTI stamps records with its own clock (CLOCK_REALTIME on Linux by default); the library writes
 * (CUPTI, CLOCK_MONOTONIC) pairs read back to back at start and exit, so every record maps onto the monotonic
 * clock. ORT's trace `ts` are microseconds since its profiler started (high_resolution_clock, truncated to
 * whole µs); that start Z is unknown, but the worker brackets it (HostClockMarks): process.hrtime.bigint()
 * (CLOCK_MONOTONIC) just before and after creating the session (Z lies between), and before/after every run()
 * (each `model_run` event [ts, ts+dur] lies inside its bracket, so Z ∈ ∩ [before_i − ts_i − 1 µs, after_i − ts_i − dur_i]).
 * align-capture.ts finds Z.
 */
import { TraceFormatError } from '../../errors.js';
import type { CuptiCapture } from './capture.js';

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
