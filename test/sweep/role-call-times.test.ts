/**
 * A sweep result's per-role metrics keep a call's median and slowest time (medians over the repeats) beside the
 * role's total: one slow call among fast ones (a capture, a shape's first run) shows there and not in the total.
 * Its stage metrics say when each stage ran (first start, last end), from the run's timeline.
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

  test("each stage's first start and last end come from the run's timeline", async () => {
    const { run } = await sharedRun({ manifest: await tinyManifest(), text: SHARED_TEXT, steps: 2, seed: 0 });
    const m = metricsOfRuns([run, run], undefined);
    const render = m.stages.find((s) => s.stage === 'ditto.render');
    const steps = run.timing.timeline?.['ditto.render'] ?? [];
    expect(render?.startSeconds).toBe((steps[0] as [number, number])[0] / 1000);
    expect(render?.endSeconds).toBe((steps.at(-1) as [number, number])[1] / 1000);
    for (const s of m.stages) expect(s.endSeconds ?? 0, s.stage).toBeGreaterThanOrEqual(s.startSeconds ?? 0);
  });
});
