import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { readModel } from '../../src/onnx/read-model.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { compareRuns } from '../../src/runner/compare-runs.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import type { RunResult } from '../../src/runner/run-result.js';
import { encodeWav, readWav } from '../../src/media/wav.js';
import { runWorkerPool } from '../../src/runner/worker-pool.js';
import { tinyManifest } from './tiny-set.js';
import { DB_CAP } from '../../src/runner/quality.js';
import { SHARED_TEXT, sharedRun } from '../helpers/shared-run.js';

const ROOT = join(tmpdir(), 'workbench-runner-tests', `pipeline-${process.pid}`);
const TEXT = SHARED_TEXT; // 25 chars ≈ 1.8 s
/** The shared baseline's options (test/helpers/shared-run.ts): the rerun and the perturbed run take the same. */
const runCommon = { steps: 2, seed: 0, mp4: false } as const;
const common = { steps: 2, seed: 3, settings: { session: { intraOpThreads: 1 } }, mp4: false } as const;

let manifest = '';
let base: RunResult;
/** The base run's folder: the plain run of TEXT that other test files compare against too. */
let baseDir = '';

beforeAll(async () => {
  mkdirSync(ROOT, { recursive: true });
  manifest = await tinyManifest();
  const shared = await sharedRun({ manifest, text: TEXT, steps: runCommon.steps, seed: runCommon.seed });
  base = shared.run;
  baseDir = shared.dir;
});

describe('runPipeline on the tiny reference set', () => {
  test('run.json: stages, RTF = time ÷ audio seconds, calls consistent with the audio', () => {
    const r = JSON.parse(readFileSync(join(baseDir, 'run.json'), 'utf8')) as RunResult;
    expect(r.schemaVersion).toBe(1);
    const secs = r.audio.seconds;
    expect(secs).toBeGreaterThan(1.5);
    expect(secs).toBeLessThan(3.5);
    for (const s of [
      'tts',
      'ditto',
      'tts.conditioning',
      'tts.prefill',
      'tts.decode',
      'tts.vocoder',
      'ditto.resample',
      'ditto.hubert',
      'ditto.lmdm',
      'ditto.source',
      'ditto.render',
    ])
      expect(r.timing.stagesMs[s], s).toBeGreaterThan(0);
    expect(r.timing.rtf.endToEnd).toBeGreaterThan(0);
    expect(r.timing.rtf.endToEnd).toBeCloseTo(r.timing.totalMs / 1000 / secs, 10);
    expect(r.timing.rtf.ditto).toBeCloseTo((r.timing.stagesMs.ditto as number) / 1000 / secs, 10);
    expect(r.timing.rtfDirection).toMatch(/processing seconds \/ audio seconds/);
    // The timeline: every sub-stage's steps, ordered, non-overlapping within a stage, inside the run, summing to its total.
    const timeline = r.timing.timeline ?? {};
    for (const [stage, ms] of Object.entries(r.timing.stagesMs)) {
      if (!stage.includes('.')) continue;
      const steps = timeline[stage] ?? [];
      expect(steps.length, stage).toBeGreaterThan(0);
      steps.forEach(([a, b], i) => {
        expect(b, stage).toBeGreaterThanOrEqual(a);
        if (i > 0) expect(a, stage).toBeGreaterThanOrEqual((steps[i - 1] as [number, number])[1]);
      });
      expect((steps.at(-1) as [number, number])[1], stage).toBeLessThanOrEqual(r.timing.totalMs + 0.01);
      expect(
        steps.reduce((t, [a, b]) => t + b - a, 0),
        stage,
      ).toBeCloseTo(ms, 0);
    }
    expect(timeline['ditto.render']?.length).toBe(r.counts.renderCalls);
    // The first frame came out of the first render step.
    expect(r.timing.timeToFirstFrameMs).toBeGreaterThanOrEqual((timeline['ditto.render']?.[0] as [number, number])[1] - 0.01);
    expect(r.timing.timeToFirstAudioMs).toBeGreaterThan(0);
    expect(r.timing.timeToFirstFrameMs).toBeGreaterThan(r.timing.timeToFirstAudioMs as number);
    const frames = Math.ceil(secs * 25);
    expect(r.video.frames).toBe(frames);
    expect(r.counts.hubertChunks).toBe(Math.ceil(frames / 5));
    expect(r.counts.lmdmWindows).toBe(Math.ceil(frames / 70));
    const calls = (role: keyof RunResult['roles']): number => r.roles[role]?.calls ?? -1;
    expect(calls('hubert')).toBe(r.counts.hubertChunks);
    expect(calls('lmdm')).toBe(r.counts.lmdmWindows * 2);
    for (const role of ['stitch_network', 'warp_network', 'decoder'] as const) expect(calls(role)).toBe(frames);
    for (const role of ['appearance_extractor', 'motion_extractor', 'cond_encoder', 'speaker_encoder', 'gpt_prefill'] as const) expect(calls(role)).toBe(1);
    expect(calls('gpt_decode')).toBe((r.counts.audioTokens as number) - 1);
    expect(calls('hifigan')).toBe(Math.ceil((r.counts.audioTokens as number) / 20));
    expect(r.roles.decoder?.medianMs).toBeGreaterThan(0);
    expect(r.memory.peakHostRssBytes).toBeGreaterThan(0);
    expect(r.memory.peakDeviceBytes).toBeNull();
    expect(r.config.ep).toBe('cpu');
    expect(r.config.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    const wav = readWav(join(baseDir, 'audio.wav'));
    expect(wav.sampleRate).toBe(24000);
    expect(wav.samples.length).toBe(r.audio.samples);
    expect(r.files.pngs.length).toBe(3);
  });

  test('a rerun against itself is exact; a perturbed decoder is finite and blamed on the decoder', async () => {
    const again = await runPipeline({ manifest, text: TEXT, out: join(ROOT, 'again'), baseline: baseDir, ...runCommon });
    const q = again.quality;
    expect(q?.frames?.psnrMean).toBe(DB_CAP);
    expect(q?.frames?.ssimMean).toBe(1);
    expect(q?.audio?.snrDb).toBe(DB_CAP);
    expect(q?.audio?.logMelDistanceDb).toBe(0);
    expect(q?.motion?.rmse).toBe(0);
    expect(q?.firstDivergentRole).toBeNull();
    // Identical is DB_CAP in run.json too (JSON has no Infinity): one representation everywhere.
    const stored = JSON.parse(readFileSync(join(ROOT, 'again', 'run.json'), 'utf8')) as RunResult;
    expect(stored.quality?.frames?.psnrMean).toBe(DB_CAP);

    // Decoder with its weights (not biases) perturbed by ±10 %: the frames are real images, so the weights
    // alone move them (≈ 25 dB PSNR on the tiny set, seed 1).
    const decFile = base.config.roleFiles.decoder as string;
    const { model } = readModel(decFile);
    for (const v of model.graph.initializers) {
      const t = v.initializer;
      if (!t || t.dataType !== 1 || t.storage !== 'raw' || !/\.weight$/.test(v.name)) continue; // not biases, not Resize scales
      const w = new Float32Array(Uint8Array.from(t.data).buffer); // a copy (t.data may be a Buffer view)
      for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) * (1 + 0.1 * Math.sin(i + 1)); // ±10 %
      t.data = new Uint8Array(w.buffer);
    }
    const perturbed = join(ROOT, 'decoder-perturbed.onnx');
    writeModel(model, perturbed);
    const pert = await runPipeline({
      manifest,
      text: TEXT,
      out: join(ROOT, 'perturbed'),
      roleFiles: { decoder: perturbed },
      variant: 'decoder-perturbed',
      ...runCommon,
    });
    const p = compareRuns(baseDir, join(ROOT, 'perturbed'));
    expect(pert.config.variant).toBe('decoder-perturbed');
    expect(Number.isFinite(p.frames?.psnrMean)).toBe(true);
    expect(p.frames?.psnrMean).toBeGreaterThan(15);
    expect(p.frames?.psnrMean).toBeLessThan(40); // clearly below the self-comparison (∞)
    expect(p.frames?.psnrWorst).toBeLessThanOrEqual((p.frames?.psnrMean as number) + 1e-9);
    expect(p.frames?.ssimMean).toBeLessThan(1);
    expect(p.frames?.ssimWorst).toBeLessThanOrEqual((p.frames?.ssimMean as number) + 1e-12);
    expect(p.audio?.snrDb).toBe(DB_CAP); // TTS untouched
    expect(p.motion?.rmse).toBe(0);
    expect(p.roles.lmdm?.x_start).toBe(0);
    expect(p.roles.decoder?.output).toBeGreaterThan(0);
    expect(p.firstDivergentRole).toBe('decoder');
  });
});

