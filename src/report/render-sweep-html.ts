/** The sweep report as one self-contained HTML page (notebooks-html/sweep-report.html). */
import { renderHtmlPage } from '../core/html-page.js';
import type { SweepReport } from './types.js';

export const SWEEP_TEMPLATE = 'sweep-report.html';

export function renderSweepHtml(report: SweepReport, template: string = SWEEP_TEMPLATE): string {
  return renderHtmlPage({ title: report.title, template, data: report });
}
