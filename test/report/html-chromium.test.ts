/**
 * The sweep report in a real headless Chromium: loads from file:// with every non-file request aborted
 * (and none attempted), every chart renders with its traces, the detail select swaps the panel, and the
 * console stays clean. Skipped only when /usr/bin/chromium is absent (CI installs it).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { buildSweepReport } from '../../src/report/build-sweep-report.js';
import { renderSweepHtml } from '../../src/report/render-sweep-html.js';
import { writeRunPreview } from '../../src/sweep/run-preview.js';
import type { VariantResult } from '../../src/sweep/types.js';
import { syntheticResults } from './helpers/synthetic-results.js';
import { writeSyntheticRun } from './helpers/synthetic-run.js';

const CHROMIUM = '/usr/bin/chromium';
// One process (no zygote, renderer and GPU thread inside the browser): 1.4 GB of processes become about 0.4 GB,
// which matters when the suite's other worker runs beside it (issue 14: the suite's peak tree RSS).
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--single-process',
  '--no-zygote',
  '--in-process-gpu',
];
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIP html-chromium: ${CHROMIUM} not found (apt-get install -y chromium)`);

describe.skipIf(!haveChromium)('sweep report in headless Chromium', () => {
  it('renders every chart offline with no console errors', async () => {
    const report = buildSweepReport(syntheticResults({ profile: true, workers: true }), { title: 'Sweep <test> & report', constraints: { minPsnr: 40 } });
    const html = renderSweepHtml(report);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    const dir = mkdtempSync(join(tmpdir(), 'wb-report-'));
    const file = join(dir, 'index.html');
    writeFileSync(file, html);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const attempted: string[] = [];
      await context.route('**/*', async (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        attempted.push(url);
        return route.abort();
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:') && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) attempted.push(r.url());
      });
      await page.goto(pathToFileURL(file).href);
      await page.waitForFunction('window.__reportReady === true', undefined, { timeout: 60_000 });

      expect(await page.title()).toBe('Sweep <test> & report');
      for (const chart of report.charts) {
        const info = await page.evaluate<{ exists: boolean; svg: number; traces: number }>(`(() => {
          const div = document.getElementById(${JSON.stringify(chart.id)});
          return { exists: !!div, svg: div ? div.querySelectorAll('.main-svg').length : 0, traces: div && div.data ? div.data.length : -1 };
        })()`);
        expect(info, chart.id).toEqual({ exists: true, svg: expect.any(Number), traces: chart.data.length });
        expect(info.svg, chart.id).toBeGreaterThan(0);
      }
      // Ranking table: one row per variant, front rows marked.
      expect(await page.locator('#ranking tbody tr').count()).toBe(report.ranking.variants.length);
      expect(await page.locator('#ranking tbody tr.front').count()).toBe(report.ranking.front.length);
      // The injected error text stays text.
      expect(await page.locator('#ranking script').count()).toBe(0);

      // Detail view: the select swaps the panel and its charts.
      const target = report.details.find((d) => d.charts.some((c) => c.id.startsWith('detail-roofline-')) && d.id !== report.details[0]?.id);
      expect(target).toBeDefined();
      await page.selectOption('#detail-select', target!.id);
      await page.waitForFunction(`(() => {
        const div = document.getElementById('detail-roofline-${target!.id}');
        return !!div && div.querySelectorAll('.main-svg').length > 0;
      })()`);
      expect(await page.locator('#detail-title').textContent()).toBe(target!.name);
      for (const c of target!.charts) expect(await page.locator(`#${c.id} .main-svg`).count()).toBeGreaterThan(0);
      await page.selectOption('#detail-select', 'deadbeef0000');
      await page.waitForFunction(`document.querySelector('#detail-panel .error') !== null`);
      expect(await page.locator('#detail-panel .error').textContent()).toContain('<script>alert(1)</script>');

      const shot = join(tmpdir(), 'workbench-sweep-report.png');
      await page.selectOption('#detail-select', report.details[1]!.id);
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`screenshot: ${shot}`);
      expect(existsSync(shot)).toBe(true);

      expect(attempted).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it("shows each variant's frames beside the baseline's with a difference map, and plays its audio, offline", async () => {
    const results = syntheticResults()
      .filter((r) => r.status === 'ok')
      .slice(0, 3);
    const root = mkdtempSync(join(tmpdir(), 'wb-report-media-'));
    results.forEach((r: VariantResult, i) => {
      const dir = writeSyntheticRun(join(root, r.id), { size: i === 2 ? 48 : 64, frames: 5, seconds: 2, shift: i });
      writeRunPreview(dir);
      if (r.metrics) r.metrics.runDir = dir;
    });
    const report = buildSweepReport(results, { title: 'media' });
    const variant = report.details.find((d) => d.id !== report.ranking.baselineId && d.media);
    expect(variant?.media?.frames).toHaveLength(3);
    const file = join(root, 'index.html');
    writeFileSync(file, renderSweepHtml(report));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const context = await browser.newContext();
      const attempted: string[] = [];
      await context.route('**/*', async (route) => {
        const url = route.request().url();
        if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
        attempted.push(url);
        return route.abort();
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(file).href);
      await page.waitForFunction('window.__reportReady === true', undefined, { timeout: 60_000 });
      await page.selectOption('#detail-select', variant!.id);
      await page.waitForFunction(`document.querySelectorAll('#detail-panel img.frame-diff').length === 3`);
      // Every image decoded (naturalWidth > 0) and the audio's metadata loaded, from data URIs only.
      await page.waitForFunction(`Array.from(document.querySelectorAll('#detail-panel img')).every((i) => i.complete && i.naturalWidth > 0)`, undefined, {
        timeout: 20_000,
      });
      const counts = await page.evaluate<{ variant: number; baseline: number; diff: number; srcs: string[] }>(`(() => ({
        variant: document.querySelectorAll('#detail-panel img.frame-variant').length,
        baseline: document.querySelectorAll('#detail-panel img.frame-baseline').length,
        diff: document.querySelectorAll('#detail-panel img.frame-diff').length,
        srcs: Array.from(document.querySelectorAll('#detail-panel img, #detail-panel audio')).map((e) => e.getAttribute('src').slice(0, 5)),
      }))()`);
      expect(counts).toEqual({ variant: 3, baseline: 3, diff: 3, srcs: Array(10).fill('data:') });
      await page.waitForFunction(
        `(() => { const a = document.querySelector('#detail-panel audio.variant-audio'); return !!a && a.readyState >= 1 && a.duration > 1.9; })()`,
        undefined,
        { timeout: 20_000 },
      );
      expect(attempted).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
