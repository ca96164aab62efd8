import { describe, expect, it } from 'vitest';
import { shardFromEnv } from '../../src/sweep/shard-env.js';
import { expandInputs } from '../../src/sweep/merge-results.js';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('--shard auto', () => {
  it('reads each engine (GitLab counts from 1)', () => {
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '2', JOB_COMPLETIONS: '4' })).toMatchObject({ index: 2, count: 4, engine: 'kubernetes' });
    expect(shardFromEnv({ WORKBENCH_SHARD_INDEX: '0', WORKBENCH_SHARD_COUNT: '3' })).toMatchObject({ index: 0, count: 3, engine: 'workbench' });
    expect(shardFromEnv({ CI_NODE_INDEX: '1', CI_NODE_TOTAL: '2' })).toMatchObject({ index: 0, count: 2, engine: 'gitlab' });
    expect(shardFromEnv({ BUILDKITE_PARALLEL_JOB: '3', BUILDKITE_PARALLEL_JOB_COUNT: '4' })).toMatchObject({ index: 3, count: 4, engine: 'buildkite' });
    expect(shardFromEnv({ CIRCLE_NODE_INDEX: '1', CIRCLE_NODE_TOTAL: '2' })).toMatchObject({ index: 1, count: 2, engine: 'circleci' });
  });

  it('names the variable that is missing, malformed, out of range or contradicting', () => {
    expect(() => shardFromEnv({})).toThrow(/no shard index in the environment \(set one of WORKBENCH_SHARD_INDEX, JOB_COMPLETION_INDEX/);
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: '1' })).toThrow(/^--shard auto: JOB_COMPLETIONS is not set$/);
    expect(() => shardFromEnv({ JOB_COMPLETIONS: '4' })).toThrow(/JOB_COMPLETIONS is set but JOB_COMPLETION_INDEX is not/);
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: 'x', JOB_COMPLETIONS: '4' })).toThrow(/JOB_COMPLETION_INDEX='x' is not a non-negative integer/);
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: '4', JOB_COMPLETIONS: '4' })).toThrow(/JOB_COMPLETION_INDEX=4 is outside 0..3 \(JOB_COMPLETIONS=4\)/);
    expect(() => shardFromEnv({ CI_NODE_INDEX: '0', CI_NODE_TOTAL: '2' })).toThrow(/CI_NODE_INDEX=0 is outside 1..2/);
    expect(() => shardFromEnv({ WORKBENCH_SHARD_INDEX: '1', WORKBENCH_SHARD_COUNT: '4', JOB_COMPLETION_INDEX: '2', JOB_COMPLETIONS: '4' })).toThrow(
      /JOB_COMPLETION_INDEX\/JOB_COMPLETIONS .* contradict WORKBENCH_SHARD_INDEX/,
    );
    // CircleCI's 0/1 on a job without parallelism does not contradict.
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '2', JOB_COMPLETIONS: '4', CIRCLE_NODE_INDEX: '0', CIRCLE_NODE_TOTAL: '1' })).toMatchObject({
      index: 2,
      engine: 'kubernetes',
    });
  });
});

describe('report merge inputs', () => {
  it('expands globs in order and names a glob that matches nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-glob-'));
    for (const n of ['shard-1', 'shard-0', 'other']) mkdirSync(join(dir, n));
    expect(expandInputs([join(dir, 'shard-*')])).toEqual([join(dir, 'shard-0'), join(dir, 'shard-1')]);
    expect(expandInputs([join(dir, 'shard-?'), join(dir, 'other')])).toEqual([join(dir, 'shard-0'), join(dir, 'shard-1'), join(dir, 'other')]);
    expect(() => expandInputs([join(dir, 'nope-*')])).toThrow(/nope-\*: matches no file or folder/);
  });
});
