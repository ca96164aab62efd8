/**
 * Ranking of sweep results: the Pareto front of end-to-end RTF against quality (frame PSNR, SSIM, audio
 * distance), constraint filters, and for each variant the why: which roles and op types got faster than
 * the baseline and what it costs in memory and quality. Unlike a lexicographic sort (Olive's
 * `SearchResults.sort`), no single objective dominates, and a variant that misses a constraint is still
 * listed with the constraint it misses.
 */
import { DB_CAP } from '../runner/quality.js';
import type { OpTypeTime, VariantResult } from './types.js';

/**
 * Frame PSNR of an output identical to the baseline's (the baseline itself); finite so it plots and serializes.
 * The runner's one dB cap, so results, run.json, the gate and the report agree.
 */
export const PSNR_IDENTICAL = DB_CAP;

export interface RankConstraints {
  maxRtf?: number;
  minPsnr?: number;
  minSsim?: number;
  maxAudioDistance?: number;
}

/**
 * The quality every variant must keep against the FP32 baseline before it can be on the front or ranked:
 * a floor, unlike the constraints, which only filter the ranking. A variant under it is listed as
 * infeasible with the reason ('frame PSNR 15.2 dB < 30 dB floor').
 */
export interface QualityFloor {
  /** Mean frame PSNR against the baseline's frames (dB). */
  minPsnr?: number;
  /** Mean SSIM against the baseline's frames. */
  minSsim?: number;
  /** Log-mel spectral distance against the baseline's audio (dB). */
  maxAudioDistance?: number;
}

/**
 * Defaults (docs/SWEEP.md §Quality floor): looser than the gate's (35 dB, 0.95, 1.0 dB), which judges a
 * change meant to keep outputs; the floor only keeps a visibly broken variant from being crowned. 30 dB is
 * the usual line under which compression artefacts are plainly visible; SSIM 0.90 the structural
 * counterpart; a log-mel distance of 1.5 dB is about where a rewrite starts to sound different.
 */
export const DEFAULT_QUALITY_FLOOR: Readonly<Required<QualityFloor>> = { minPsnr: 30, minSsim: 0.9, maxAudioDistance: 1.5 };

/** A spec's `qualityFloor` over the defaults: false = none; a null field turns that one off. */
export function resolveQualityFloor(
  spec: false | { minPsnr?: number | null; minSsim?: number | null; maxAudioDistance?: number | null } | undefined,
): QualityFloor {
  if (spec === false) return {};
  const out: QualityFloor = {};
  for (const k of ['minPsnr', 'minSsim', 'maxAudioDistance'] as const) {
    const v = spec?.[k] === undefined ? DEFAULT_QUALITY_FLOOR[k] : spec[k];
    if (v !== null && v !== undefined) out[k] = v;
  }
  return out;
}

/** One objective of the Pareto front: how to read it from a point and which way is better. */
export interface Objective<P> {
  name: string;
  value: (p: P) => number | undefined;
  better: 'lower' | 'higher';
}

/**
 * Indices of the non-dominated points. A point dominates another when it is at least as good on every
 * objective both have and strictly better on one; an objective a point lacks counts as its worst value.
 */
export function paretoFront<P>(points: readonly P[], objectives: readonly Objective<P>[]): number[] {
  const score = (p: P, o: Objective<P>): number => {
    const v = o.value(p);
    if (v === undefined || Number.isNaN(v)) return Number.NEGATIVE_INFINITY;
    return o.better === 'higher' ? v : -v;
  };
  const scores = points.map((p) => objectives.map((o) => score(p, o)));
  const front: number[] = [];
  for (let i = 0; i < points.length; i++) {
    const a = scores[i] ?? [];
    let dominated = false;
    for (let j = 0; j < points.length && !dominated; j++) {
      if (i === j) continue;
      const b = scores[j] ?? [];
      let allGe = true;
      let oneGt = false;
      for (let k = 0; k < objectives.length; k++) {
        const x = a[k] ?? Number.NEGATIVE_INFINITY;
        const y = b[k] ?? Number.NEGATIVE_INFINITY;
        if (y < x) allGe = false;
        if (y > x) oneGt = true;
      }
      if (allGe && oneGt) dominated = true;
    }
    if (!dominated) front.push(i);
  }
  return front;
}

export interface RoleDelta {
  role: string;
  baselineSeconds: number;
  seconds: number;
  /** seconds − baselineSeconds (negative = faster). */
  deltaSeconds: number;
}

export interface OpTypeDelta {
  opType: string;
  baselineSeconds: number;
  seconds: number;
  deltaSeconds: number;
}

