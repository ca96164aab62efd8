/**
 * Writes a profile's outputs: profile.json (the typed data) and profile.html (the self-contained page).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfileReport } from './profile-report.js';
import { renderProfileHtml } from './render-html.js';

export interface WrittenProfile {
  json: string;
  html?: string;
  /** Why profile.html was not written (e.g. the template is not found next to a bundled CLI). */
  htmlError?: string;
}

/**
 * Writes profile.json and, unless `html` is false, profile.html into `outDir`. profile.json is written first
 * and an HTML failure does not lose it (render later from the JSON on another machine).
 */
export function writeProfile(report: ProfileReport, outDir: string, html = true): WrittenProfile {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'profile.json');
  writeFileSync(json, `${JSON.stringify(report, null, 1)}\n`);
  if (!html) return { json };
  const page = join(outDir, 'profile.html');
  try {
    writeFileSync(page, renderProfileHtml(report));
  } catch (e) {
    return { json, htmlError: (e as Error).message };
  }
  return { json, html: page };
}
