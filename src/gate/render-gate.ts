/** Gate renderers: JUnit XML (one testcase per check) and a Markdown table for a PR comment. */
import type { GateReport } from './gate-checks.js';

export function escapeXml(s: string): string {
  // Control characters other than tab/newline are not allowed in XML 1.0.
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** JUnit XML: a testsuite 'workbench gate' with one testcase per check; failures carry the message. */
export function renderGateJunit(r: GateReport): string {
  const failures = r.checks.filter((c) => c.status === 'fail').length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="workbench gate" tests="${r.checks.length}" failures="${failures}" errors="0">`,
    `  <testsuite name="workbench gate" tests="${r.checks.length}" failures="${failures}" errors="0" skipped="0" timestamp="${escapeXml(r.createdAt)}">`,
    '    <properties>',
    `      <property name="baseline" value="${escapeXml(r.baseline)}"/>`,
    `      <property name="candidate" value="${escapeXml(r.candidate)}"/>`,
    ...(r.role ? [`      <property name="role" value="${escapeXml(r.role)}"/>`] : []),
    '    </properties>',
  ];
  for (const c of r.checks) {
    const open = `    <testcase classname="gate.${escapeXml(c.metric)}" name="${escapeXml(`${c.metric} ${c.scope}`)}"`;
    if (c.status === 'pass') lines.push(`${open}/>`);
    else lines.push(`${open}>`, `      <failure message="${escapeXml(c.message)}" type="threshold">${escapeXml(c.message)}</failure>`, '    </testcase>');
  }
  if (!r.checks.length) lines.push('    <testcase classname="gate" name="no thresholds given"/>');
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const num = (v: number | null): string => (v === null ? '–' : Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4));

/** A Markdown summary: verdict line and a table of checks. */
export function renderGateMarkdown(r: GateReport): string {
  const failed = r.checks.filter((c) => c.status === 'fail');
  const lines = [
    `### Workbench gate: ${r.pass ? '✅ pass' : `❌ ${failed.length} of ${r.checks.length} checks failed`}`,
    '',
    `Baseline \`${cell(r.baseline)}\` · candidate \`${cell(r.candidate)}\`${r.role ? ` (role \`${r.role}\`)` : ''}`,
    '',
    '| | check | scope | baseline | candidate | threshold |',
    '| --- | --- | --- | ---: | ---: | --- |',
    ...r.checks.map(
      (c) =>
        `| ${c.status === 'pass' ? '✅' : '❌'} | ${cell(c.metric)} | ${cell(c.scope)} | ${num(c.baseline)} | ${num(c.candidate)} | ${cell(c.threshold)} |`,
    ),
    '',
  ];
  if (failed.length) {
    lines.push('<details><summary>Failures</summary>', '');
    for (const c of failed) lines.push(`- ${cell(c.message)}`);
    lines.push('', '</details>', '');
  }
  return lines.join('\n');
}

/** Console lines: one per check. */
export function renderGateConsole(r: GateReport): string {
  return `${r.checks.map((c) => `${c.status === 'pass' ? 'PASS' : 'FAIL'} ${c.message}`).join('\n')}\ngate: ${r.pass ? 'pass' : 'FAIL'} (${r.checks.filter((c) => c.status === 'fail').length} of ${r.checks.length} checks failed)\n`;
}
