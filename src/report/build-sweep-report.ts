/**
 * Builds the sweep report data from results: the ranking, the page's charts (only those with data) and
 * one detail entry per variant (settings, metrics, why, its own charts).
 */
import { rankResults, type RankConstraints } from '../sweep/rank.js';
import type { VariantPlacement, VariantResult } from '../sweep/types.js';
import { placementLineOf } from '../sweep/variant-placement.js';
import { memoryTraces, opTypeBreakdownTrace, paretoTraces, roleTimeTraces, rooflineTraces, stageRtfTraces, workerScalingTraces } from './sweep-traces.js';
import { SWEEP_REPORT_SCHEMA_VERSION, type ChartSpec, type SweepProjectionColumn, type SweepReport, type SweepSummary, type VariantDetail } from './types.js';

export interface SweepReportOptions {
  title?: string;
  constraints?: RankConstraints;
  /** Fixed timestamp (tests, reproducible files). */
  generatedAt?: string;
}

const fmt = (v: number | undefined, digits = 3, unit = ''): string => (v === undefined || v === null ? '–' : `${v.toFixed(digits)}${unit}`);
const mib = (b: number | undefined): string => (b === undefined ? '–' : `${(b / 2 ** 20).toFixed(1)} MiB`);

/** Backend (asked, and served when they differ) and CUDA provider options; '' for the default node backend without options. */
function runtimeRow(r: VariantResult): string {
  const asked = r.settings?.backend ?? 'node';
  const served = r.metrics?.settings?.backend;
  const po = Object.entries(r.settings?.providerOptions ?? {}).filter(([, o]) => o && Object.keys(o).length);
  if (asked === 'node' && !po.length) return '';
  const parts = [`backend ${asked}${served && served !== asked ? ` (served by ${served})` : ''}`];
  if (po.length) parts.push(`provider options ${po.map(([role, o]) => `${role}: ${Object.entries(o ?? {}).map(([k, v]) => `${k}=${v}`).join(',')}`).join('; ')}`);
  return parts.join(', ');
}

