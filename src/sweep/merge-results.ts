/**
 * Joins the results of several shards (or reruns): reads results.jsonl from each folder or file (a glob
 * like 'shards/*' expands here, for engines that start the merge without a shell), refuses folders whose
 * sweep.json names another spec or other baseline models, keeps one result per variant id (supersedes() in
 * result-store.ts) and names the planned variants that no input has.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { dedupeResults, readResults, RESULTS_FILE } from './result-store.js';
import { readSweepMeta, writeSweepMeta, type SweepMeta } from './sweep-meta.js';
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

const GLOB_CHARS = /[*?[]/;

function segmentRegExp(seg: string): RegExp {
  const body = seg
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/**
 * Expands `*`, `?` and `[...]` in path segments (no `**`), sorted; an input without them is returned as is.
 * A pattern that matches nothing is an error naming it.
 */
export function expandInputs(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    if (!GLOB_CHARS.test(input)) {
      out.push(input);
      continue;
    }
    const absolute = input.startsWith('/');
    let paths = [absolute ? '/' : '.'];
    for (const seg of input.split('/').filter(Boolean)) {
      if (!GLOB_CHARS.test(seg)) {
        paths = paths.map((p) => join(p, seg)).filter((p) => existsSync(p));
        continue;
      }
      const re = segmentRegExp(seg);
      paths = paths.flatMap((p) =>
        existsSync(p) && statSync(p).isDirectory()
          ? readdirSync(p)
              .filter((n) => re.test(n) && !n.startsWith('.'))
              .sort()
              .map((n) => join(p, n))
          : [],
      );
    }
    if (!paths.length) throw new UsageError(`${input}: matches no file or folder`);
    out.push(...paths);
  }
  return out;
}

/** Reads and dedupes the results of every input (folders, results.jsonl files or globs). */
export function loadResults(inputs: readonly string[]): VariantResult[] {
  if (!inputs.length) throw new UsageError('no results given (pass results.jsonl files or sweep folders)');
  return dedupeResults(expandInputs(inputs).flatMap((i) => readResults(resultsPath(i)).results));
}

export interface MergeOptions {
  /** Write the merge even when planned variants are missing (they are listed as a warning). Default: refuse. */
  allowMissing?: boolean;
  warn?: (line: string) => void;
}

export interface MergeOutcome {
  results: VariantResult[];
  /** The inputs after glob expansion. */
  inputs: string[];
  /** Planned variants no input has (empty unless `allowMissing`). */
  missing: { id: string; name: string }[];
  /** Variant ids more than one input had (the baseline of every shard, a rerun shard). */
  duplicates: number;
  /** The sweep.json the inputs agree on, when they have one. */
  meta: SweepMeta | undefined;
}

/** The folder of an input (a results.jsonl's folder), where its sweep.json is. */
function folderOf(input: string): string {
  return statSync(input).isDirectory() ? input : dirname(input);
}

/** Every input's sweep.json must name the same spec and the same baseline models. */
function agreeingMeta(inputs: readonly string[], warn: (s: string) => void): SweepMeta | undefined {
  let first: { input: string; meta: SweepMeta } | undefined;
  const without: string[] = [];
  for (const input of inputs) {
    const meta = readSweepMeta(folderOf(input));
    if (!meta) {
      without.push(input);
      continue;
    }
    if (!first) {
      first = { input, meta };
      continue;
    }
    if (meta.specHash !== first.meta.specHash)
      throw new UsageError(
        `report merge: ${input} ran another spec than ${first.input} ('${meta.name}' ${meta.specHash} vs '${first.meta.name}' ${first.meta.specHash})`,
      );
    if (meta.modelHash !== first.meta.modelHash)
      throw new UsageError(`report merge: ${input} ran other baseline models than ${first.input} (model hash ${meta.modelHash} vs ${first.meta.modelHash})`);
  }
  if (first && without.length) warn(`report merge: no sweep.json in ${without.join(', ')}: its spec and models are not checked\n`);
  return first?.meta;
}

/**
 * Merges `inputs` into `<outDir>/results.jsonl` (atomically) and a sweep.json without a shard. Refuses
 * (UsageError, nothing written) inputs of different sweeps, and missing planned variants unless allowed.
 */
export function mergeResults(inputs: readonly string[], outDir: string, o: MergeOptions = {}): MergeOutcome {
  const warn = o.warn ?? ((s: string) => process.stderr.write(s));
  if (!inputs.length) throw new UsageError('report merge: no inputs (pass sweep folders, results.jsonl files or a glob)');
  const expanded = expandInputs(inputs);
  const files = expanded.map(resultsPath);
  const meta = agreeingMeta(expanded, warn);
  const all = files.flatMap((f) => readResults(f).results);
  const results = dedupeResults(all);
  const have = new Set(results.map((r) => r.id));
  const missing = (meta?.planned ?? []).filter((p) => !have.has(p.id)).map((p) => ({ id: p.id, name: p.name }));
  if (missing.length) {
    const list = missing.map((m) => m.name).join(', ');
    if (!o.allowMissing)
      throw new UsageError(
        `report merge: ${missing.length} planned variants are in no input: ${list} (rerun their shards with --resume, or pass --allow-missing)`,
      );
    warn(`report merge: warning: ${missing.length} planned variants are in no input: ${list}\n`);
  }
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, RESULTS_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, results.map((r) => `${JSON.stringify(r)}\n`).join(''));
  renameSync(tmp, file);
  if (meta) {
    const { shard: _shard, devices: _devices, ...whole } = meta;
    writeSweepMeta(outDir, whole);
  }
  return { results, inputs: expanded, missing, duplicates: all.length - results.length, meta };
}
