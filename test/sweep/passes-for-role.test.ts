/** The fp16 `keepIo` default a sweep resolves per role: float32 I/O, float16 I/O for the GPT graphs. */
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
  it('an explicit keepIo wins', () => {
    const [, w] = expandVariants(parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ passes: { decoder: [{ pass: 'fp16', keepIo: false }] } }] }));
    expect(passesForRole(w ?? { passes: {} }, 'decoder')).toEqual([{ pass: 'fp16', keepIo: false }]);
  });
});
