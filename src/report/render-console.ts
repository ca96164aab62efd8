/** Plain-text renderers of report data: the ranking table a sweep prints at the end. */
import { offEpOf } from './build-sweep-report.js';
import type { SweepReport } from './types.js';

/** Left-aligned text table with a header rule. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const num = (v: number | undefined, d: number): string => (v === undefined || v === null ? '–' : v.toFixed(d));

/** The ranking table plus one 'why' line per ranked variant. */
export function renderSweepConsole(report: SweepReport): string {
  const r = report.ranking;
  const proj = report.projection;
  const header = ['rank', 'variant', 'rtf', ...(proj ? [`rtf ${proj.target} (projected)`] : []), 'speedup', 'psnr dB', 'ssim', 'audio dist', 'front', 'note'];
  const rows = r.variants.map((v) => [
    v.rank !== undefined ? String(v.rank) : v.status === 'error' ? 'fail' : '–',
    v.name,
    num(v.rtf, 4),
    ...(proj ? [num(proj.rtfById[v.id], 4)] : []),
    v.why.speedup !== undefined ? `${v.why.speedup.toFixed(2)}×` : '–',
    v.baseline ? 'ref' : num(v.psnr, 2),
    v.baseline ? 'ref' : num(v.ssim, 4),
    v.baseline ? 'ref' : num(v.audioDistance, 4),
    v.onFront ? '*' : '',
    v.status === 'error' ? (v.error ?? 'error').slice(0, 60) : [offEpOf(report, v.id).offEp ? 'OFF EP' : '', ...v.violations].filter(Boolean).join('; '),
  ]);
  const c = report.counts;
  const cons = Object.entries(r.constraints)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  const fl = r.floor;
  const floorText = [
    fl.minPsnr !== undefined ? `PSNR ≥ ${fl.minPsnr} dB` : '',
    fl.minSsim !== undefined ? `SSIM ≥ ${fl.minSsim}` : '',
    fl.maxAudioDistance !== undefined ? `audio distance ≤ ${fl.maxAudioDistance} dB` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [
    ...(report.notes ?? []).map((n) => `note: ${n}`),
    `quality floor: ${floorText || 'none'} (a variant under it is never on the front nor ranked)`,
    `${report.title}: ${c.variants} variants, ${c.ok} ok, ${c.failed} failed, ${c.onFront} on the Pareto front${cons ? `, ${c.feasible} meet ${cons}` : ''}`,
    '',
    formatTable(header, rows),
    ...(proj ? [`projected column: ${proj.target}, ${proj.errorLabel} (a roofline projection from this run's GPU, not a measurement)`] : []),
    '',
  ];
  const offEp = r.variants.flatMap((v) => {
    const line = offEpOf(report, v.id).offEp;
    return line ? [`  ${v.name}: ${line}`] : [];
  });
  if (offEp.length) lines.push('placement (measured with nodes off the EP, not the rewrite alone):', ...offEp, '');
  const ranked = r.variants.filter((v) => v.rank !== undefined && !v.baseline).slice(0, 5);
  if (ranked.length) {
    lines.push('why:');
    for (const v of ranked) lines.push(`  ${v.name}: ${v.why.text || 'no difference measured'}`);
    lines.push('');
  }
  return lines.join('\n');
}