describe('worker pool', () => {
  let wavPath = '';
  beforeAll(() => {
    // 1 s of the base run's audio drives the renderers (no TTS in the pool tests).
    const a = readWav(join(baseDir, 'audio.wav'));
    wavPath = join(ROOT, 'one-second.wav');
    writeFileSync(wavPath, encodeWav({ sampleRate: a.sampleRate, samples: a.samples.subarray(0, a.sampleRate) }));
  });

  test('2 workers on the CPU render concurrently', async () => {
    const r = await runWorkerPool({
      manifest,
      audio: wavPath,
      out: join(ROOT, 'pool'),
      loadTimeoutMs: 60_000,
      stageTimeoutMs: 60_000,
      ...common,
      settings: { ...common.settings, workers: 2 },
    });
    expect(r.okWorkers).toBe(2);
    expect(r.maxWorkersFit).toBe(2);
    expect(r.throughputAudioSecondsPerSecond).toBeGreaterThan(0);
    for (const w of r.workers) {
      expect(w.result?.frames).toBe(25);
      expect(w.rtf).toBeGreaterThan(0);
      expect(w.result?.roles.decoder?.calls).toBe(25);
      expect(w.deviceBytes).toBeNull();
    }
    expect(JSON.parse(readFileSync(join(ROOT, 'pool', 'workers.json'), 'utf8')).kind).toBe('workbench.workers');
  });

  test('a stalled worker is reported with its stage and terminated; the pool does not hang', async () => {
    const t0 = performance.now();
    const r = await runWorkerPool({
      manifest,
      audio: wavPath,
      out: join(ROOT, 'stall'),
      stallWorker: 1,
      stall: { stage: 'ditto.lmdm', ms: 60_000 },
      stageTimeoutMs: 2_000,
      loadTimeoutMs: 60_000,
      ...common,
      settings: { ...common.settings, workers: 2 },
    });
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(r.workers[0]?.status).toBe('ok');
    expect(r.workers[1]?.status).toBe('failed');
    expect(r.workers[1]?.failure?.stage).toBe('ditto.lmdm');
    expect(r.workers[1]?.failure?.reason).toBe('timeout');
    expect(r.okWorkers).toBe(1);
  });
});
