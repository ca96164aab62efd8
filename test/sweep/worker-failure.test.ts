/**
 * A sweep variant whose extra renderers failed is a failed variant (round 5 on the H200: every renderer of a
 * 4-worker variant failed, and the variant was still listed "ok" with its single-stream RTF). Renderers stopped
 * for memory are a measured limit, not a failure.
 */
import { describe, expect, test } from 'vitest';
import type { PoolResult } from '../../src/runner/worker-pool.js';
import { workersSummary, type RunResult } from '../../src/runner/run-result.js';
import { workerFailureOf } from '../../src/sweep/pipeline-driver.js';

type WorkerReport = PoolResult['workers'][number];

function pool(failures: (WorkerReport['failure'] | null)[]): PoolResult {
  const workers = failures.map((failure, index) => ({ index, failure, rtf: failure ? null : 2 }) as unknown as WorkerReport);
  return {
    requestedWorkers: failures.length,
    okWorkers: failures.filter((f) => !f).length,
    throughputAudioSecondsPerSecond: 1,
    workers,
  } as unknown as PoolResult;
}

const run = (p: PoolResult) => ({ workers: workersSummary(p) }) as unknown as RunResult;

describe('worker failures fail the variant', () => {
  test('an error in a renderer: one line naming how many, the worker, its stage and message', () => {
    const e = workerFailureOf(run(pool([null, { stage: 'ditto.lmdm', reason: 'error', message: 'CUDA failure 900' }, null, null])));
    expect(e?.message).toMatch(/^stage workers: error: 1 of 4 renderers failed \(worker 1 in ditto\.lmdm: CUDA failure 900\)$/);
  });

  test('renderers stopped for memory, or none asked: not a failure', () => {
    expect(workerFailureOf(run(pool([null, null, { stage: 'load', reason: 'oom', message: 'out of memory' }])))).toBeUndefined();
    expect(workerFailureOf({} as RunResult)).toBeUndefined();
  });
});
