/**
 * Console rendering of a ProfileReport: per role the method and coverage, the top nodes, time by op type and
 * the flagged costs (CPU fallback, Memcpy, Cast, layout transposes).
 */
import type { ProfileReport, RoleProfile } from './profile-report.js';

function ms(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return x >= 100 ? x.toFixed(1) : x >= 1 ? x.toFixed(3) : x.toFixed(4);
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '-';
}

function si(x: number, unit: string): string {
  if (!Number.isFinite(x) || x === 0) return '-';
  const p = [
    ['P', 1e15],
    ['T', 1e12],
    ['G', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const;
  for (const [s, k] of p) if (Math.abs(x) >= k) return `${(x / k).toFixed(2)} ${s}${unit}`;
  return `${x.toFixed(0)} ${unit}`;
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i] ?? 0) : c.padStart(w[i] ?? 0))).join('  ');
  return [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n');
}

function shapes(s: ({ dims: number[] } | null)[]): string {
  return s.map((x) => (x ? `[${x.dims.join(',')}]` : '∅')).join(' ');
}

/** One role's section. */
export function renderRoleConsole(r: RoleProfile, top = 15): string {
  const out: string[] = [];
  out.push(`== ${r.role}: ${r.model}`);
  const m = r.method;
  const via =
    m.gpuTimeSource === 'cupti-injection'
      ? ' via CUPTI injection (libcupti_trace.so)'
      : m.gpuTimeSource === 'ort-kernel-events'
        ? ' via ORT Kernel events'
        : m.launchBlocking
          ? ' (CUDA_LAUNCH_BLOCKING=1)'
          : '';
  out.push(`method: ${m.nodeTime}${via} (${m.countedRuns} counted runs, ${m.warmupRuns} warm-up)${m.fallback ? `; fallback: ${m.fallback}` : ''}`);
  const sumName = r.coverage.sumOf === 'contribution' ? 'per-node sum of max(host launch, GPU)' : 'per-node sum';
  const cov = r.coverage;
  const covText =
    cov.against === 'model_run'
      ? Number.isFinite(cov.ratio)
        ? `${sumName} ${ms(cov.perNodeSumMs)} ms; Σ nodes / model_run of the same runs ${pct(cov.ratio)}`
        : `${sumName} ${ms(cov.perNodeSumMs)} ms (nodes overlapped in time: no ratio)`
      : `${sumName} ${ms(cov.perNodeSumMs)} ms; ratio ${Number.isFinite(cov.ratio) ? cov.ratio.toFixed(3) : '-'}${cov.withinTenPercent ? ' (within 10%)' : ''}`;
  out.push(`end-to-end: median ${ms(r.endToEnd.time.median)} ms (p10 ${ms(r.endToEnd.time.p10)}, p90 ${ms(r.endToEnd.time.p90)}); ${covText}`);
  const c = r.coverage.cupti;
  if (c) {
    out.push(
      `GPU time accounted: (Σ node GPU ${ms(c.nodeGpuSumMs)} + run copies ${ms(c.runLevelGpuMs)}) / GPU busy ${ms(c.gpuBusyMs)} ms = ${c.gpuAccountingRatio.toFixed(3)}${c.gpuAccountingWithinTenPercent ? ' (within 10%)' : ' (NOT within 10%)'}`,
    );
    out.push(
      `GPU (CUPTI): node GPU sum ${ms(c.nodeGpuSumMs)} ms vs GPU busy ${ms(c.gpuBusyMs)} ms (attribution ${c.attributionRatio.toFixed(3)}), span ${ms(c.gpuSpanMs)} ms, model_run ${ms(c.modelRunMs)} ms; host launch ${ms(c.hostLaunchSumMs)} ms → ${c.bound}; run-level copies ${ms(c.runLevelGpuMs)} ms (ratio with them ${c.ratioWithRunLevel.toFixed(3)})`,
    );
    out.push(
      `CUPTI alignment: ${(c.alignment.matchedFraction * 100).toFixed(1)}% of ${c.alignment.launches} launches inside nodes, ${(c.alignment.validFraction * 100).toFixed(1)}% of those in runs in nodes or copy phases; offset ±${(c.alignment.plateauUs / 2).toFixed(1)} µs (window ${c.alignment.windowUs.toFixed(0)} µs from ${c.alignment.windowFrom}); ${c.records.kernels} kernels, ${c.records.memcpys} memcpys, ${c.records.memsets} memsets`,
    );
  }
  out.push(
    table(
      ['node', 'op', 'provider', 'median ms', 'p10', 'p90', 'share', 'FLOP', 'bytes', 'bound', 'of roof', 'flags'],
      r.nodes
        .slice(0, top)
        .map((n) => [
          n.name.length > 40 ? `…${n.name.slice(-39)}` : n.name,
          n.opType,
          n.provider.replace('ExecutionProvider', ''),
          ms(n.time.median),
          ms(n.time.p10),
          ms(n.time.p90),
          pct(n.share),
          si(n.flops, 'FLOP'),
          si(n.bytesRead + n.bytesWritten, 'B'),
          n.roofline?.bound ?? '-',
          n.roofline ? pct(n.roofline.fractionOfBound) : '-',
          n.flags.join(','),
        ]),
    ),
  );
  if (r.nodes.length > top) out.push(`… ${r.nodes.length - top} more nodes in profile.json`);
  out.push('');
  out.push(
    table(
      ['op type', 'nodes', 'median ms', 'share', 'FLOP/s'],
      r.opTypes.map((o) => [o.opType, String(o.nodes), ms(o.time.median), pct(o.share), o.achievedFlops ? si(o.achievedFlops, 'FLOP/s') : '-']),
    ),
  );
  const f = r.flags;
  out.push(
    `cpu fallback: ${f['cpu-fallback'].count} nodes ${ms(f['cpu-fallback'].ms)} ms | memcpy: ${f.memcpy.count} ${ms(f.memcpy.ms)} ms | cast: ${f.cast.count} ${ms(f.cast.ms)} ms | layout transposes: ${f['layout-transpose'].count} ${ms(f['layout-transpose'].ms)} ms`,
  );
  const dm = r.memory.device;
  const hostRss = `host max RSS ${si(Math.max(r.memory.host.endToEnd.maxRssBytes, r.memory.host.nodes.maxRssBytes), 'B')}`;
  const arena = r.memory.host.cpuArenaPeakBytes;
  // A CPU run has no device: print no device figure for it.
  out.push(
    r.session.config.ep === 'cpu'
      ? `memory: ${hostRss}${arena !== undefined ? `; ORT CPU arena peak ${si(arena, 'B')} (trace)` : ''}`
      : `memory: device peak ${dm.peakBytes !== null ? si(dm.peakBytes, 'B') : 'n/a'} (${dm.source}); ${hostRss}`,
  );
  for (const w of r.warnings) out.push(`warning: ${w}`);
  const first = r.nodes[0];
  if (first) out.push(`slowest: ${first.name} (${first.opType}, inputs ${shapes(first.inputShapes)})`);
  return out.join('\n');
}

/** The whole report. */
export function renderProfileConsole(p: ProfileReport, top = 15): string {
  const head = `profile of ${p.target} on ${p.device.name} (${p.requestedEp}, onnxruntime ${p.onnxruntime})`;
  return [head, ...p.roles.map((r) => renderRoleConsole(r, top)), ''].join('\n\n');
}
