/**
 * One case of the CLI fuzz target: a mutated seed model run through `inspect`, `convert` and
 * `optimize --fp16` in-process, through the entry `bin/workbench.js` uses (`execute`), with output captured.
 * Every run must end in exit 0, or exit 2 with one `error:` line, no output file and the input unchanged.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execute } from '../cli/main.js';
import { out } from '../cli/state.js';
import { caseRng, mutate, type Mutation } from './mutate.js';
import type { FuzzSeed } from './seeds.js';

export type FuzzFailureKind = 'crash' | 'hang' | 'partial-output' | 'modified-input';

export interface FuzzFailure {
  index: number;
  seed: string;
  mutation: Mutation;
  command: string;
  kind: FuzzFailureKind;
  code: number;
  /** What was printed on stderr (first 400 characters) or why it counts. */
  detail: string;
}

export interface FuzzCaseResult {
  index: number;
  seed: string;
  mutation: Mutation;
  /** Per command: exit code and milliseconds. */
  runs: { command: string; code: number; ms: number }[];
  failures: FuzzFailure[];
}

const COMMANDS: { name: string; args: (input: string, output: string) => string[]; writes: boolean }[] = [
  { name: 'inspect', args: (i) => ['inspect', i, '--json'], writes: false },
  { name: 'convert', args: (i, o) => ['convert', i, '-o', o], writes: true },
  { name: 'optimize --fp16', args: (i, o) => ['optimize', i, '-o', o, '--fp16'], writes: true },
];

/** `error: ` and printable text (control characters of a corrupt name are escaped). */
// eslint-disable-next-line no-control-regex
const ONE_LINE = /^error: [^\u0000-\u001f\u007f]+$/;

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function captured(argv: string[]): Promise<{ code: number; stderr: string; internal?: Error }> {
  let stderr = '';
  const saved = { write: out.write, error: out.error };
  out.write = () => undefined;
  out.error = (s: string) => void (stderr += s);
  try {
    const r = await execute(['node', 'workbench', ...argv]);
    return { code: r.code, stderr, ...(r.internalError ? { internal: r.internalError } : {}) };
  } catch (e) {
    // execute maps every error to an outcome; anything thrown past it is a crash of the CLI itself.
    return { code: -1, stderr, internal: e instanceof Error ? e : new Error(String(e)) };
  } finally {
    out.write = saved.write;
    out.error = saved.error;
  }
}

/** The mutated input of case `index` (deterministic in seed and index). */
export function fuzzInput(seeds: readonly FuzzSeed[], seed: number, index: number): { seed: FuzzSeed; mutation: Mutation; bytes: Uint8Array } {
  const rnd = caseRng(seed, index);
  const s = seeds[Math.floor(rnd() * seeds.length)] as FuzzSeed;
  const other = seeds[Math.floor(rnd() * seeds.length)] as FuzzSeed;
  const m = mutate(s.bytes, other.bytes, rnd);
  return { seed: s, mutation: m.mutation, bytes: m.bytes };
}

/** Runs case `index` in `workDir` (emptied first). `onCommand` is told before each command starts (the pool's hang watch). */
export async function runFuzzCase(
  seeds: readonly FuzzSeed[],
  seed: number,
  index: number,
  workDir: string,
  onCommand?: (command: string) => void,
  onError?: (line: string) => void,
): Promise<FuzzCaseResult> {
  const { seed: s, mutation, bytes } = fuzzInput(seeds, seed, index);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const input = join(workDir, s.file);
  writeFileSync(input, bytes);
  if (s.data) writeFileSync(`${input}.data`, s.data);
  const inputs = [input, ...(s.data ? [`${input}.data`] : [])];
  const before = inputs.map((f) => sha(readFileSync(f)));
  const result: FuzzCaseResult = { index, seed: s.name, mutation, runs: [], failures: [] };
  const fail = (command: string, kind: FuzzFailureKind, code: number, detail: string): void =>
    void result.failures.push({ index, seed: s.name, mutation, command, kind, code, detail: detail.slice(0, 400) });
  for (const c of COMMANDS) {
    const output = join(workDir, 'out', 'o.onnx');
    mkdirSync(join(workDir, 'out'), { recursive: true });
    onCommand?.(c.name);
    const t0 = performance.now();
    const r = await captured(c.args(input, output));
    result.runs.push({ command: c.name, code: r.code, ms: performance.now() - t0 });
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    if (r.code !== 0) onError?.(r.stderr.trim());
    if (r.internal) fail(c.name, 'crash', r.code, `${r.internal.name}: ${r.internal.message} | ${r.stderr.trim()}`);
    else if (r.code !== 0 && !(r.code === 2 && lines.length === 1 && ONE_LINE.test(lines[0] ?? '')))
      fail(c.name, 'crash', r.code, `exit ${r.code}, ${lines.length} stderr lines: ${r.stderr.trim()}`);
    const written = readdirSync(join(workDir, 'out'));
    if (r.code !== 0 && written.length) fail(c.name, 'partial-output', r.code, `left ${written.join(', ')}`);
    if (r.code === 0 && c.writes && !existsSync(output)) fail(c.name, 'crash', r.code, 'exit 0 but no output written');
    // Temp files next to the input count as partial output too.
    const stray = readdirSync(workDir).filter((f) => f.includes('.tmp-'));
    if (stray.length) fail(c.name, 'partial-output', r.code, `left ${stray.join(', ')}`);
    rmSync(join(workDir, 'out'), { recursive: true, force: true });
    const after = inputs.map((f) => (existsSync(f) ? sha(readFileSync(f)) : 'missing'));
    if (after.some((h, i) => h !== before[i])) {
      fail(c.name, 'modified-input', r.code, 'input bytes changed');
      break;
    }
  }
  return result;
}
