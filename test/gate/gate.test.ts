/**
 * The gate on the tiny reference models, through the CLI's exit point: an identical candidate passes, a
 * perturbed decoder fails on frame PSNR naming the decoder, a decoder with a dead MatMul chain fails on RTF,
 * a broken file exits 2, and the JUnit file is well-formed with one testcase per check.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { out } from '../../src/cli/state.js';
import { buildReferenceSet } from '../../src/models/build.js';
import { createPipelineDriver } from '../../src/sweep/pipeline-driver.js';
import { runSweep } from '../../src/sweep/run-sweep.js';
import { brokenModel, parseXmlElements, perturbWeights, slowDecoder } from './helpers.js';

const TEXT = 'Hi there.';
let dir: string;
let manifest: string;
let baselineSweep: string;
let decoder: string;
let config: string;
const saved = { write: out.write, error: out.error };
let stdout = '';
let stderr = '';

async function gate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  stdout = '';
  stderr = '';
  const errWrite = process.stderr.write.bind(process.stderr);
  // main() prints WorkbenchErrors straight to process.stderr.
  process.stderr.write = ((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main([
      'node',
      'workbench',
      'gate',
      '--config',
      config,
      '--text',
      TEXT,
      '--steps',
      '2',
      '--work-dir',
      mkdtempSync(join(dir, 'work-')),
      ...args,
    ]);
    return { code, stdout, stderr };
  } finally {
    process.stderr.write = errWrite;
  }
}

beforeAll(async () => {
  out.write = (s) => void (stdout += s);
  out.error = (s) => void (stderr += s);
  dir = mkdtempSync(join(tmpdir(), 'wb-gate-'));
  // Thresholds come from each test's flags only (not the repository's workbench.gate.json).
  config = join(dir, 'gate.json');
  writeFileSync(config, JSON.stringify({ schemaVersion: 1, thresholds: {} }));
  manifest = buildReferenceSet({ scale: 'tiny', seed: 1, outDir: join(dir, 'ref') }).manifestPath;
  decoder = join(dir, 'ref', 'ditto', 'decoder.onnx');
  // The baseline: a one-variant sweep, 3 timed repeats, as CI would keep it.
  baselineSweep = join(dir, 'baseline');
  await runSweep(
    { schemaVersion: 1, name: 'gate-baseline', manifest, steps: 2, repeats: 3, text: TEXT, variants: [] },
    { out: baselineSweep, ep: 'cpu', driver: createPipelineDriver(), log: () => undefined },
  );
});

afterAll(() => {
  out.write = saved.write;
  out.error = saved.error;
});

describe('workbench gate (tiny reference models)', () => {
  it('passes an identical candidate and writes JUnit and Markdown', async () => {
    const cand = join(dir, 'decoder.onnx');
    copyFileSync(decoder, cand);
    const junit = join(dir, 'identical.xml');
    const md = join(dir, 'identical.md');
    const r = await gate([
      '--baseline',
      baselineSweep,
      '--candidate',
      cand,
      '--max-rtf-regression',
      '50%',
      '--min-psnr',
      '35',
      '--max-error',
      'decoder=1e-6',
      '--max-audio-distance',
      '0.5',
      '--junit',
      junit,
      '--markdown',
      md,
    ]);
    expect(r.stderr + r.stdout).toMatch(/gate: pass/);
    expect(r.code).toBe(0);
    const xml = readFileSync(junit, 'utf8');
    const names = parseXmlElements(xml);
    // end-to-end + tts + ditto regression, psnr, audio distance, decoder error.
    expect(names.filter((n) => n === 'testcase').length).toBe(6);
    expect(names.filter((n) => n === 'failure').length).toBe(0);
    for (const name of [
      'rtf-regression end-to-end',
      'rtf-regression ditto',
      'rtf-regression tts',
      'frame-psnr frames',
      'audio-distance audio',
      'role-error decoder',
    ])
      expect(xml).toContain(`name="${name}"`);
    const mdText = readFileSync(md, 'utf8');
    expect(mdText).toMatch(/Workbench gate: ✅ pass/);
    expect(mdText).toMatch(/\| ✅ \| role-error \| decoder \|/);
  });

  it('fails a perturbed decoder on frame PSNR and names the decoder', async () => {
    const cand = join(dir, 'decoder-perturbed.onnx');
    expect(perturbWeights(decoder, cand, 0.5)).toBeGreaterThan(0);
    const junit = join(dir, 'perturbed.xml');
    const r = await gate(['--baseline', baselineSweep, '--candidate', cand, '--repeats', '1', '--min-psnr', '35', '--junit', junit]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const line = r.stdout.split('\n').find((l) => l.startsWith('FAIL frame-psnr'));
    expect(line).toMatch(
      /^FAIL frame-psnr \(decoder\): candidate \d+\.\d+ vs baseline n\/a, threshold >= 35 dB: FAILED — worst frame .* first divergent role: decoder/,
    );
    const xml = readFileSync(junit, 'utf8');
    const names = parseXmlElements(xml);
    expect(names.filter((n) => n === 'testcase').length).toBe(1);
    expect(names.filter((n) => n === 'failure').length).toBe(1);
    expect(xml).toMatch(/<failure message="frame-psnr \(decoder\): candidate/);
  });

  it('fails a decoder made slower on purpose on RTF and names the decoder', async () => {
    const cand = join(dir, 'decoder-slow.onnx');
    // 8 × [1024×1024]·[1024×1024] per frame: tens of times the tiny decoder's cost, far beyond the noise (256 rows flaked under load).
    slowDecoder(decoder, cand, 8, 1024);
    // One candidate run: the noise is then the baseline's spread (3 runs of the fast model), far under the gap; with
    // two runs of the slow model their spread under load came within reach of it. The identical candidate above
    // covers medians over several candidate runs.
    const r = await gate(['--baseline', baselineSweep, '--candidate', cand, '--repeats', '1', '--max-rtf-regression', '10%', '--min-psnr', '35']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/PASS frame-psnr \(frames\): candidate 100\.0000/);
    const fail = r.stdout.split('\n').find((l) => l.startsWith('FAIL rtf-regression (end-to-end)'));
    expect(fail).toMatch(/threshold <= \+10\.0% and beyond noise: FAILED — medians of 3\/1 runs, noise ±\d+\.\d+; slowest role: decoder \+\d+/);
    expect(r.stdout).toMatch(/FAIL rtf-regression \(ditto\)/);
  });

  it('exits 2 with a clear message for a broken candidate file', async () => {
    const cand = join(dir, 'decoder-broken.onnx');
    brokenModel(cand);
    const r = await gate(['--baseline', baselineSweep, '--candidate', cand, '--min-psnr', '35']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`error: ${cand.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    const missing = await gate(['--baseline', baselineSweep, '--candidate', join(dir, 'nope.onnx')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--candidate: .*nope\.onnx: no such file or folder/);
  });
});
