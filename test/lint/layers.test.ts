/**
 * The layer rules bite: dependency-cruiser, with the project's own .dependency-cruiser.cjs, fails a
 * temporary tree whose src/onnx imports src/runner (and the other kinds of break), passes the real src/,
 * and the layer list, docs/ARCHITECTURE.md's drawing and src/'s folders agree. The real src/ is only read.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const { LAYERS } = createRequire(import.meta.url)(join(ROOT, 'scripts', 'layers.cjs')) as { LAYERS: string[][] };

interface Violation {
  rule: { name: string; severity: string };
  from: string;
  to: string;
}

/** Runs the CLI in `cwd` with the project's rules: the exit status and what it printed. */
function depcruise(cwd: string, outputType: 'json' | 'err'): { status: number; out: string } {
  try {
    return {
      status: 0,
      out: execFileSync(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', outputType], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 }),
    };
  } catch (e) {
    // The err reporter exits with the number of errors; what it found is on stdout all the same.
    const failed = e as { status?: number; stdout?: string };
    if (!failed.stdout) throw e;
    return { status: failed.status ?? -1, out: failed.stdout };
  }
}

function violations(cwd: string): Violation[] {
  return (JSON.parse(depcruise(cwd, 'json').out) as { summary: { violations: Violation[] } }).summary.violations;
}

const tmp = mkdtempSync(join(tmpdir(), 'wb-layers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, text: string): void {
  const file = join(tmp, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

describe('layer rules (dependency-cruiser)', () => {
  it('fail a tree where src/onnx imports src/runner, and every other kind of break', () => {
    writeFileSync(join(tmp, 'tsconfig.json'), readFileSync(join(ROOT, 'tsconfig.json')));
    symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'node_modules'), 'dir');
    write('src/errors.ts', 'export class WorkbenchError extends Error {}\n');
    write('src/runner/run.ts', "import { WorkbenchError } from '../errors.js';\nexport const run = (): Error => new WorkbenchError('x');\n");
    // The break the issue names: the bottom importing the pipeline.
    write('src/onnx/bad.ts', "import { run } from '../runner/run.js';\nexport const bad = run;\n");
    // A type-only import upward counts too.
    write('src/media/voice.ts', 'export interface Voice { rate: number }\n');
    write('src/core/typed.ts', "import type { Voice } from '../media/voice.js';\nexport const rateOf = (v: Voice): number => v.rate;\n");
    // Two folders of one layer do not import each other.
    write('src/gate/check.ts', 'export const check = 1;\n');
    write('src/report/uses-gate.ts', "import { check } from '../gate/check.js';\nexport const c = check;\n");
    // ONNX Runtime only from src/runtime.
    write('src/quantize/ort.ts', "import * as ort from 'onnxruntime-node';\nexport const env = ort.env;\n");
    write('src/runtime/ok.ts', "import * as ort from 'onnxruntime-node';\nexport const env = ort.env;\n");
    // A cycle.
    write('src/sweep/a.ts', "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n");
    write('src/sweep/b.ts', "import { a } from './a.js';\nexport const b = (): number => a() - 1;\n");

    const found = violations(tmp);
    // A package resolves to its file under node_modules (here the linked one): name the package.
    const name = (to: string): string => /node_modules\/(onnxruntime-node)\//.exec(to)?.[1] ?? to;
    expect(found.map((v) => `${v.rule.name}: ${v.from} -> ${name(v.to)}`).sort()).toEqual([
      'layer-core: src/core/typed.ts -> src/media/voice.ts',
      'layer-onnx: src/onnx/bad.ts -> src/runner/run.ts',
      'layer-report: src/report/uses-gate.ts -> src/gate/check.ts',
      'no-circular: src/sweep/a.ts -> src/sweep/b.ts',
      'onnxruntime-only-in-runtime: src/quantize/ort.ts -> onnxruntime-node',
    ]);
    for (const v of found) expect(v.rule.severity).toBe('error');
    // `npm run lint`'s form fails the run and names the break.
    const lint = depcruise(tmp, 'err');
    expect(lint.status).toBe(found.length);
    expect(lint.out).toMatch(/error layer-onnx: src\/onnx\/bad\.ts → \s*src\/runner\/run\.ts/);
  });

  it('pass the real src/', () => {
    expect(violations(ROOT)).toEqual([]);
  });

  it('name every folder of src/ once, as docs/ARCHITECTURE.md draws them', () => {
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(LAYERS.flat().sort()).toEqual(folders);

    // The drawing: a fenced block under "## Layers", one line per layer, top first: `N  folder/  folder/ …`.
    const doc = readFileSync(join(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');
    const section = doc.slice(doc.indexOf('\n## Layers'));
    const block = /```[a-z]*\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const drawn: string[][] = [];
    for (const line of block.split('\n')) {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      // The folders are the leading `name/` words; the description follows.
      const words = (m[2] ?? '').split(/\s+/);
      const end = words.findIndex((w) => !/^[a-z-]+\/$/.test(w));
      drawn[Number(m[1])] = words.slice(0, end < 0 ? words.length : end).map((w) => w.slice(0, -1));
    }
    expect(drawn).toEqual(LAYERS);
  });
});
