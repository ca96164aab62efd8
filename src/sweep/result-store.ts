/**
 * results.jsonl: one VariantResult per line, appended (write + fsync) as soon as a variant finishes, so a
 * killed sweep loses at most the variant it was running. A torn last line (no newline, or not JSON) is
 * ignored when reading and cut off by {@link repairResults} before appending again.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';
import { RESULT_SCHEMA_VERSION, type VariantResult } from './types.js';

export const RESULTS_FILE = 'results.jsonl';

export interface ReadResults {
  results: VariantResult[];
  /** Byte length of the valid, newline-terminated prefix. */
  validBytes: number;
  /** Whether a torn or unparsable tail was found after the valid prefix. */
  torn: boolean;
}

function isResult(v: unknown): v is VariantResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<VariantResult>;
  return r.schemaVersion === RESULT_SCHEMA_VERSION && typeof r.id === 'string' && typeof r.name === 'string' && (r.status === 'ok' || r.status === 'error');
}

/**
 * Parses results.jsonl. Complete lines that are not results are an error (they name the line); only the
 * last line may be torn, which is reported as `torn` and skipped. A missing file reads as empty.
 */
export function readResults(file: string): ReadResults {
  if (!existsSync(file)) return { results: [], validBytes: 0, torn: false };
  const buf = readFileSync(file);
  const results: VariantResult[] = [];
  let start = 0;
  let line = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    line++;
    if (nl < 0) return { results, validBytes: start, torn: true };
    const text = buf.subarray(start, nl).toString('utf8').trim();
    if (text) {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (e) {
        // A torn write can only be the last line: a line followed by more data is corruption.
        if (nl + 1 >= buf.length) return { results, validBytes: start, torn: true };
        throw new UsageError(`${file}: line ${line}: not JSON (${(e as Error).message})`);
      }
      if (!isResult(v)) throw new UsageError(`${file}: line ${line}: not a sweep result (schemaVersion ${RESULT_SCHEMA_VERSION} with id, name, status)`);
      results.push(v);
    }
    start = nl + 1;
  }
  return { results, validBytes: start, torn: false };
}

/** Cuts a torn last line off results.jsonl; returns whether anything was cut. */
export function repairResults(file: string): boolean {
  const r = readResults(file);
  if (!r.torn) return false;
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, r.validBytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Appends one result as one line and fsyncs it before returning. */
export function appendResult(file: string, result: VariantResult): void {
  mkdirSync(dirname(file), { recursive: true });
  writeSynced(file, `${JSON.stringify(result)}\n`, 'a');
}

/** Writes `text` (flag 'a' appends, 'w' replaces) and fsyncs it before returning. */
function writeSynced(file: string, text: string, flag: 'a' | 'w'): void {
  const fd = openSync(file, flag);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether `r` should replace `prev` for the same variant id: an 'ok' result beats an 'error' one; between
 * equals the one that finished later wins (a rerun supersedes the attempt before it); a tie keeps `prev`,
 * so the first input wins and the outcome does not depend on anything but the inputs and their order.
 */
export function supersedes(r: VariantResult, prev: VariantResult): boolean {
  if (r.status !== prev.status) return r.status === 'ok';
  return r.finishedAt > prev.finishedAt;
}

/** Results with one entry per variant id ({@link supersedes} picks it), baseline first, then spec order. */
export function dedupeResults(results: readonly VariantResult[]): VariantResult[] {
  const byId = new Map<string, VariantResult>();
  for (const r of results) {
    const prev = byId.get(r.id);
    if (!prev || supersedes(r, prev)) byId.set(r.id, r);
  }
  return [...byId.values()].sort((a, b) => Number(b.baseline) - Number(a.baseline) || a.index - b.index);
}

/**
 * Replaces results.jsonl with `results` (write to a temporary file, fsync, rename), unless it already holds
 * exactly these lines; a kill in between leaves the old file or the new one, never a mix.
 */
export function rewriteResults(file: string, results: readonly VariantResult[]): void {
  const text = results.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  const tmp = `${file}.tmp-${process.pid}`;
  writeSynced(tmp, text, 'w');
  renameSync(tmp, file);
}
