/**
 * Joins the results of several shards (or reruns): reads results.jsonl from each folder or file, keeps one
 * result per variant id (an 'ok' result wins over an 'error' one) and writes a merged results.jsonl.
 */
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { dedupeResults, readResults, RESULTS_FILE } from './result-store.js';
import type { VariantResult } from './types.js';

/** results.jsonl of a folder, or the file itself. */
export function resultsPath(input: string): string {
  if (!existsSync(input)) throw new UsageError(`${input}: no such file or folder`);
  if (statSync(input).isDirectory()) {
    const f = join(input, RESULTS_FILE);
    if (!existsSync(f)) throw new UsageError(`${input}: no ${RESULTS_FILE} in this folder (is it a sweep output folder?)`);
    return f;
  }
  return input;
}

/** Reads and dedupes the results of every input (folders or results.jsonl files). */
export function loadResults(inputs: readonly string[]): VariantResult[] {
  if (!inputs.length) throw new UsageError('no results given (pass results.jsonl files or sweep folders)');
  return dedupeResults(inputs.flatMap((i) => readResults(resultsPath(i)).results));
}

/** Writes the merged results of `inputs` to `<outDir>/results.jsonl` (atomically) and returns them. */
export function mergeResults(inputs: readonly string[], outDir: string): VariantResult[] {
  const merged = loadResults(inputs);
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, RESULTS_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, merged.map((r) => `${JSON.stringify(r)}\n`).join(''));
  renameSync(tmp, file);
  return merged;
}
