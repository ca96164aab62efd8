/**
 * The generic self-contained HTML page: a template from notebooks-html/ with plotly.js inlined and the
 * report data embedded as JSON in `<script type="application/json" id="report-data">`. The page needs no
 * network. Templates use three placeholders: `{{title}}`, `{{plotly}}` (a whole `<script>` element) and
 * `{{data}}` (a whole `<script type="application/json">` element); the page's own script reads the data with
 * `JSON.parse(document.getElementById('report-data').textContent)`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';

/**
 * The repository's notebooks-html/ folder: the nearest one above this module (src/report and dist/report
 * are two levels down, a single-file bundle such as .gpubundle/workbench.mjs one).
 */
export const TEMPLATES_DIR = findTemplatesDir(dirname(fileURLToPath(import.meta.url)));

function findTemplatesDir(from: string): string {
  for (let dir = from, i = 0; i < 6; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'notebooks-html');
    if (existsSync(candidate)) return candidate;
  }
  return join(from, '..', '..', 'notebooks-html');
}

export interface HtmlPageInput {
  title: string;
  /** A template file name in notebooks-html/, an absolute path, or the template text itself (contains '{{'). */
  template: string;
  /** JSON-serializable report data. */
  data: unknown;
}

let plotlyCache: string | undefined;

/** plotly.js (minified) from node_modules/plotly.js-dist-min. */
export function plotlySource(): string {
  if (plotlyCache === undefined) {
    const require = createRequire(import.meta.url);
    let file: string;
    try {
      file = require.resolve('plotly.js-dist-min/plotly.min.js');
    } catch {
      throw new UsageError(
        'plotly.js-dist-min is not installed beside the CLI, so no HTML page can be written here: run with --no-report (or --no-html) and render the JSON with `workbench report` where the project is installed',
      );
    }
    plotlyCache = readFileSync(file, 'utf8');
  }
  return plotlyCache;
}

/** JSON that is safe inside a `<script>` element: no `</script>`, `<!--` or line separators can end it early. */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function loadTemplate(t: string): string {
  if (t.includes('{{')) return t;
  const file = isAbsolute(t) ? t : join(TEMPLATES_DIR, t);
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read the report template (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** Fills a template: the title (escaped), plotly.js inlined and the data as JSON. */
export function renderHtmlPage(input: HtmlPageInput): string {
  const template = loadTemplate(input.template);
  for (const p of ['{{plotly}}', '{{data}}']) if (!template.includes(p)) throw new UsageError(`report template is missing the ${p} placeholder`);
  const parts: Record<string, string> = {
    '{{title}}': escapeHtml(input.title),
    '{{plotly}}': `<script>${plotlySource()}</script>`,
    '{{data}}': `<script type="application/json" id="report-data">${jsonForScript(input.data)}</script>`,
  };
  // One pass, so placeholder-like text inside plotly or the data is never substituted again.
  return template.replace(/\{\{(title|plotly|data)\}\}/g, (m) => parts[m] ?? m);
}
