/**
 * The gate's checks, as pure functions of two RunMetrics and the thresholds. Timing is noise-aware: a
 * regression counts only when the candidate's median exceeds the baseline's by more than the threshold AND
 * the difference exceeds the larger of the two sample spreads (max − min over repeats).
 */
import { formatDb } from '../runner/quality.js';
import { explain } from '../sweep/rank.js';
import type { RunMetrics, VariantResult } from '../sweep/types.js';
import { median } from '../core/stats.js';

export const GATE_SCHEMA_VERSION = 1;

export interface GateThresholds {
  /** Absolute end-to-end RTF limit for the candidate. */
  maxRtf?: number;
  /** Allowed relative RTF regression (0.05 = 5%), end to end and per stage. */
  maxRtfRegression?: number;
  minPsnr?: number;
  minSsim?: number;
  maxAudioDistance?: number;
  /** Per role: the largest allowed relative L2 of its outputs vs the baseline. */
  maxError?: Record<string, number>;
}

export interface GateCheck {
  /** 'rtf', 'rtf-regression', 'frame-psnr', 'ssim', 'audio-distance', 'role-error'. */
  metric: string;
  /** 'end-to-end', a stage ('tts', 'ditto') or a role. */
  scope: string;
  baseline: number | null;
  candidate: number | null;
  /** The threshold as written ('<= 1', '<= +5% and beyond noise', '>= 35 dB'). */
  threshold: string;
  status: 'pass' | 'fail';
  message: string;
}

export interface GateReport {
  schemaVersion: typeof GATE_SCHEMA_VERSION;
  kind: 'gate';
  pass: boolean;
  baseline: string;
  candidate: string;
  /** The role a candidate model replaced, when it was a model file. */
  role?: string;
  thresholds: GateThresholds;
  checks: GateCheck[];
  createdAt: string;
}

const spread = (xs: readonly number[]): number => (xs.length ? Math.max(...xs) - Math.min(...xs) : 0);
const f = (v: number | null | undefined, d = 4): string => (v === null || v === undefined ? 'n/a' : v.toFixed(d));

/** Noise-aware regression: candidate median > baseline median × (1 + threshold) and the gap > the larger spread. */
export function isRegression(
  baseline: readonly number[],
  candidate: readonly number[],
  threshold: number,
): { regressed: boolean; baseline: number; candidate: number; noise: number } {
  const b = median(baseline);
  const c = median(candidate);
  const noise = Math.max(spread(baseline), spread(candidate));
  return { regressed: c > b * (1 + threshold) && c - b > noise, baseline: b, candidate: c, noise };
}

/** The role whose time grew most, for naming it in a timing failure. */
function slowestRole(base: RunMetrics, cand: RunMetrics): string | undefined {
  const wrap = (m: RunMetrics, id: string): VariantResult => ({
    schemaVersion: 1,
    id,
    index: 0,
    name: id,
    baseline: false,
    spec: {},
    passes: {},
    status: 'ok',
    metrics: m,
    env: { ep: '', node: '' },
    startedAt: '',
    finishedAt: '',
    totalSeconds: 0,
  });
  const why = explain(wrap(cand, 'c'), wrap(base, 'b'));
  const worst = [...why.roles].sort((a, b) => b.deltaSeconds - a.deltaSeconds)[0];
  return worst && worst.deltaSeconds > 0 ? `${worst.role} +${(worst.deltaSeconds * 1000).toFixed(1)} ms` : undefined;
}

