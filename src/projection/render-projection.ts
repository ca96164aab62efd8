/**
 * Renderers of projection.json: the console summary (every number headed PROJECTED, with its error band)
 * and the self-contained HTML page (notebooks-html/projection.html).
 */
import { renderHtmlPage } from '../core/html-page.js';
import type { ProjectionReport, TargetProjection, VariantProjection } from './types.js';

export const PROJECTION_TEMPLATE = 'projection.html';

const gib = (b: number): string => `${(b / 1024 ** 3).toFixed(2)} GiB`;
const ms = (v: number): string => (v >= 100 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));

function renderTarget(r: ProjectionReport, t: TargetProjection, topNodes: number): string[] {
  const L: string[] = [];
  L.push(`PROJECTED to ${t.target.name} (${t.target.id}) from ${r.source.name} (${r.source.id}); error band: ${t.errorBand.label}`);
  L.push(`  peaks: ${t.target.peaksSource}; launch: ${(t.target.launch.asyncMs * 1000).toFixed(1)} µs/kernel (${t.target.launch.source})`);
  L.push(`  ${'role'.padEnd(22)} ${'stage'.padEnd(6)} ${'source ms/call'.padStart(14)} ${'projected ms/call'.padStart(17)} ${'ratio'.padStart(7)}  flags`);
  for (const x of t.roles) {
    const flags = Object.entries(x.flagCounts)
      .map(([k, n]) => `${k}×${n}`)
      .join(' ');
    L.push(
      `  ${x.role.padEnd(22)} ${x.stage.padEnd(6)} ${ms(x.sourceCallMs).padStart(14)} ${ms(x.callMs).padStart(17)} ${`${x.ratio.toFixed(2)}×`.padStart(7)}  ${flags}`,
    );
  }
  const rtf = t.rtf;
  L.push(
    `  RTF (PROJECTED, ${t.errorBand.label}): ${rtf.rtf.toFixed(3)} on ${t.target.id}; ${rtf.sourceRtf.toFixed(3)} on ${r.source.id} by the same call model${rtf.measuredSourceRtf !== null ? `, ${rtf.measuredSourceRtf.toFixed(3)} measured in the run` : ''}`,
  );
  for (const s of rtf.stages) L.push(`    ${s.stage.padEnd(18)} ${s.sourceRtf.toFixed(3).padStart(8)} → ${s.rtf.toFixed(3)}`);
  L.push(`    model: ${rtf.model}`);
  const m = t.memory;
  L.push(
    `  memory (PROJECTED): ${gib(m.perWorkerBytes)} per worker on ${gib(m.targetMemoryBytes)} (reserve ${gib(m.reserveBytes)}): ${m.fits ? 'fits' : 'DOES NOT FIT'}; ${m.workersByMemory} worker(s) by memory; ${m.realtimeStreams} real-time stream(s)`,
  );
  if (topNodes > 0) {
    const nodes = t.roles
      .flatMap((x) => x.nodes.map((n) => ({ role: x.role, n })))
      .sort((a, b) => b.n.projectedMs - a.n.projectedMs)
      .slice(0, topNodes);
    L.push(`  top nodes on ${t.target.id} (projected ms per call):`);
    for (const { role, n } of nodes)
      L.push(
        `    ${`${role}/${n.name}`.slice(0, 48).padEnd(48)} ${n.opType.padEnd(14)} ${n.precision.padEnd(12)} ${ms(n.sourceMs).padStart(9)} → ${ms(n.projectedMs).padStart(9)}  ${n.sourceBound}→${n.targetBound}${n.efficiency !== null ? ` eff ${(n.efficiency * 100).toFixed(0)}%` : ''}${n.flags.length ? `  [${n.flags.join('; ')}]` : ''}`,
      );
  }
  for (const w of [...t.warnings, ...t.roles.flatMap((x) => x.warnings.map((s) => `${x.role}: ${s}`))]) L.push(`  warning: ${w}`);
  return L;
}

/** The seconds behind a variant's projected RTF: GPU part scaled, host part kept (absent in older projections). */
export function variantSplitLine(v: VariantProjection): string | undefined {
  if (!v.roles) return undefined;
  const split = v.roles.filter((x) => x.method === 'gpu-host-split');
  const gpu = split.reduce((s, x) => s + (x.gpuSeconds ?? 0), 0);
  const gpuProjected = split.reduce((s, x) => s + (x.gpuSeconds ?? 0) * x.ratio, 0);
  const host = split.reduce((s, x) => s + (x.hostSeconds ?? 0), 0);
  const other = v.roles.filter((x) => x.method !== 'gpu-host-split');
  const rest = other.length
    ? `; ${other.length} role(s) without GPU time: ${other.reduce((s, x) => s + x.measuredSeconds, 0).toFixed(2)} s → ${other.reduce((s, x) => s + x.seconds, 0).toFixed(2)} s`
    : '';
  return `GPU part ${gpu.toFixed(2)} s → ${gpuProjected.toFixed(2)} s (PROJECTED); host part in role calls ${host.toFixed(2)} s + outside roles ${(v.outsideRolesSeconds ?? 0).toFixed(2)} s (kept as measured)${rest}`;
}

/** Console text of a projection report. */
export function renderProjectionConsole(r: ProjectionReport, topNodes = 8): string {
  const L: string[] = [
    `projection of ${r.input.kind} ${r.input.file} (source method: ${r.sourceMethod}); all figures below are PROJECTIONS, not measurements`,
    '',
  ];
  for (const t of r.targets) L.push(...renderTarget(r, t, topNodes), '');
  if (r.variants?.length) {
    L.push('sweep variants (PROJECTED RTF):');
    for (const v of r.variants) {
      L.push(
        `  ${v.name.padEnd(30)} ${v.target.padEnd(10)} measured ${v.measuredRtf.toFixed(3)}  projected ${v.rtf.toFixed(3)} (${v.errorBand.label})${v.flags.length ? `  [${v.flags.join('; ')}]` : ''}`,
      );
      const split = variantSplitLine(v);
      if (split) L.push(`    ${split}`);
    }
    const model = r.variants.find((v) => v.model)?.model;
    if (model) L.push(`  model: ${model}`);
    L.push('');
  }
  return `${L.join('\n')}\n`;
}

/** projection.html: the report data embedded, tables drawn by the template. */
export function renderProjectionHtml(r: ProjectionReport, template: string = PROJECTION_TEMPLATE): string {
  return renderHtmlPage({ title: `Projection (PROJECTED, not measured): ${r.source.id} → ${r.targets.map((t) => t.target.id).join(', ')}`, template, data: r });
}
