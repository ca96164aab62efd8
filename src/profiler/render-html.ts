/**
 * The profile's HTML page: notebooks-html/profile.html filled by src/core/html-page.ts (plotly inlined,
 * the ProfileReport embedded as JSON), so it opens offline from file://.
 */
import { renderHtmlPage } from '../core/html-page.js';
import type { ProfileReport } from './profile-report.js';

/** Renders the self-contained page for a profile. */
export function renderProfileHtml(report: ProfileReport, template = 'profile.html'): string {
  return renderHtmlPage({ title: `Profile: ${report.target} (${report.device.name})`, template, data: report });
}
