/**
 * Golden outputs of `inspect --json` (the fuzz seed models) and of the gate's console lines, Markdown and
 * JUnit on fixed sweep results (no pipeline run: timings come from the results files, so the text is fixed).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFuzzSeeds } from '../../src/fuzz/seeds.js';
import { syntheticResults } from '../report/helpers/synthetic-results.js';
import { runCli } from '../helpers/capture.js';
import { expectGolden, normalize } from './expect-golden.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wb-golden-'));
  buildFuzzSeeds(join(dir, 'seeds'));
  const results = syntheticResults();
  const base = results.find((r) => r.baseline);
  const int8 = results.find((r) => r.name.includes('int8'));
  if (!base || !int8) throw new Error('synthetic results lack the baseline or the int8 variant');
  writeFileSync(join(dir, 'baseline.jsonl'), `${JSON.stringify(base)}\n`);
  writeFileSync(join(dir, 'candidate.jsonl'), `${JSON.stringify(base)}\n${JSON.stringify(int8)}\n`);
  writeFileSync(join(dir, 'gate.json'), JSON.stringify({ schemaVersion: 1, thresholds: {} }));
});

describe('golden: inspect --json', () => {
  for (const seed of ['mlp', 'conv', 'ext'])
    it(seed, async () => {
      const r = await runCli(['inspect', join(dir, 'seeds', `${seed}.onnx`), '--json']);
      expect(r.code, r.stderr).toBe(0);
      expectGolden(`inspect-${seed}.json`, normalize(r.stdout, { dir }));
    });
});

describe('golden: gate console, Markdown and JUnit', () => {
  for (const [name, flags] of [
    ['pass', ['--max-rtf', '100', '--min-psnr', '10']],
    [
      'fail',
      [
        '--max-rtf',
        '0.0001',
        '--max-rtf-regression',
        '5%',
        '--min-psnr',
        '80',
        '--min-ssim',
        '0.999',
        '--max-audio-distance',
        '0.001',
        '--max-error',
        'decoder=1e-9',
      ],
    ],
  ] as const)
    it(name, async () => {
      const md = join(dir, `${name}.md`);
      const xml = join(dir, `${name}.xml`);
      const r = await runCli([
        'gate',
        '--config',
        join(dir, 'gate.json'),
        '--baseline',
        join(dir, 'baseline.jsonl'),
        '--candidate',
        join(dir, 'candidate.jsonl'),
        '--markdown',
        md,
        '--junit',
        xml,
        '--work-dir',
        join(dir, `work-${name}`),
        ...flags,
      ]);
      const expected = name === 'pass' ? 0 : 1;
      expect(r.code, r.stderr).toBe(expected);
      // Two recorded results: nothing runs, so no work folder is made.
      expect(existsSync(join(dir, `work-${name}`))).toBe(false);
      expectGolden(`gate-${name}.txt`, normalize(r.stdout, { dir }));
      expectGolden(`gate-${name}.md`, normalize(readFileSync(md, 'utf8'), { dir }));
      expectGolden(`gate-${name}.junit.xml`, normalize(readFileSync(xml, 'utf8'), { dir }));
    });
});
