/**
 * Golden CLI outputs (knip's habit): what a command prints or writes is compared with a file under
 * test/golden/files/, so that a changed message is a reviewed change. `UPDATE_GOLDEN=1 npx vitest run
 * test/golden` rewrites the files; review the diff and commit it with the change that caused it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'files');

/** Replaces what changes between runs and machines: temporary folders, ISO timestamps, the cwd. */
export function normalize(text: string, dirs: Record<string, string>): string {
  let t = text;
  // Longest first, so that a folder inside another is replaced by its own name.
  for (const [name, d] of Object.entries(dirs).sort((a, b) => b[1].length - a[1].length)) t = t.split(d).join(`<${name}>`);
  return t.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<timestamp>');
}

export function expectGolden(name: string, actual: string): void {
  const file = join(DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`no golden file test/golden/files/${name}: run UPDATE_GOLDEN=1 npx vitest run test/golden, review it and commit it`);
  expect(actual, `test/golden/files/${name} differs (if the change is intended: UPDATE_GOLDEN=1 npx vitest run test/golden, review the diff)`).toBe(
    readFileSync(file, 'utf8'),
  );
}
