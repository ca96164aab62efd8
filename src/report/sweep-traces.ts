/**
 * Pure builders of plotly traces from sweep data. No DOM, no plotly import: each returns plain objects that
 * the page hands to `Plotly.newPlot`, so tests check them without a browser.
 */
import type { Ranking, RankedVariant } from '../sweep/rank.js';
import type { ProfileSummary, VariantResult } from '../sweep/types.js';
import type { PlotTrace } from './types.js';

const MIB = 2 ** 20;

const okResults = (results: readonly VariantResult[]): VariantResult[] => results.filter((r) => r.status === 'ok' && r.metrics);

function label(v: RankedVariant): string {
  return `${v.name}<br>rtf ${v.rtf?.toFixed(3) ?? '?'}, psnr ${v.psnr?.toFixed(1) ?? '?'} dB${v.violations.length ? `<br>misses: ${v.violations.join('; ')}` : ''}`;
}

/**
 * Pareto scatter: every successful variant (RTF on x, a quality metric on y), the frontier as a line through
 * its points in RTF order, and the baseline marked. Points that miss a constraint are drawn hollow.
 */
export function paretoTraces(ranking: Ranking, metric: 'psnr' | 'ssim' | 'audioDistance' = 'psnr'): PlotTrace[] {
  const pts = ranking.variants.filter((v) => v.status === 'ok' && v.rtf !== undefined && v[metric] !== undefined);
  const off = pts.filter((v) => !v.onFront);
  const on = pts.filter((v) => v.onFront).sort((a, b) => (a.rtf ?? 0) - (b.rtf ?? 0));
  const base = pts.filter((v) => v.baseline);
  const scatter = (list: RankedVariant[], name: string, marker: Record<string, unknown>, mode = 'markers'): PlotTrace => ({
    type: 'scatter',
    mode,
    name,
    x: list.map((v) => v.rtf),
    y: list.map((v) => v[metric]),
    text: list.map(label),
    customdata: list.map((v) => v.id),
    hovertemplate: '%{text}<extra></extra>',
    marker,
  });
  return [
    scatter(off, 'dominated', { color: '#7f8c9a', size: 9, symbol: off.map((v) => (v.violations.length ? 'circle-open' : 'circle')) }),
    scatter(on, 'Pareto front', { color: '#d62728', size: 12, symbol: on.map((v) => (v.violations.length ? 'circle-open' : 'circle')) }, 'lines+markers'),
    scatter(base, 'FP32 baseline', { color: '#1f77b4', size: 16, symbol: 'star' }),
  ];
}

/** Stacked bars: RTF of each pipeline stage, one bar per variant (ranking order). */
export function stageRtfTraces(results: readonly VariantResult[], order?: readonly string[]): PlotTrace[] {
  const ok = okResults(results);
  const sorted = order ? [...ok].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id)) : ok;
  const stages: string[] = [];
  for (const r of sorted) for (const s of r.metrics?.stages ?? []) if (!stages.includes(s.stage)) stages.push(s.stage);
  return stages.map((stage) => ({
    type: 'bar',
    name: stage,
    x: sorted.map((r) => r.name),
    y: sorted.map((r) => r.metrics?.stages.find((s) => s.stage === stage)?.rtf ?? 0),
    hovertemplate: `${stage}: %{y:.4f}<extra>%{x}</extra>`,
  }));
}

/** Grouped bars of memory per variant (peak RSS, weights, GPU): only the series some variant has. */
export function memoryTraces(results: readonly VariantResult[]): PlotTrace[] {
  const ok = okResults(results);
  const series: [string, (r: VariantResult) => number | undefined][] = [
    ['peak RSS', (r) => r.metrics?.memory.peakRssBytes],
    ['weights', (r) => r.metrics?.memory.modelBytes],
    ['GPU', (r) => r.metrics?.memory.gpuBytes],
  ];
  return series
    .filter(([, get]) => ok.some((r) => get(r) !== undefined))
    .map(([name, get]) => ({
      type: 'bar',
      name,
      x: ok.map((r) => r.name),
      y: ok.map((r) => {
        const b = get(r);
        return b === undefined ? null : b / MIB;
      }),
      hovertemplate: `${name}: %{y:.1f} MiB<extra>%{x}</extra>`,
    }));
}

/** RTF against worker count, one line per variant that has a scaling run. */
export function workerScalingTraces(results: readonly VariantResult[]): PlotTrace[] {
  return okResults(results)
    .filter((r) => (r.metrics?.workers?.length ?? 0) > 0)
    .map((r) => {
      const pts = [...(r.metrics?.workers ?? [])].sort((a, b) => a.workers - b.workers);
      return { type: 'scatter', mode: 'lines+markers', name: r.name, x: pts.map((p) => p.workers), y: pts.map((p) => p.rtf) };
    });
}

