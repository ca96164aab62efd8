/**
 * A run's timeline as console text: one row per stage across the run (█ busy most of a slice, ▒ part of it,
 * · idle), its steps, busy time, first start and last end, and its longest gap; then what the end waited on
 * and the bound calls' slowest waits outside their runs.
 */
import type { RunTimeline } from '../runner/run-timeline.js';

const ms = (x: number): string => `${x.toFixed(1)} ms`;

function bar(occupancy: readonly number[]): string {
  return occupancy.map((x) => (x >= 0.5 ? '█' : x > 0 ? '▒' : '·')).join('');
}

export function renderTimelineText(t: RunTimeline): string {
  const name = Math.max(...t.stages.map((s) => s.stage.length), 5);
  const lines = [
    `run ${ms(t.totalMs)}${t.timeToFirstFrameMs !== null ? `, first frame at ${ms(t.timeToFirstFrameMs)}` : ''}; each column ${ms(t.totalMs / t.slices)}`,
    '',
    `${'stage'.padEnd(name)}  ${'0'.padEnd(t.slices - 1)}|  steps      busy     first →     last   longest gap`,
  ];
  for (const s of t.stages)
    lines.push(
      `${s.stage.padEnd(name)}  ${bar(s.occupancy)}  ${String(s.steps).padStart(5)} ${s.busyMs.toFixed(1).padStart(9)} ${s.startMs.toFixed(1).padStart(9)} → ${s.endMs.toFixed(1).padStart(8)}   ${s.longestGapMs.toFixed(1)} at ${s.longestGapAtMs.toFixed(1)}`,
    );
  lines.push(
    '',
    `the run ended with ${t.last}: it started at ${ms(t.lastIdleMs.beforeFirstStep)} and stood ${ms(t.lastIdleMs.betweenSteps)} between its steps`,
  );
  for (const c of t.slowestCalls.filter((x) => x.maxWaitMs >= 1))
    lines.push(`${c.role}: slowest call ${ms(c.maxMs)}, of it the run ${ms(c.maxRunMs)} and ${ms(c.maxWaitMs)} waiting outside it`);
  return `${lines.join('\n')}\n`;
}
