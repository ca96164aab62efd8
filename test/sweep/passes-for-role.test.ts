/** The float16 passes' `keepIo` default a sweep resolves per role (fp16, mixed): float32 I/O, float16 I/O for the GPT graphs. */
import { describe, expect, it } from 'vitest';
import { passesForRole } from '../../src/sweep/pipeline-driver.js';
import { expandVariants, parseSweepSpec } from '../../src/sweep/spec.js';

describe('passesForRole', () => {
  const [, v] = expandVariants(parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ precision: { '*': 'fp16' } }] }));
  it('keeps float32 I/O for Ditto roles and float16 I/O for the GPT graphs', () => {
    expect(passesForRole(v ?? { passes: {} }, 'decoder')).toEqual([{ pass: 'fp16', keepIo: true }]);
    expect(passesForRole(v ?? { passes: {} }, 'gpt_decode')).toEqual([{ pass: 'fp16', keepIo: false }]);
    expect(passesForRole(v ?? { passes: {} }, 'gpt_prefill')).toEqual([{ pass: 'fp16', keepIo: false }]);
  });
  it('resolves the mixed pass the same way: an LMDM searched in mixed precision keeps float32 I/O', () => {
    // Round 8d on the H200: a float16-I/O LMDM left the runner's device path and failed under enable_cuda_graph.
    const [, m] = expandVariants(parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ mixedBudget: 0.01 }] }));
    expect(passesForRole(m ?? { passes: {} }, 'lmdm')).toEqual([{ pass: 'mixed', budget: 0.01, keepIo: true }]);
    expect(passesForRole(m ?? { passes: {} }, 'gpt_decode')).toEqual([{ pass: 'mixed', budget: 0.01, keepIo: false }]);
    const [, e] = expandVariants(
      parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ passes: { lmdm: [{ pass: 'mixed', budget: 0.01, keepIo: false }] } }] }),
    );
    expect(passesForRole(e ?? { passes: {} }, 'lmdm')).toEqual([{ pass: 'mixed', budget: 0.01, keepIo: false }]);
    expect(() =>
      parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ passes: { lmdm: [{ pass: 'mixed', budget: 0.01, keepIo: 'yes' }] } }] }, 's.json'),
    ).toThrow(/keepIo: expected true or false, got "yes"/);
  });
  it('an explicit keepIo wins', () => {
    const [, w] = expandVariants(parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ passes: { decoder: [{ pass: 'fp16', keepIo: false }] } }] }));
    expect(passesForRole(w ?? { passes: {} }, 'decoder')).toEqual([{ pass: 'fp16', keepIo: false }]);
  });
});