/** Role → op type breakdown of a profile as a sunburst (or treemap) trace; seconds shown as ms. */
export function opTypeBreakdownTrace(profile: ProfileSummary, kind: 'sunburst' | 'treemap' = 'sunburst', root = 'total'): PlotTrace {
  const roles = new Map<string, number>();
  const leaves = new Map<string, { role: string; opType: string; seconds: number }>();
  for (const o of profile.opTypes) {
    roles.set(o.role, (roles.get(o.role) ?? 0) + o.seconds);
    const key = `${o.role}/${o.opType}`;
    const prev = leaves.get(key);
    leaves.set(key, { role: o.role, opType: o.opType, seconds: (prev?.seconds ?? 0) + o.seconds });
  }
  const total = [...roles.values()].reduce((a, b) => a + b, 0);
  const ids = [root, ...[...roles.keys()].map((r) => `${root}/${r}`), ...[...leaves.keys()].map((k) => `${root}/${k}`)];
  const labels = [root, ...roles.keys(), ...[...leaves.values()].map((l) => l.opType)];
  const parents = ['', ...[...roles.keys()].map(() => root), ...[...leaves.values()].map((l) => `${root}/${l.role}`)];
  const values = [total, ...roles.values(), ...[...leaves.values()].map((l) => l.seconds)].map((s) => s * 1000);
  return { type: kind, ids, labels, parents, values, branchvalues: 'total', hovertemplate: '%{label}: %{value:.3f} ms<extra></extra>' };
}

/**
 * Roofline: the top ops as points (arithmetic intensity on x, achieved FLOP/s on y, log–log) and, when the
 * peaks are known, the roof (bandwidth slope up to the ridge, then the compute ceiling).
 */
export function rooflineTraces(profile: ProfileSummary): PlotTrace[] {
  const pts = profile.topOps.filter((o) => o.intensity !== undefined && o.flops !== undefined && o.intensity > 0 && o.flops > 0);
  const traces: PlotTrace[] = [
    {
      type: 'scatter',
      mode: 'markers',
      name: 'top ops',
      x: pts.map((o) => o.intensity),
      y: pts.map((o) => o.flops),
      text: pts.map((o) => `${o.role}: ${o.node} (${o.opType})<br>${(o.seconds * 1000).toFixed(3)} ms, ${o.bound ?? 'unknown'}-bound`),
      hovertemplate: '%{text}<extra></extra>',
      marker: {
        size: pts.map((o) => 6 + 14 * Math.sqrt(o.seconds / Math.max(...pts.map((p) => p.seconds), 1e-12))),
        color: pts.map((o) => (o.bound === 'compute' ? '#d62728' : o.bound === 'memory' ? '#1f77b4' : '#7f8c9a')),
      },
    },
  ];
  if (profile.peakFlops && profile.peakBandwidth) {
    const ridge = profile.peakFlops / profile.peakBandwidth;
    const xs = pts.map((o) => o.intensity ?? ridge);
    const lo = Math.min(ridge / 100, ...xs) / 2;
    const hi = Math.max(ridge * 100, ...xs) * 2;
    traces.push({
      type: 'scatter',
      mode: 'lines',
      name: 'roofline',
      x: [lo, ridge, hi],
      y: [lo * profile.peakBandwidth, profile.peakFlops, profile.peakFlops],
      line: { color: '#333', dash: 'dash' },
      hoverinfo: 'skip',
    });
  }
  return traces;
}

/** Seconds per role, baseline next to the variant (grouped bars). */
export function roleTimeTraces(result: VariantResult, baseline: VariantResult | undefined): PlotTrace[] {
  const m = result.metrics;
  if (!m) return [];
  const roles = [...new Set([...(baseline?.metrics?.roles ?? []).map((r) => r.role), ...m.roles.map((r) => r.role)])];
  const series = (r: VariantResult): number[] => roles.map((role) => (r.metrics?.roles.find((x) => x.role === role)?.seconds ?? 0) * 1000);
  const traces: PlotTrace[] = [];
  if (baseline?.metrics && baseline.id !== result.id)
    traces.push({ type: 'bar', name: `${baseline.name}`, x: roles, y: series(baseline), hovertemplate: '%{x}: %{y:.2f} ms<extra>baseline</extra>' });
  traces.push({ type: 'bar', name: result.name, x: roles, y: series(result), hovertemplate: `%{x}: %{y:.2f} ms<extra>${result.name}</extra>` });
  return traces;
}

/**
 * When each stage ran (a horizontal bar from its first step's start to its last step's end, seconds since the
 * pipeline start), with its busy seconds in the hover: under overlap the stages run side by side, and the bar
 * that ends last is what the run waited on. Empty for results without stage start/end (older sweeps).
 */
export function stageSpanTrace(result: VariantResult): PlotTrace[] {
  const spans = (result.metrics?.stages ?? []).filter((s) => s.startSeconds !== undefined && s.endSeconds !== undefined);
  if (!spans.length) return [];
  return [
    {
      type: 'bar',
      orientation: 'h',
      name: result.name,
      y: spans.map((s) => s.stage),
      base: spans.map((s) => s.startSeconds),
      x: spans.map((s) => (s.endSeconds as number) - (s.startSeconds as number)),
      customdata: spans.map((s) => [s.startSeconds, s.endSeconds, s.seconds]),
      hovertemplate: '%{y}: %{customdata[0]:.3f} → %{customdata[1]:.3f} s, busy %{customdata[2]:.3f} s<extra></extra>',
    },
  ];
}
