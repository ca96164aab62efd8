#!/usr/bin/env node
// House statistics of a source tree, as issue #17 asks for them "before" and "after" a redesign:
// files and lines per folder, median and 90th-percentile file length, functions over 100 lines,
// lines over 120 (and 160) characters, and optionally what `duplicates` reports.
//
//   node scripts/house-stats.mjs [dir=src] [--duplicates [--seconds 120]]
//
// Prints one JSON object. Counts TypeScript sources (.ts, .mts, .cts, .tsx) only; "folder" is the first
// path segment below dir (files directly in dir count as "(root)"). Function lengths come from the
// TypeScript compiler API: every function-like node (declarations, methods, arrows, function
// expressions, constructors, accessors), first line of its declaration to its last, nested ones counted
// on their own as well.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';

const require = createRequire(import.meta.url);
const ts = require('typescript');

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const valueOf = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const dir = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--seconds') ?? 'src';
const FUNCTION_LIMIT = 100;
const SOURCE = /\.(c|m)?tsx?$/;

function walk(d) {
  const out = [];
  for (const entry of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else if (entry.isFile() && SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/** The line count as `wc -l` would give it for a file ending in a newline (a last line without one counts too). */
function lineCount(text) {
  if (text.length === 0) return 0;
  const n = text.split('\n').length;
  return text.endsWith('\n') ? n - 1 : n;
}

function quantile(sorted, q) {
  // Nearest-rank: the smallest value with at least q of the values at or below it.
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function median(sorted) {
  if (sorted.length === 0) return 0;
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

function functionName(node) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  if (node.name) return node.name.getText();
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText();
  if (parent && ts.isPropertyDeclaration(parent)) return parent.name.getText();
  return '(anonymous)';
}

function longFunctions(file, text) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > FUNCTION_LIMIT) found.push({ file, name: functionName(node), line: start + 1, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function duplicatesSummary(root, seconds) {
  try {
    const out = execFileSync('duplicates', ['--repo', root, '--most', '40', '--seconds', String(seconds)], { encoding: 'utf8', maxBuffer: 16 << 20 });
    const lines = out.trimEnd().split('\n');
    const pairs = /^(\d+) pairs/.exec(lines[0] ?? '');
    return {
      command: `duplicates --repo ${root} --most 40 --seconds ${seconds}`,
      summary: lines[0] ?? '',
      pairs: pairs ? Number(pairs[1]) : 0,
      rows: lines.slice(1),
    };
  } catch (e) {
    return { command: 'duplicates', error: String(e.message ?? e) };
  }
}

const files = walk(dir);
const folders = {};
const lengths = [];
const functions = [];
let over120 = 0;
let over160 = 0;
let totalLines = 0;
for (const file of files) {
  const rel = relative(dir, file).split(sep).join('/');
  const text = readFileSync(file, 'utf8');
  const n = lineCount(text);
  const folder = rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : '(root)';
  const f = (folders[folder] ??= { files: 0, lines: 0 });
  f.files += 1;
  f.lines += n;
  lengths.push(n);
  totalLines += n;
  for (const line of text.split('\n')) {
    if (line.length > 120) over120 += 1;
    if (line.length > 160) over160 += 1;
  }
  functions.push(...longFunctions(rel, text));
}
lengths.sort((a, b) => a - b);
functions.sort((a, b) => b.lines - a.lines);

const result = {
  dir,
  commit: (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  })(),
  files: files.length,
  lines: totalLines,
  folders: Object.fromEntries(Object.entries(folders).sort(([a], [b]) => a.localeCompare(b))),
  fileLength: { median: median(lengths), p90: quantile(lengths, 0.9), max: lengths[lengths.length - 1] ?? 0 },
  functionsOver100: { count: functions.length, list: functions },
  linesOver120: over120,
  linesOver160: over160,
};
if (flag('--duplicates')) result.duplicates = duplicatesSummary(dir, Number(valueOf('--seconds', '120')));
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