/** Why a variant is where it is, relative to the baseline. */
export interface Explanation {
  speedup: number | undefined;
  /** Roles sorted by delta, biggest saving first. */
  roles: RoleDelta[];
  /** Op types (summed over roles) sorted by delta, biggest saving first; empty without profiles. */
  opTypes: OpTypeDelta[];
  peakRssDeltaBytes: number | undefined;
  modelBytesDelta: number | undefined;
  gpuBytesDelta: number | undefined;
  /** One sentence: faster roles, faster op types, memory cost. */
  text: string;
}

export interface RankedVariant {
  id: string;
  name: string;
  baseline: boolean;
  status: 'ok' | 'error';
  error?: string;
  rtf: number | undefined;
  psnr: number | undefined;
  psnrWorst: number | undefined;
  ssim: number | undefined;
  audioDistance: number | undefined;
  audioSnr: number | undefined;
  peakRssBytes: number | undefined;
  modelBytes: number | undefined;
  onFront: boolean;
  /** Constraints this variant misses, as 'rtf 1.20 > 1' lines; empty = feasible. */
  violations: string[];
  /** Quality-floor misses, as 'frame PSNR 15.2 dB < 30 dB floor' (also in `violations`); never on the front. */
  belowFloor: string[];
  /** 1-based rank among feasible variants, undefined when infeasible or failed. */
  rank: number | undefined;
  why: Explanation;
}

export interface Ranking {
  constraints: RankConstraints;
  /** The quality floor applied (empty = none). */
  floor: QualityFloor;
  /** Ranked first (feasible: front first, then by RTF), then infeasible, then failed variants. */
  variants: RankedVariant[];
  /** Ids on the Pareto front (over the successful variants that meet the quality floor; constraints ignored). */
  front: string[];
  baselineId: string | undefined;
}

function quality(r: VariantResult): { psnr?: number; psnrWorst?: number; ssim?: number; audio?: number; snr?: number } {
  if (r.baseline) return { psnr: PSNR_IDENTICAL, psnrWorst: PSNR_IDENTICAL, ssim: 1, audio: 0 };
  const q = r.metrics?.quality ?? {};
  const cap = (v: number | undefined): number | undefined =>
    v === undefined || v === null ? undefined : Number.isFinite(v) ? Math.min(v, PSNR_IDENTICAL) : PSNR_IDENTICAL;
  const out: { psnr?: number; psnrWorst?: number; ssim?: number; audio?: number; snr?: number } = {};
  const psnr = cap(q.framePsnrMean);
  if (psnr !== undefined) out.psnr = psnr;
  const worst = cap(q.framePsnrWorst);
  if (worst !== undefined) out.psnrWorst = worst;
  if (q.ssimMean !== undefined && q.ssimMean !== null) out.ssim = q.ssimMean;
  if (q.logMelDistance !== undefined && q.logMelDistance !== null) out.audio = q.logMelDistance;
  if (q.audioSnr !== undefined && q.audioSnr !== null) out.snr = q.audioSnr;
  return out;
}

function opTypeTotals(list: readonly OpTypeTime[] | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const o of list ?? []) m.set(o.opType, (m.get(o.opType) ?? 0) + o.seconds);
  return m;
}

const ms = (s: number): string => `${s < 0 ? '−' : '+'}${Math.abs(s * 1000).toFixed(Math.abs(s) < 0.01 ? 2 : 1)} ms`;
const mb = (b: number): string => `${b < 0 ? '−' : '+'}${(Math.abs(b) / 2 ** 20).toFixed(1)} MiB`;

/** Compares a variant's per-role, per-op-type and memory numbers with the baseline's. */
/** What a variant's renderGraph / renderBatch / diffusionLoop settings change, in words ('' when none). */
export function dittoCallsText(v: { renderGraph?: boolean | 'baked'; renderBatch?: number; diffusionLoop?: boolean | 'unrolled' }): string {
  const parts: string[] = [];
  if (v.renderGraph) parts.push(v.renderGraph === 'baked' ? 'one renderer graph with the source baked in' : 'one renderer graph (stitch + warp + decoder)');
  if (v.renderBatch !== undefined && v.renderBatch > 1) parts.push(`${v.renderBatch} frames per render call`);
  if (v.diffusionLoop) parts.push(v.diffusionLoop === 'unrolled' ? 'LMDM as one call per window (steps unrolled)' : 'LMDM as one loop call per window');
  return parts.join(', ');
}

