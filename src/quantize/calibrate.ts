/**
 * Calibration for static int8: activation ranges collected by running the model on ONNX Runtime with the
 * wanted tensors added as graph outputs, one sample at a time.
 *
 * Memory stays bounded: per tensor only running statistics are kept (min, max and, for `percentile` /
 * `entropy`, one fixed histogram of `bins` counts over |x|), never the activations themselves. A run holds
 * one sample's activations of at most `chunkSize` tensors (ORT's own arena aside); larger layer sets are
 * calibrated in chunks of `chunkSize` tensors, re-reading the samples per chunk. Histogram methods take
 * two sweeps over the samples (first the max |x|, then the histogram on that fixed range), so no
 * histogram is ever re-binned. Peak memory ≈ one sample's fetched activations for one chunk +
 * tensors × bins × 8 bytes.
 *
 * Calibration data directory (`--calib <dir>`), files read in name order:
 * - `*.json`: one sample, `{ "<input name>": { "dims": [1, 3, 8, 8], "data": [ … ], "type": "float32" } }`
 *   (`type` defaults to float32; also int64, int32, bool); instead of `data`, `"file": "<path>"` names a
 *   raw little-endian file of that type, relative to the directory (what `workbench run --record-inputs`
 *   writes, into a `data/` subfolder);
 * - `*.bin`: raw little-endian float32. `<sample>.bin` when the model has one input (dims from its declared
 *   shape); `<sample>@<input name>.bin` per input otherwise (files with the same `<sample>` form one sample).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { Model } from '../onnx/types.js';
import type { HostTensor } from '../runtime/index.js';
import { openSession, toFloat32, withExtraOutputs, adaptFeeds, type Feeds } from './execute.js';
import type { TensorRange } from './int8.js';

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

export interface CalibrateOptions {
  /** Range method (default 'minmax'). */
  method?: CalibrationMethod;
  /** Percentile of |x| for 'percentile' (default 99.99). */
  percentile?: number;
  /** Histogram bins for 'percentile' / 'entropy' (default 2048). */
  bins?: number;
  /** Tensors per calibration run (default 64); more tensors are calibrated in chunks. */
  chunkSize?: number;
}

export const CALIBRATE_DEFAULTS: Required<CalibrateOptions> = { method: 'minmax', percentile: 99.99, bins: 2048, chunkSize: 64 };

/** A re-readable source of samples (read once per sweep and chunk; never held all at once). */
export interface SampleSource {
  count: number;
  get(i: number): Feeds;
}

export function feedsSource(feeds: Feeds[]): SampleSource {
  return { count: feeds.length, get: (i) => feeds[i] as Feeds };
}

