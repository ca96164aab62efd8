/** The test-only thread default (WB_DEFAULT_INTRA_OP_THREADS): fills in only what a config leaves unset. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_INTRA_OP_THREADS_ENV as K, withEnvDefaults } from '../../src/runtime/index.js';

describe('withEnvDefaults', () => {
  it('sets intraOpThreads on a CPU config that leaves it unset, without changing the caller config', () => {
    const c = { ep: 'cpu' as const, graphOptimizationLevel: 'basic' as const };
    expect(withEnvDefaults(c, { [K]: '1' })).toEqual({ ep: 'cpu', graphOptimizationLevel: 'basic', intraOpThreads: 1 });
    expect(c).toEqual({ ep: 'cpu', graphOptimizationLevel: 'basic' });
    expect(withEnvDefaults({ ep: 'cpu', intraOpThreads: 0 }, { [K]: '1' }).intraOpThreads).toBe(1);
  });
  it('an explicit intraOpThreads wins; CUDA, an unset or 0 variable change nothing', () => {
    expect(withEnvDefaults({ ep: 'cpu', intraOpThreads: 2 }, { [K]: '1' }).intraOpThreads).toBe(2);
    expect(withEnvDefaults({ ep: 'cuda' }, { [K]: '1' }).intraOpThreads).toBeUndefined();
    expect(withEnvDefaults({ ep: 'cpu' }, {}).intraOpThreads).toBeUndefined();
    expect(withEnvDefaults({ ep: 'cpu' }, { [K]: '0' }).intraOpThreads).toBeUndefined();
  });
  it('a bad value is a usage error naming the variable', () => {
    expect(() => withEnvDefaults({ ep: 'cpu' }, { [K]: 'two' })).toThrow(`${K}=two: expected an integer >= 0`);
  });
  it('the test suite runs with it set to 1 (vitest.config.ts)', () => {
    expect(process.env[K]).toBe('1');
  });
});