export function explain(r: VariantResult, base: VariantResult | undefined): Explanation {
  const m = r.metrics;
  const b = base?.metrics;
  if (!m || !b || r.id === base?.id) {
    return {
      speedup: m && b ? 1 : undefined,
      roles: [],
      opTypes: [],
      peakRssDeltaBytes: undefined,
      modelBytesDelta: undefined,
      gpuBytesDelta: undefined,
      text: r.baseline ? 'the FP32 reference' : 'no baseline to compare with',
    };
  }
  const speedup = m.rtf > 0 ? b.rtf / m.rtf : undefined;
  const baseRoles = new Map(b.roles.map((x) => [x.role, x.seconds]));
  const roleNames = new Set([...baseRoles.keys(), ...m.roles.map((x) => x.role)]);
  const mine = new Map(m.roles.map((x) => [x.role, x.seconds]));
  const roles: RoleDelta[] = [...roleNames]
    .map((role) => {
      const bs = baseRoles.get(role) ?? 0;
      const s = mine.get(role) ?? 0;
      return { role, baselineSeconds: bs, seconds: s, deltaSeconds: s - bs };
    })
    .sort((x, y) => x.deltaSeconds - y.deltaSeconds);
  let opTypes: OpTypeDelta[] = [];
  if (m.profile && b.profile) {
    const bo = opTypeTotals(b.profile.opTypes);
    const mo = opTypeTotals(m.profile.opTypes);
    opTypes = [...new Set([...bo.keys(), ...mo.keys()])]
      .map((opType) => {
        const bs = bo.get(opType) ?? 0;
        const s = mo.get(opType) ?? 0;
        return { opType, baselineSeconds: bs, seconds: s, deltaSeconds: s - bs };
      })
      .sort((x, y) => x.deltaSeconds - y.deltaSeconds);
  }
  const diff = (x: number | undefined, y: number | undefined): number | undefined => (x !== undefined && y !== undefined ? x - y : undefined);
  const peakRssDeltaBytes = diff(m.memory.peakRssBytes, b.memory.peakRssBytes);
  const modelBytesDelta = diff(m.memory.modelBytes, b.memory.modelBytes);
  const gpuBytesDelta = diff(m.memory.gpuBytes, b.memory.gpuBytes);
  const parts: string[] = [];
  if (speedup !== undefined) parts.push(`${speedup >= 1 ? `${speedup.toFixed(2)}× faster` : `${(1 / speedup).toFixed(2)}× slower`} end to end`);
  const total = Math.abs(b.wallSeconds) || 1;
  const notable = (d: number): boolean => Math.abs(d) >= 0.02 * total;
  const faster = roles.filter((x) => x.deltaSeconds < 0 && notable(x.deltaSeconds)).slice(0, 3);
  const slower = roles
    .filter((x) => x.deltaSeconds > 0 && notable(x.deltaSeconds))
    .reverse()
    .slice(0, 2);
  if (faster.length) parts.push(`faster: ${faster.map((x) => `${x.role} ${ms(x.deltaSeconds)}`).join(', ')}`);
  if (slower.length) parts.push(`slower: ${slower.map((x) => `${x.role} ${ms(x.deltaSeconds)}`).join(', ')}`);
  const fasterOps = opTypes.filter((x) => x.deltaSeconds < 0).slice(0, 3);
  if (fasterOps.length) parts.push(`op types: ${fasterOps.map((x) => `${x.opType} ${ms(x.deltaSeconds)}`).join(', ')}`);
  const mem: string[] = [];
  if (peakRssDeltaBytes !== undefined) mem.push(`peak RSS ${mb(peakRssDeltaBytes)}`);
  if (gpuBytesDelta !== undefined) mem.push(`GPU ${mb(gpuBytesDelta)}`);
  if (modelBytesDelta !== undefined) mem.push(`weights ${mb(modelBytesDelta)}`);
  if (mem.length) parts.push(`memory: ${mem.join(', ')}`);
  // The resolved settings: spec-wide defaults and grid axes included, not only the variant's own fields.
  const calls = dittoCallsText(r.settings ?? r.spec);
  if (calls) {
    // Fewer, larger calls trade time to first frame: a batch's first frame is out only when the batch is done.
    const ttff =
      m.ttffSeconds !== undefined && b.ttffSeconds !== undefined
        ? `, time to first frame ${m.ttffSeconds >= b.ttffSeconds ? '+' : ''}${ms(m.ttffSeconds - b.ttffSeconds)}`
        : '';
    parts.push(`Ditto calls: ${calls}${ttff}`);
  }
  return { speedup, roles, opTypes, peakRssDeltaBytes, modelBytesDelta, gpuBytesDelta, text: parts.join('; ') };
}

function violations(v: Pick<RankedVariant, 'rtf' | 'psnr' | 'ssim' | 'audioDistance'>, c: RankConstraints): string[] {
  const out: string[] = [];
  const check = (name: string, value: number | undefined, limit: number | undefined, dir: 'max' | 'min'): void => {
    if (limit === undefined) return;
    if (value === undefined) out.push(`${name} unknown (${dir} ${limit})`);
    else if (dir === 'max' ? value > limit : value < limit) out.push(`${name} ${value.toFixed(3)} ${dir === 'max' ? '>' : '<'} ${limit}`);
  };
  check('rtf', v.rtf, c.maxRtf, 'max');
  check('psnr', v.psnr, c.minPsnr, 'min');
  check('ssim', v.ssim, c.minSsim, 'min');
  check('audio distance', v.audioDistance, c.maxAudioDistance, 'max');
  return out;
}