/** Collects ranges for `tensors` (value names) over the samples. */
export async function calibrate(model: Model, tensors: string[], samples: SampleSource, options: CalibrateOptions = {}): Promise<Record<string, TensorRange>> {
  const o = { ...CALIBRATE_DEFAULTS, ...options };
  if (samples.count === 0) throw new UsageError('calibration needs at least one sample');
  const ranges: Record<string, TensorRange> = {};
  for (let c = 0; c < tensors.length; c += o.chunkSize) {
    const chunk = tensors.slice(c, c + o.chunkSize);
    const { model: aug, added } = withExtraOutputs(model, chunk);
    const fetch = chunk.filter((n) => added.includes(n) || model.graph.outputs.some((v) => v.name === n) || model.graph.inputs.some((v) => v.name === n));
    const outNames = fetch.filter((n) => !model.graph.inputs.some((v) => v.name === n));
    const s = await openSession(aug, 'cpu');
    try {
      const mins = new Map<string, number>();
      const maxs = new Map<string, number>();
      const each = async (fn: (name: string, x: Float32Array) => void): Promise<void> => {
        for (let i = 0; i < samples.count; i++) {
          const feeds = samples.get(i);
          const r = outNames.length ? await s.run(adaptFeeds(aug, feeds), outNames) : {};
          for (const name of fetch) {
            const t = r[name] ?? feeds[name];
            if (t) fn(name, toFloat32(t));
          }
        }
      };
      await each((name, x) => {
        let lo = mins.get(name) ?? Infinity;
        let hi = maxs.get(name) ?? -Infinity;
        for (let i = 0; i < x.length; i++) {
          const v = x[i] as number;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        mins.set(name, lo);
        maxs.set(name, hi);
      });
      if (o.method === 'minmax') {
        for (const n of fetch) ranges[n] = { min: mins.get(n) ?? 0, max: maxs.get(n) ?? 0 };
        continue;
      }
      const hists = new Map<string, Float64Array>();
      const absMax = (n: string): number => Math.max(Math.abs(mins.get(n) ?? 0), Math.abs(maxs.get(n) ?? 0));
      await each((name, x) => {
        let h = hists.get(name);
        if (!h) hists.set(name, (h = new Float64Array(o.bins)));
        const a = absMax(name);
        if (a === 0) return;
        const k = o.bins / a;
        for (let i = 0; i < x.length; i++) {
          const b = Math.min(o.bins - 1, Math.floor(Math.abs(x[i] as number) * k));
          h[b] = (h[b] as number) + 1;
        }
      });
      for (const n of fetch) {
        const a = absMax(n);
        const h = hists.get(n);
        const t = !h || a === 0 ? a : o.method === 'percentile' ? percentileThreshold(h, a, o.percentile) : entropyThreshold(h, a);
        ranges[n] = { min: Math.max(mins.get(n) ?? 0, -t), max: Math.min(maxs.get(n) ?? 0, t) };
      }
    } finally {
      await s.release();
    }
  }
  return ranges;
}

/** |x| threshold below which `pct`% of the values lie (upper edge of the bin that reaches it). */
export function percentileThreshold(hist: Float64Array, absMax: number, pct: number): number {
  let total = 0;
  for (const c of hist) total += c;
  const target = (total * pct) / 100;
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    acc += hist[i] as number;
    if (acc >= target) return ((i + 1) / hist.length) * absMax;
  }
  return absMax;
}

/**
 * KL-divergence threshold (TensorRT's entropy calibration): for each candidate cut i ≥ 128 bins, the
 * reference P is the histogram up to i with the tail folded into the last bin, Q is P squeezed into 128
 * levels and expanded back; the cut with the smallest KL(P‖Q) wins.
 */
export function entropyThreshold(hist: Float64Array, absMax: number, levels = 128): number {
  const bins = hist.length;
  if (bins <= levels) return absMax;
  let best = bins;
  let bestKl = Infinity;
  const step = Math.max(1, Math.floor((bins - levels) / 256));
  for (let i = levels; i <= bins; i += step) {
    const p = new Float64Array(i);
    for (let k = 0; k < i; k++) p[k] = hist[k] as number;
    let tail = 0;
    for (let k = i; k < bins; k++) tail += hist[k] as number;
    p[i - 1] = (p[i - 1] as number) + tail;
    const q = new Float64Array(i);
    const per = i / levels;
    for (let l = 0; l < levels; l++) {
      const start = Math.floor(l * per);
      const end = Math.max(start + 1, Math.floor((l + 1) * per));
      let sum = 0;
      let nz = 0;
      for (let k = start; k < end; k++) {
        sum += hist[k] as number;
        if ((hist[k] as number) > 0) nz++;
      }
      for (let k = start; k < end; k++) if ((hist[k] as number) > 0) q[k] = sum / nz;
    }
    let ps = 0;
    let qs = 0;
    for (let k = 0; k < i; k++) {
      ps += p[k] as number;
      qs += q[k] as number;
    }
    if (ps === 0 || qs === 0) continue;
    let kl = 0;
    for (let k = 0; k < i; k++) {
      const pk = (p[k] as number) / ps;
      if (pk === 0) continue;
      const qk = (q[k] as number) / qs;
      kl += qk > 0 ? pk * Math.log(pk / qk) : pk * 20;
    }
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return (best / bins) * absMax;
}

const TYPES: Record<string, HostTensor['type']> = { float32: 'float32', float: 'float32', int64: 'int64', int32: 'int32', bool: 'bool', float16: 'float32' };

const BYTES: Partial<Record<HostTensor['type'], number>> = { float32: 4, int64: 8, int32: 4, bool: 1 };

/** A raw little-endian tensor file named by a JSON sample (`file`), checked against its dims and type. */
function readRaw(dir: string, sample: string, name: string, file: string, type: HostTensor['type'], dims: number[]): HostTensor['data'] {
  const path = join(dir, file);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    throw new UsageError(`${sample}: input '${name}': data file '${file}' cannot be read`);
  }
  const n = dims.reduce((a, b) => a * b, 1);
  const size = BYTES[type] ?? 4;
  if (buf.length !== n * size) throw new UsageError(`${path}: ${buf.length} bytes, expected ${n * size} (${type} of shape [${dims.join(', ')}])`);
  const copy = new Uint8Array(buf.length);
  copy.set(buf);
  return type === 'int64'
    ? new BigInt64Array(copy.buffer)
    : type === 'int32'
      ? new Int32Array(copy.buffer)
      : type === 'bool'
        ? copy
        : new Float32Array(copy.buffer);
}

