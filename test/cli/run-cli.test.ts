/**
 * `workbench run` as a user runs it: without --text (a default utterance), with --workers 2 (frames and
 * run.json like a single run), and against a baseline (identical audio is one representation: 100 dB).
 * The rerun and the --workers run speak a short text ('Hi there.': one LMDM window, one vocoder call, 16 frames)
 * against one shared plain run of it (test/helpers/shared-run.ts: the CLI's defaults, seed 0, same steps), so
 * the rerun draws 16 frames instead of 44 and the --workers run's timed run and two renderers 16 each instead of 44.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DB_CAP } from '../../src/runner/quality.js';
import type { RunResult } from '../../src/runner/run-result.js';
import { DEFAULT_TEXT } from '../../src/sweep/pipeline-driver.js';
import { runCli } from '../helpers/capture.js';
import { sharedRun } from '../helpers/shared-run.js';
import { tinyManifest } from '../runner/tiny-set.js';

/** The short text of the rerun and the --workers run. */
const TEXT = 'Hi there.';
let manifest: string;
let dir: string;
const common = (): string[] => ['--manifest', manifest, '--steps', '2', '--threads', '1'];
const readRunJson = (d: string): RunResult => JSON.parse(readFileSync(join(d, 'run.json'), 'utf8')) as RunResult;

beforeAll(async () => {
  manifest = await tinyManifest();
  dir = mkdtempSync(join(tmpdir(), 'wb-run-cli-'));
});

describe('workbench run', () => {
  it('runs without --text (the default utterance, shown in --help); a rerun against an identical run prints 100 dB', async () => {
    const help = await runCli(['run', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(DEFAULT_TEXT);
    const a = await runCli(['run', ...common(), '--out', join(dir, 'a')]);
    expect(a.code, a.stderr).toBe(0);
    expect(readRunJson(join(dir, 'a')).config.text).toBe(DEFAULT_TEXT);
    // The rerun speaks the short text against the shared in-process run of it (the CLI's defaults, seed 0): the
    // same comparison as against run a, on 16 frames instead of 100.
    const single = await sharedRun({ manifest, text: TEXT, steps: 2, seed: 0 });
    const b = await runCli(['run', ...common(), '--text', TEXT, '--out', join(dir, 'b'), '--baseline', single.dir]);
    expect(b.code, b.stderr).toBe(0);
    // Identical audio: "≥ 100 dB" on the console, 100 in run.json (as in results.jsonl, the gate and the report).
    expect(b.stdout).toMatch(/PSNR ≥ 100 dB \(worst ≥ 100 dB\).*audio SNR ≥ 100 dB/);
    expect(b.stdout).not.toMatch(/Infinity/);
    const q = readRunJson(join(dir, 'b')).quality;
    expect(q?.audio?.snrDb).toBe(DB_CAP);
    expect(readFileSync(join(dir, 'b', 'run.json'), 'utf8')).not.toMatch(/1e999/);
  });

  it('--workers 2 writes frames and run.json like a single run (worker 0), and workers.json', async () => {
    const out = join(dir, 'w2');
    // The single run to compare against: the CLI's defaults (seed 0) and the same steps.
    const single = await sharedRun({ manifest, text: TEXT, steps: 2, seed: 0 });
    const r = await runCli(['run', ...common(), '--text', TEXT, '--workers', '2', '--out', out, '--baseline', single.dir]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['workers.json', 'run.json', 'frames.rgb', 'audio.wav', 'motion.f32', 'fingerprints.json']) expect(existsSync(join(out, f)), f).toBe(true);
    const run = readRunJson(out);
    expect(run.config.text).toBe(TEXT);
    expect(run.video.frames).toBe(single.run.video.frames);
    expect(readFileSync(join(out, 'frames.rgb')).length).toBe(run.video.frames * run.video.width * run.video.height * 3);
    for (const png of run.files.pngs) expect(existsSync(join(out, png))).toBe(true);
    // Same TTS, same seed for worker 0: the audio is the single run's.
    expect(run.quality?.audio?.snrDb).toBe(DB_CAP);
    expect(run.quality?.frames?.compared).toBe(run.video.frames);
  });
});