/** The floor's misses of one variant; an unknown figure under a floor counts as a miss. */
export function floorViolations(v: Pick<RankedVariant, 'psnr' | 'ssim' | 'audioDistance'>, f: QualityFloor): string[] {
  const out: string[] = [];
  const check = (label: string, value: number | undefined, limit: number | undefined, dir: 'max' | 'min', digits: number, unit: string): void => {
    if (limit === undefined) return;
    if (value === undefined) out.push(`${label} not measured (${dir === 'min' ? '≥' : '≤'} ${limit}${unit} floor)`);
    else if (dir === 'max' ? value > limit : value < limit)
      out.push(`${label} ${value.toFixed(digits)}${unit} ${dir === 'max' ? '>' : '<'} ${limit}${unit} floor`);
  };
  check('frame PSNR', v.psnr, f.minPsnr, 'min', 1, ' dB');
  check('SSIM', v.ssim, f.minSsim, 'min', 3, '');
  check('audio log-mel distance', v.audioDistance, f.maxAudioDistance, 'max', 2, ' dB');
  return out;
}

/**
 * Ranks sweep results against the baseline under `constraints`; variants under the quality `floor` are
 * infeasible and off the front (no floor by default here; the report applies DEFAULT_QUALITY_FLOOR).
 */
export function rankResults(results: readonly VariantResult[], constraints: RankConstraints = {}, floor: QualityFloor = {}): Ranking {
  const base = results.find((r) => r.baseline && r.status === 'ok');
  const rows: RankedVariant[] = results.map((r) => {
    const q = quality(r);
    const row: RankedVariant = {
      id: r.id,
      name: r.name,
      baseline: r.baseline,
      status: r.status,
      rtf: r.metrics?.rtf,
      psnr: q.psnr,
      psnrWorst: q.psnrWorst,
      ssim: q.ssim,
      audioDistance: q.audio,
      audioSnr: q.snr,
      peakRssBytes: r.metrics?.memory.peakRssBytes,
      modelBytes: r.metrics?.memory.modelBytes,
      onFront: false,
      violations: [],
      belowFloor: [],
      rank: undefined,
      why: explain(r, base),
    };
    if (r.error !== undefined) row.error = r.error;
    return row;
  });
  const measured = rows.filter((r) => r.status === 'ok' && r.rtf !== undefined);
  for (const r of measured) {
    r.belowFloor = r.baseline ? [] : floorViolations(r, floor);
    // The why leads with the quality it lost, not only with the speed it gained.
    if (r.belowFloor.length) r.why = { ...r.why, text: `below the quality floor: ${r.belowFloor.join(', ')}${r.why.text ? `; ${r.why.text}` : ''}` };
  }
  // The front is taken over the variants that meet the floor: a broken variant that is fast must not push a
  // sound one off it, nor be on it.
  const ok = measured.filter((r) => !r.belowFloor.length);
  const objectives: Objective<RankedVariant>[] = [{ name: 'rtf', value: (p) => p.rtf, better: 'lower' }];
  if (ok.some((p) => !p.baseline && p.psnr !== undefined)) objectives.push({ name: 'psnr', value: (p) => p.psnr, better: 'higher' });
  if (ok.some((p) => !p.baseline && p.ssim !== undefined)) objectives.push({ name: 'ssim', value: (p) => p.ssim, better: 'higher' });
  if (ok.some((p) => !p.baseline && p.audioDistance !== undefined)) objectives.push({ name: 'audio', value: (p) => p.audioDistance, better: 'lower' });
  const frontIdx = paretoFront(ok, objectives);
  for (const i of frontIdx) {
    const p = ok[i];
    if (p) p.onFront = true;
  }
  for (const r of measured) r.violations = [...r.belowFloor, ...violations(r, constraints)];
  const feasible = measured
    .filter((r) => !r.violations.length)
    .sort((a, b) => Number(b.onFront) - Number(a.onFront) || (a.rtf ?? Infinity) - (b.rtf ?? Infinity));
  feasible.forEach((r, i) => (r.rank = i + 1));
  const infeasible = measured.filter((r) => r.violations.length).sort((a, b) => (a.rtf ?? Infinity) - (b.rtf ?? Infinity));
  const failed = rows.filter((r) => !measured.includes(r));
  return { constraints, floor, variants: [...feasible, ...infeasible, ...failed], front: ok.filter((r) => r.onFront).map((r) => r.id), baselineId: base?.id };
}