/** Reads a calibration directory (format in the module docs) as a lazily loaded sample source. */
export function loadCalibrationDir(dir: string, model: Model): SampleSource {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.json') || f.endsWith('.bin'))
      .sort();
  } catch {
    throw new UsageError(`calibration directory '${dir}' cannot be read`);
  }
  const inputs = model.graph.inputs.filter((v) => !v.initializer);
  const groups = new Map<string, string[]>();
  for (const f of files) {
    const key = f.endsWith('.json') ? f : f.includes('@') ? f.slice(0, f.indexOf('@')) : f;
    const l = groups.get(key);
    if (l) l.push(f);
    else groups.set(key, [f]);
  }
  const keys = [...groups.keys()];
  if (keys.length === 0) throw new UsageError(`calibration directory '${dir}' has no .json or .bin files`);
  const declaredDims = (name: string): number[] => {
    const v = inputs.find((x) => x.name === name);
    const shape = v?.tensorType?.shape;
    if (!shape || shape.some((d) => typeof d !== 'number'))
      throw new UsageError(`input '${name}' has no fully known shape; use .json calibration files with dims`);
    return shape as number[];
  };
  return {
    count: keys.length,
    get(i) {
      const key = keys[i] as string;
      const list = groups.get(key) ?? [];
      const feeds: Feeds = {};
      for (const f of list) {
        const path = join(dir, f);
        if (f.endsWith('.json')) {
          const obj = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { dims: number[]; data?: number[]; file?: string; type?: string }>;
          for (const [name, t] of Object.entries(obj)) {
            const type = TYPES[t.type ?? 'float32'];
            if (!type) throw new UsageError(`${path}: input '${name}': unsupported type '${t.type}'`);
            const data =
              t.file !== undefined
                ? readRaw(dir, path, name, t.file, type, t.dims)
                : type === 'int64'
                  ? BigInt64Array.from(t.data ?? [], (x) => BigInt(x))
                  : type === 'int32'
                    ? Int32Array.from(t.data ?? [])
                    : type === 'bool'
                      ? Uint8Array.from(t.data ?? [])
                      : Float32Array.from(t.data ?? []);
            feeds[name] = { type, dims: t.dims, data };
          }
        } else {
          const name = f.includes('@') ? f.slice(f.indexOf('@') + 1, -4) : inputs.length === 1 ? (inputs[0]?.name as string) : '';
          if (!name) throw new UsageError(`${path}: the model has ${inputs.length} inputs; name .bin files <sample>@<input>.bin`);
          const buf = readFileSync(path);
          const dims = declaredDims(name);
          const n = dims.reduce((a, b) => a * b, 1);
          if (statSync(path).size !== n * 4) throw new UsageError(`${path}: ${buf.length} bytes, expected ${n * 4} (float32 of shape [${dims.join(', ')}])`);
          const data = new Float32Array(n);
          new Uint8Array(data.buffer).set(buf);
          feeds[name] = { type: 'float32', dims, data };
        }
      }
      return feeds;
    },
  };
}
