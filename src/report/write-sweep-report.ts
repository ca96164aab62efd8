/**
 * Writes a sweep's report files next to each other: index.html (self-contained), summary.json, and
 * returns the console table. Used by `workbench sweep` at the end and by `workbench report`.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { VariantResult } from '../sweep/types.js';
import { buildSweepReport, summarizeSweepReport, type SweepReportOptions } from './build-sweep-report.js';
import { renderSweepConsole } from './render-console.js';
import { renderSweepHtml } from './render-sweep-html.js';
import type { SweepReport } from './types.js';

export interface WrittenSweepReport {
  html: string;
  summary: string;
  report: SweepReport;
  text: string;
}

/** `target` is an .html file or a folder (index.html inside it). */
export function reportPaths(target: string): { html: string; summary: string } {
  const html = target.endsWith('.html') ? target : join(target, 'index.html');
  return { html, summary: join(dirname(html), 'summary.json') };
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeSweepReport(results: readonly VariantResult[], target: string, options: SweepReportOptions = {}): WrittenSweepReport {
  const report = buildSweepReport(results, options);
  const paths = reportPaths(target);
  writeAtomic(paths.html, renderSweepHtml(report));
  writeAtomic(paths.summary, `${JSON.stringify(summarizeSweepReport(report), null, 2)}\n`);
  return { ...paths, report, text: renderSweepConsole(report) };
}
