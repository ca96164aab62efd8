/**
 * Run settings in sweep specs (src/runner/pipeline-settings.ts): variant ids of existing specs stay what they
 * were before the settings became one type (the ids below were computed on the code before that change), a
 * setting given spec-wide reaches every variant, every setting is a grid axis, and a bad value names its field.
 */
import { describe, expect, it } from 'vitest';
import { PIPELINE_SETTINGS_DEFAULTS, resolvePipelineSettings } from '../../src/runner/pipeline-settings.js';
import { expandVariants, parseSweepSpec } from '../../src/sweep/spec.js';

describe('run settings in a sweep spec', () => {
  it('keeps the variant ids of existing specs', () => {
    const warm = parseSweepSpec({
      schemaVersion: 1,
      name: 'ids',
      steps: 4,
      warmup: true,
      profile: true,
      variants: [
        { name: 'fp16', precision: { '*': 'fp16' } },
        { session: { graphOptimizationLevel: 'extended', intraOpThreads: 2 } },
        { workers: 2 },
        { vocoderBucket: 64, overlap: true },
        { overlap: false, vocoderBucket: 0, workers: 1 },
        { steps: 2, decodeLoop: true },
        { session: { useTf32: false, cudaGraph: true, preferNhwc: true } },
      ],
      grid: { precision: ['fp32', 'fp16'], workers: [1, 2], session: [{}, { intraOpThreads: 1 }] },
    });
    const cold = parseSweepSpec({
      schemaVersion: 1,
      name: 'c',
      variants: [{ workers: 3 }, { resolution: 96 }, { session: { intraOpThreads: 1 } }],
      grid: { steps: [2, 3] },
    });
    expect([...expandVariants(warm), ...expandVariants(cold)].map((v) => v.id)).toEqual([
      'c8dd1a968e35',
      'beb8fa7aac2d',
      '0255c6b18ed1',
      '6748edc54330',
      'ebec9f725767',
      '72f90b5f7bbc',
      '649a84209276',
      'aad58b34e206',
      'b3349dbd8f4e',
      '2961148eb172',
      'df037a10cdeb',
      'db06927f556a',
      '70746405803f',
      '94756d059d2d',
      '898c25b68c51',
      '6942382539eb',
      'ffc51c61b74a',
      '8170d9da780e',
    ]);
  });

  it('resolves defaults ← spec ← variant, and takes any setting as a grid axis', () => {
    const v = expandVariants(
      parseSweepSpec({ schemaVersion: 1, name: 's', overlap: true, variants: [{ overlap: false, vocoderBucket: 8 }], grid: { warmup: [false, true] } }),
    );
    expect(v[0]?.settings).toEqual({ ...PIPELINE_SETTINGS_DEFAULTS, overlap: true });
    expect(v[1]?.settings).toEqual({ ...PIPELINE_SETTINGS_DEFAULTS, vocoderBucket: 8 });
    expect(v[2]?.settings).toEqual({ ...PIPELINE_SETTINGS_DEFAULTS, overlap: true, warmup: true });
    expect(v.map((x) => x.name)).toEqual(['fp32-baseline', 'voc8', 'warmup=true']);
    // profile does not change what is measured (it profiles in a pass of its own): same id.
    const [a] = expandVariants(parseSweepSpec({ schemaVersion: 1, name: 's', profile: true, variants: [] }));
    const [b] = expandVariants(parseSweepSpec({ schemaVersion: 1, name: 's', variants: [] }));
    expect(a?.id).toBe(b?.id);
  });

  it('names the file and field of a bad setting', () => {
    const bad =
      (json: object): (() => unknown) =>
      () =>
        parseSweepSpec({ schemaVersion: 1, name: 's', ...json }, 's.json');
    expect(bad({ variants: [{ session: { intraOpThreads: -1 } }] })).toThrow(
      's.json: variants[0].session.intraOpThreads: expected an integer >= 0 (0 = ORT default), got -1',
    );
    expect(bad({ variants: [{ session: { threads: 2 } }] })).toThrow(/s.json: variants\[0\].session.threads: unknown session option/);
    expect(bad({ grid: { workers: [1, 0] } })).toThrow('s.json: grid.workers[1]: expected a positive integer, got 0');
    expect(bad({ profile: 'yes', variants: [] })).toThrow('s.json: profile: expected true or false, got "yes"');
    expect(bad({ variants: [{ session: { graphOptimizationLevel: 'max' } }] })).toThrow(
      /variants\[0\].session.graphOptimizationLevel: expected one of disabled, basic, extended, all/,
    );
    expect(() => resolvePipelineSettings([{ workers: 0 }])).toThrow('run options: workers: expected a positive integer, got 0');
    expect(() => resolvePipelineSettings([{ wrokers: 2 } as object])).toThrow(/run options: wrokers: unknown setting/);
  });
});