/** Runs every check the thresholds ask for. A requested metric that is missing fails (it could not be verified). */
export function gateChecks(base: RunMetrics, cand: RunMetrics, t: GateThresholds): GateCheck[] {
  const checks: GateCheck[] = [];
  const add = (c: Omit<GateCheck, 'message'>, detail = ''): void => {
    const verdict = c.status === 'pass' ? 'ok' : 'FAILED';
    checks.push({
      ...c,
      message: `${c.metric} (${c.scope}): candidate ${f(c.candidate)} vs baseline ${f(c.baseline)}, threshold ${c.threshold}: ${verdict}${detail ? ` — ${detail}` : ''}`,
    });
  };
  if (t.maxRtf !== undefined)
    add({
      metric: 'rtf',
      scope: 'end-to-end',
      baseline: base.rtf,
      candidate: cand.rtf,
      threshold: `<= ${t.maxRtf}`,
      status: cand.rtf <= t.maxRtf ? 'pass' : 'fail',
    });
  if (t.maxRtfRegression !== undefined) {
    const thr = t.maxRtfRegression;
    const label = `<= +${(thr * 100).toFixed(1)}% and beyond noise`;
    const role = slowestRole(base, cand);
    const e2e = isRegression(base.samples.rtf.length ? base.samples.rtf : [base.rtf], cand.samples.rtf.length ? cand.samples.rtf : [cand.rtf], thr);
    add(
      {
        metric: 'rtf-regression',
        scope: 'end-to-end',
        baseline: e2e.baseline,
        candidate: e2e.candidate,
        threshold: label,
        status: e2e.regressed ? 'fail' : 'pass',
      },
      `medians of ${base.samples.rtf.length}/${cand.samples.rtf.length} runs, noise ±${e2e.noise.toFixed(4)}${e2e.regressed && role ? `; slowest role: ${role}` : ''}`,
    );
    for (const stage of Object.keys(base.samples.stageSeconds).filter((s) => !s.includes('.'))) {
      const bs = base.samples.stageSeconds[stage] ?? [];
      const cs = cand.samples.stageSeconds[stage];
      if (!bs.length || !cs?.length) continue;
      const r = isRegression(
        bs.map((s) => s / base.audioSeconds),
        cs.map((s) => s / cand.audioSeconds),
        thr,
      );
      add(
        { metric: 'rtf-regression', scope: stage, baseline: r.baseline, candidate: r.candidate, threshold: label, status: r.regressed ? 'fail' : 'pass' },
        `noise ±${r.noise.toFixed(4)}${r.regressed && role ? `; slowest role: ${role}` : ''}`,
      );
    }
  }
  const q = cand.quality ?? {};
  const divergent = q.firstDivergentRole ? `first divergent role: ${q.firstDivergentRole}` : '';
  const scopeOf = (): string => q.firstDivergentRole ?? 'frames';
  if (t.minPsnr !== undefined) {
    const v = q.framePsnrMean ?? null;
    add(
      {
        metric: 'frame-psnr',
        scope: scopeOf(),
        baseline: null,
        candidate: v,
        threshold: `>= ${t.minPsnr} dB`,
        status: v !== null && v >= t.minPsnr ? 'pass' : 'fail',
      },
      v === null ? 'no frames compared' : `worst frame ${formatDb(q.framePsnrWorst)}${divergent ? `; ${divergent}` : ''}`,
    );
  }
  if (t.minSsim !== undefined) {
    const v = q.ssimMean ?? null;
    add(
      { metric: 'ssim', scope: scopeOf(), baseline: null, candidate: v, threshold: `>= ${t.minSsim}`, status: v !== null && v >= t.minSsim ? 'pass' : 'fail' },
      divergent,
    );
  }
  if (t.maxAudioDistance !== undefined) {
    const v = q.logMelDistance ?? null;
    add(
      {
        metric: 'audio-distance',
        scope: 'audio',
        baseline: null,
        candidate: v,
        threshold: `<= ${t.maxAudioDistance} dB (log-mel)`,
        status: v !== null && v <= t.maxAudioDistance ? 'pass' : 'fail',
      },
      `audio SNR ${formatDb(q.audioSnr)}`,
    );
  }
  for (const [role, limit] of Object.entries(t.maxError ?? {})) {
    const v = q.roleError?.[role] ?? null;
    add(
      {
        metric: 'role-error',
        scope: role,
        baseline: null,
        candidate: v,
        threshold: `<= ${limit} (relative L2)`,
        status: v !== null && v <= limit ? 'pass' : 'fail',
      },
      v === null ? `no outputs of ${role} compared` : '',
    );
  }
  return checks;
}
