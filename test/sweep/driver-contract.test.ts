/**
 * The SweepDriver contract, run case for case against the real driver (src/runner on the tiny reference
 * models, CPU) and the fake one (test/sweep/helpers/fake-driver.ts): one sweep each: the baseline and one
 * variant that sets every run setting to a non-default value (warmup and profile spec-wide, so the baseline
 * has those two too).
 *
 * The settings check is generic: for every key of PIPELINE_SETTINGS_DEFAULTS the value the code applied
 * (recorded where it took effect, RunMetrics.settings) must equal the one the spec asked for. A setting
 * that nobody consumes is missing from that record, so it fails here without anyone writing a test for it.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrace } from '../../src/profiler/trace.js';
import { nativeUnavailable } from '../../src/runtime/index.js';
import { PIPELINE_SETTINGS_DEFAULTS, SETTING_KEYS, type PipelineSettings } from '../../src/runner/pipeline-settings.js';
import { createPipelineDriver } from '../../src/sweep/pipeline-driver.js';
import { runSweep, type SweepOutcome } from '../../src/sweep/run-sweep.js';
import { parseSweepSpec } from '../../src/sweep/spec.js';
import type { SweepDriver, VariantResult } from '../../src/sweep/types.js';
import { tinyManifest } from '../runner/tiny-set.js';
import { createFakeDriver } from './helpers/fake-driver.js';

/** Every run setting, none at its default (the type makes a new setting required here). */
const NON_DEFAULT_SETTINGS: PipelineSettings = {
  workers: 2,
  session: { graphOptimizationLevel: 'basic', intraOpThreads: 1, useTf32: false, cudaGraph: true, preferNhwc: true },
  vocoderBucket: 8,
  overlap: true,
  vocoderOverlap: true,
  renderOverlap: true,
  avatarCache: true,
  warmup: true,
  profile: true,
  renderGraph: 'baked',
  renderBatch: 4,
  diffusionLoop: true,
  backend: 'native',
  providerOptions: { '*': { cudnn_conv_algo_search: 'HEURISTIC' }, decoder: { prefer_nhwc: '1' } },
  shapeSessions: { hifigan: 2 },
};

/**
 * Settings only a CUDA run can apply: on the CPU EP, CUDA provider options are an error naming the key, so the
 * real driver's CPU case leaves them at their default (scripts/gpu/phase-settings-contract.sh checks them on CUDA).
 */
const CUDA_ONLY: readonly (keyof PipelineSettings)[] = ['providerOptions'];

const ROOT = join(tmpdir(), `wb-driver-contract-${process.pid}`);

interface DriverCase {
  name: string;
  /** Runs on the CPU EP for real: CUDA-only settings stay at their defaults. */
  cpuOnly: boolean;
  driver: () => SweepDriver;
  manifest: () => Promise<string | undefined>;
}

const CASES: DriverCase[] = [
  { name: 'fake', cpuOnly: false, driver: () => createFakeDriver(), manifest: async () => undefined },
  { name: 'real (tiny models, CPU)', cpuOnly: true, driver: () => createPipelineDriver(), manifest: async () => tinyManifest() },
];

afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

it('the contract variant sets every run setting to a non-default value', () => {
  for (const k of SETTING_KEYS) expect(JSON.stringify(NON_DEFAULT_SETTINGS[k]), k).not.toBe(JSON.stringify(PIPELINE_SETTINGS_DEFAULTS[k]));
});

describe.each(CASES)('$name driver', (c) => {
  let outcome: SweepOutcome;
  let base: VariantResult;
  let varied: VariantResult;
  const wanted: PipelineSettings = c.cpuOnly
    ? { ...NON_DEFAULT_SETTINGS, ...Object.fromEntries(CUDA_ONLY.map((k) => [k, PIPELINE_SETTINGS_DEFAULTS[k]])) }
    : NON_DEFAULT_SETTINGS;
  const out = join(ROOT, c.name.split(' ')[0] as string);

  beforeAll(async () => {
    mkdirSync(out, { recursive: true });
    const manifest = await c.manifest();
    // warmup and profile spec-wide (every variant), the rest on the variant: the spec shape sweeps have always taken.
    const { warmup, profile, ...all } = wanted;
    const perVariant: Partial<PipelineSettings> = { ...all };
    const spec = parseSweepSpec({
      schemaVersion: 1,
      name: 'contract',
      ...(manifest ? { manifest } : {}),
      steps: 2,
      seed: 1,
      repeats: 1,
      text: 'Hi there.',
      warmup,
      profile,
      variants: [{ name: 'all-settings', ...perVariant }],
    });
    outcome = await runSweep(spec, { out, ep: 'cpu', driver: c.driver(), cacheDir: join(out, 'cache'), log: () => undefined });
    [base, varied] = outcome.results as [VariantResult, VariantResult];
  }, 240_000);

  it('runs the baseline and the variant', () => {
    expect(outcome.results.map((r) => [r.name, r.status, r.error])).toEqual([
      ['fp32-baseline', 'ok', undefined],
      ['all-settings', 'ok', undefined],
    ]);
  });

  it('every run setting reaches the code that uses it: applied = requested, field by field', () => {
    const baseWants: PipelineSettings = { ...PIPELINE_SETTINGS_DEFAULTS, warmup: true, profile: true };
    for (const k of SETTING_KEYS) {
      // Without the addon (a machine with no toolchain; never CI) a native request falls back and applies 'node'.
      const applied = k === 'backend' && c.cpuOnly && nativeUnavailable() ? 'node' : wanted[k];
      expect(varied.metrics?.settings?.[k], `variant: ${k}`).toEqual(applied);
      expect(base.metrics?.settings?.[k], `baseline: ${k}`).toEqual(baseWants[k]);
    }
    expect(varied.settings).toEqual(wanted);
    expect(base.settings).toEqual(baseWants);
  });

  it('profile: one ORT trace per role under <run folder>/profile/, summarized per role and op type', () => {
    for (const r of [base, varied]) {
      const runDir = r.metrics?.runDir as string;
      const roles = (r.metrics?.roles ?? []).map((x) => x.role);
      expect(roles.length).toBeGreaterThan(0);
      for (const role of roles) expect(readTrace(join(runDir, 'profile', `${role}.json`)).nodes.length, `${r.name} ${role}`).toBeGreaterThan(0);
      expect(new Set(r.metrics?.profile?.opTypes.map((o) => o.role))).toEqual(new Set(roles));
      expect(r.metrics?.profile?.topOps.length).toBeGreaterThan(0);
    }
  });

  it('workers: the requested renderers ran at once; warmup: its pass is timed', () => {
    expect(varied.metrics?.workers?.map((w) => w.workers)).toEqual([2]);
    expect(varied.metrics?.workers?.[0]?.rtf).toBeGreaterThan(0);
    expect(base.metrics?.workers).toBeUndefined();
    for (const r of [base, varied]) expect(r.metrics?.warmupSeconds, r.name).toBeGreaterThan(0);
  });

  it('writes run.json in each run folder', () => {
    for (const r of outcome.results) expect(() => JSON.parse(readFileSync(join(r.metrics?.runDir as string, 'run.json'), 'utf8'))).not.toThrow();
  });
});
