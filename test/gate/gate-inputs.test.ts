/**
 * The gate checks every input before it runs anything, and leaves nothing behind when it cannot run:
 * a truncated candidate model fails at once (it used to run the baseline three times, 42 s, first) and
 * the work folder is removed.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runGate } from '../../src/gate/run-gate.js';
import type { SweepDriver } from '../../src/sweep/types.js';
import { tinyManifest } from '../runner/tiny-set.js';

let manifest: string;
let dir: string;
const runs: string[] = [];
/** A driver that records runs instead of running the pipeline: none may happen. */
const driver: SweepDriver = {
  baselineManifest: () => Promise.reject(new Error('not used')),
  buildVariant: () => Promise.reject(new Error('not used')),
  run: (r) => {
    runs.push(r.manifestPath);
    mkdirSync(r.outDir, { recursive: true });
    return Promise.reject(new Error('the gate ran the pipeline before checking its inputs'));
  },
  env: () => ({ ep: 'cpu', node: process.version }),
};

beforeAll(async () => {
  manifest = await tinyManifest();
  dir = mkdtempSync(join(tmpdir(), 'wb-gate-inputs-'));
});

const gate = (candidate: string, workDir: string) =>
  runGate({ baseline: manifest, candidate, thresholds: { minPsnr: 30 }, repeats: 3, ep: 'cpu', seed: 1, workDir, driver });

describe('gate input checks', () => {
  it('a truncated candidate model fails before any run, naming the file, and leaves no work folder', async () => {
    const decoder = join(manifest, '..', 'ditto', 'decoder.onnx');
    const cand = join(dir, 'decoder-truncated.onnx');
    const bytes = readFileSync(decoder);
    writeFileSync(cand, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const work = join(dir, 'work');
    await expect(gate(cand, work)).rejects.toThrow(/decoder-truncated\.onnx: /);
    expect(runs).toEqual([]);
    expect(existsSync(work)).toBe(false);
  });

  it('a candidate manifest missing a role fails before any run', async () => {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { roles: Record<string, { file: string }>; vocab?: string };
    for (const spec of Object.values(m.roles)) spec.file = resolve(dirname(manifest), spec.file);
    if (m.vocab) m.vocab = resolve(dirname(manifest), m.vocab);
    delete m.roles.decoder;
    const cand = join(dir, 'manifest.json');
    writeFileSync(cand, JSON.stringify(m));
    await expect(gate(cand, join(dir, 'work2'))).rejects.toThrow(/roles\.decoder: missing/);
    expect(runs).toEqual([]);
    expect(existsSync(join(dir, 'work2'))).toBe(false);
  });

  it('a failure during a run removes what it created, and only that', async () => {
    const work = join(dir, 'work3');
    mkdirSync(join(work, 'earlier'), { recursive: true });
    const cand = join(dir, 'decoder.onnx');
    copyFileSync(join(manifest, '..', 'ditto', 'decoder.onnx'), cand);
    await expect(gate(cand, work)).rejects.toThrow(/ran the pipeline/);
    expect(runs).toHaveLength(1); // the inputs were fine: the baseline run started
    expect(readdirSync(work)).toEqual(['earlier']);
    runs.length = 0;
  });
});
