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
}

/** Writes profile.json and, unless `html` is false, profile.html into `outDir`. */
export function writeProfile(report: ProfileReport, outDir: string, html = true): WrittenProfile {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'profile.json');
  writeFileSync(json, `${JSON.stringify(report, null, 1)}\n`);
  if (!html) return { json };
  const page = join(outDir, 'profile.html');
  writeFileSync(page, renderProfileHtml(report));
  return { json, html: page };
}
