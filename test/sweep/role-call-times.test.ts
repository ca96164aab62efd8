/**
 * A sweep result's per-role metrics keep a call's median and slowest time (medians over the repeats) beside the
 * role's total: one slow call among fast ones (a capture, a shape's first run) shows there and not in the total.
 */
import { describe, expect, test } from 'vitest';
import { metricsOfRuns } from '../../src/sweep/pipeline-driver.js';
import { SHARED_TEXT, sharedRun } from '../helpers/shared-run.js';
import { tinyManifest } from '../runner/tiny-set.js';

describe('sweep role metrics', () => {
  test("medianCallMs and maxCallMs come from each run's role stats", async () => {
    const { run } = await sharedRun({ manifest: await tinyManifest(), text: SHARED_TEXT, steps: 2, seed: 0 });
    const m = metricsOfRuns([run, run, run], undefined);
    const lmdm = m.roles.find((r) => r.role === 'lmdm');
    expect(lmdm?.medianCallMs).toBe(run.roles.lmdm?.medianMs);
    expect(lmdm?.maxCallMs).toBe(run.roles.lmdm?.maxMs);
    for (const r of m.roles) expect(r.maxCallMs ?? 0).toBeGreaterThanOrEqual(r.medianCallMs ?? 0);
  });
});