function detailFor(r: VariantResult, baseline: VariantResult | undefined, why: string): VariantDetail {
  const m = r.metrics;
  const q = m?.quality;
  const rows: [string, string][] = [
    ['id', r.id],
    ['status', r.status],
    ['passes', Object.entries(r.passes).map(([role, ps]) => `${role}: ${(ps ?? []).map((p) => p.pass + ('mode' in p ? `-${p.mode}` : 'bits' in p ? `${p.bits}` : 'outputSize' in p ? `-${p.outputSize}` : 'budget' in p ? `-${p.budget}` : '')).join(' → ')}`).join('; ') || 'none (FP32)'],
    ['manifest', r.manifest ?? '–'],
    ['end-to-end RTF', fmt(m?.rtf, 4)],
    ['time to first frame', fmt(m?.ttffSeconds, 3, ' s')],
    ...(m?.warmupSeconds !== undefined ? [['timing', `warm (after an untimed first pass of ${fmt(m.warmupSeconds, 2, ' s')})`] as [string, string]] : []),
    ...(r.spec.vocoderBucket || r.spec.overlap ? [['runner', [r.spec.vocoderBucket ? `vocoder buckets of ${r.spec.vocoderBucket}` : '', r.spec.overlap ? 'TTS and Ditto overlapped' : ''].filter(Boolean).join(', ')] as [string, string]] : []),
    ...(runtimeRow(r) ? [['runtime', runtimeRow(r)] as [string, string]] : []),
    ['audio', fmt(m?.audioSeconds, 2, ' s')],
    ['wall', fmt(m?.wallSeconds, 3, ' s')],
    ['frame PSNR mean / worst', r.baseline ? 'reference' : `${fmt(q?.framePsnrMean, 2)} / ${fmt(q?.framePsnrWorst, 2)} dB`],
    ['SSIM mean / worst', r.baseline ? 'reference' : `${fmt(q?.ssimMean, 4)} / ${fmt(q?.ssimWorst, 4)}`],
    ['audio SNR / log-mel distance', r.baseline ? 'reference' : `${fmt(q?.audioSnr, 2, ' dB')} / ${fmt(q?.logMelDistance, 4)}`],
    ['motion error', r.baseline ? 'reference' : fmt(q?.motionError, 5)],
    ['peak RSS / weights / GPU', `${mib(m?.memory.peakRssBytes)} / ${mib(m?.memory.modelBytes)} / ${mib(m?.memory.gpuBytes)}`],
    ['repeats (RTF samples)', m ? m.samples.rtf.map((x) => x.toFixed(4)).join(', ') : '–'],
    ['EP', `${r.env.ep}${r.env.gpu ? ` (${r.env.gpu})` : ''}, ORT ${r.env.ortVersion ?? '?'}`],
  ];
  if (r.placement) rows.push(['placement', placementText(r.placement)]);
  for (const pr of m?.projections ?? []) rows.push([`RTF on ${pr.target} (PROJECTED)`, `${fmt(pr.rtf, 4)} (${pr.errorLabel})`]);
  if (q?.roleError) rows.push(['per-role output error', Object.entries(q.roleError).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toExponential(2) : 'n/a'}`).join(', ')]);
  const charts: ChartSpec[] = [];
  if (m) charts.push({ id: `detail-roles-${r.id}`, title: 'Time per role (ms per run)', data: roleTimeTraces(r, baseline), layout: { barmode: 'group', yaxis: { title: { text: 'ms' } } } });
  if (m?.profile?.opTypes.length) charts.push({ id: `detail-ops-${r.id}`, title: 'Op-type breakdown (ms)', data: [opTypeBreakdownTrace(m.profile)], layout: {} });
  if (m?.profile?.topOps.length) charts.push({ id: `detail-roofline-${r.id}`, title: 'Top ops on the roofline', data: rooflineTraces(m.profile), layout: { xaxis: { type: 'log', title: { text: 'FLOP / byte' } }, yaxis: { type: 'log', title: { text: 'FLOP/s' } } } });
  const d: VariantDetail = { id: r.id, name: r.name, status: r.status, spec: r.spec, passes: r.passes, rows, why, charts };
  if (r.error !== undefined) d.error = r.error;
  if (r.placement) d.placement = r.placement;
  return d;
}

/** The detail row of a placement check. */
function placementText(p: VariantPlacement): string {
  const line = placementLineOf(p, 20);
  if (line) return `OFF EP: ${line}`;
  if (p.status === 'skipped') return `not checked: ${p.roles.map((r) => r.reason).filter(Boolean).join('; ') || 'no reason given'}`;
  return `clean: every node of ${p.roles.map((r) => r.role).join(', ')} on the ${p.target.toUpperCase()} EP`;
}

/** The projected-RTF column for the first target any result was projected to (src/projection). */
export function projectionColumn(results: readonly VariantResult[]): SweepProjectionColumn | undefined {
  const first = results.flatMap((r) => r.metrics?.projections ?? [])[0];
  if (!first) return undefined;
  const rtfById: Record<string, number> = {};
  for (const r of results) {
    const p = r.metrics?.projections?.find((x) => x.target === first.target);
    if (p) rtfById[r.id] = p.rtf;
  }
  return { projected: true, target: first.target, errorLabel: first.errorLabel, rtfById };
}

/** The report data of a set of sweep results. */
export function buildSweepReport(results: readonly VariantResult[], options: SweepReportOptions = {}): SweepReport {
  const ranking = rankResults(results, options.constraints ?? {});
  const order = ranking.variants.map((v) => v.id);
  const byId = new Map(results.map((r) => [r.id, r]));
  const ordered = order.map((id) => byId.get(id)).filter((r): r is VariantResult => r !== undefined);
  const baseline = results.find((r) => r.id === ranking.baselineId);
  const charts: ChartSpec[] = [];
  const ok = ordered.filter((r) => r.status === 'ok' && r.metrics);
  charts.push({
    id: 'chart-pareto',
    title: 'Pareto front: end-to-end RTF vs frame PSNR',
    note: `Left and up is better. Red: not dominated on RTF, PSNR, SSIM and audio distance together. Hollow: misses a constraint. The baseline is plotted at ${100} dB.`,
    data: paretoTraces(ranking, 'psnr'),
    layout: { xaxis: { title: { text: 'end-to-end RTF (lower is faster)' } }, yaxis: { title: { text: 'frame PSNR vs FP32 (dB)' } }, hovermode: 'closest' },
  });
  if (ok.length) charts.push({ id: 'chart-stages', title: 'RTF per stage', note: 'Stage seconds / audio seconds, stacked; the bar height is the sum of stages.', data: stageRtfTraces(ok, order), layout: { barmode: 'stack', yaxis: { title: { text: 'RTF' } } } });
  const mem = memoryTraces(ok);
  if (mem.length) charts.push({ id: 'chart-memory', title: 'Memory per variant', data: mem, layout: { barmode: 'group', yaxis: { title: { text: 'MiB' } } } });
  const profiled = ok.find((r) => r.metrics?.profile?.opTypes.length);
  if (profiled?.metrics?.profile) {
    charts.push({ id: 'chart-optypes', title: `Op-type breakdown: ${profiled.name}`, note: 'Role → op type, ms per profiled run. Each variant has its own in the detail view.', data: [opTypeBreakdownTrace(profiled.metrics.profile, 'treemap', profiled.name)], layout: {} });
    if (profiled.metrics.profile.topOps.length)
      charts.push({ id: 'chart-roofline', title: `Top ops on the roofline: ${profiled.name}`, data: rooflineTraces(profiled.metrics.profile), layout: { xaxis: { type: 'log', title: { text: 'FLOP / byte' } }, yaxis: { type: 'log', title: { text: 'FLOP/s' } } } });
  }
  const scaling = workerScalingTraces(ok);
  if (scaling.length) charts.push({ id: 'chart-workers', title: 'Worker scaling', data: scaling, layout: { xaxis: { title: { text: 'workers' }, dtick: 1 }, yaxis: { title: { text: 'RTF' } } } });
  const whyById = new Map(ranking.variants.map((v) => [v.id, v.why.text]));
  const first = ordered[0];
  const projection = projectionColumn(results);
  return {
    schemaVersion: SWEEP_REPORT_SCHEMA_VERSION,
    kind: 'sweep',
    title: options.title ?? 'Sweep report',
    generatedAt: options.generatedAt ?? new Date().toISOString(),
    env: first?.env,
    counts: {
      variants: results.length,
      ok: ok.length,
      failed: results.length - ok.length,
      onFront: ranking.front.length,
      feasible: ranking.variants.filter((v) => v.rank !== undefined).length,
    },
    ranking,
    charts,
    details: ordered.map((r) => detailFor(r, baseline, whyById.get(r.id) ?? '')),
    ...(projection ? { projection } : {}),
  };
}

/** `{ offEp: line }` for a variant whose rewritten roles had nodes off the EP, else nothing. */
export function offEpOf(report: SweepReport, id: string): { offEp?: string } {
  const p = report.details.find((d) => d.id === id)?.placement;
  const line = p ? placementLineOf(p) : undefined;
  return line ? { offEp: line } : {};
}

/** summary.json: the ranking, one row per variant, no chart data. */
export function summarizeSweepReport(report: SweepReport): SweepSummary {
  return {
    schemaVersion: SWEEP_REPORT_SCHEMA_VERSION,
    kind: 'sweep-summary',
    title: report.title,
    generatedAt: report.generatedAt,
    env: report.env,
    counts: report.counts,
    constraints: report.ranking.constraints,
    baselineId: report.ranking.baselineId,
    front: report.ranking.front,
    variants: report.ranking.variants.map((v) => ({
      rank: v.rank,
      id: v.id,
      name: v.name,
      status: v.status,
      ...(v.error !== undefined ? { error: v.error } : {}),
      rtf: v.rtf,
      speedup: v.why.speedup,
      psnr: v.psnr,
      ssim: v.ssim,
      audioDistance: v.audioDistance,
      peakRssBytes: v.peakRssBytes,
      modelBytes: v.modelBytes,
      onFront: v.onFront,
      violations: v.violations,
      why: v.why.text,
      ...(report.projection?.rtfById[v.id] !== undefined ? { projectedRtf: report.projection.rtfById[v.id] } : {}),
      ...offEpOf(report, v.id),
    })),
    ...(report.projection ? { projection: report.projection } : {}),
  };
}
