/**
 * `workbench timeline` and the analysis under it (src/runner/run-timeline.ts): per stage its steps, busy time,
 * first start, last end and longest gap, its share of each slice of the run; the stage the run ended with and
 * how long it stood idle; bound calls' waits. A run without a timeline is one line naming the field, exit 2.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/core/input-error.js';
import { renderTimelineText } from '../../src/report/render-timeline.js';
import type { RunResult } from '../../src/runner/run-result.js';
import { runTimeline } from '../../src/runner/run-timeline.js';
import { runCli } from '../helpers/capture.js';
import { SHARED_TEXT, sharedRun } from '../helpers/shared-run.js';
import { tinyManifest } from './tiny-set.js';

/** A run of 100 ms: a TTS stage of three steps, then a render that starts late and stands 10 ms between its two steps. */
function syntheticRun(): RunResult {
  return {
    timing: {
      totalMs: 100,
      timeToFirstFrameMs: 60,
      timeline: {
        'tts.decode': [
          [0, 10],
          [10, 20],
          [30, 40],
        ],
        'ditto.render': [
          [50, 70],
          [80, 100],
        ],
      },
    },
    roles: {
      renderer: { calls: 2, totalMs: 40, medianMs: 20, maxMs: 25, maxRunMs: 20, maxWaitMs: 5 },
      hifigan: { calls: 1, totalMs: 3, medianMs: 3, maxMs: 3 },
    },
  } as unknown as RunResult;
}

describe('run timeline', () => {
  test('spans, gaps, occupancy, the last stage and its idle time, the waits', () => {
    const t = runTimeline(syntheticRun(), 'run.json', 10);
    expect(t.stages.map((s) => s.stage)).toEqual(['tts.decode', 'ditto.render']);
    const [tts, render] = t.stages;
    expect(tts).toMatchObject({ steps: 3, busyMs: 30, startMs: 0, endMs: 40, longestGapMs: 10, longestGapAtMs: 20 });
    expect(tts?.occupancy).toEqual([1, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(render?.occupancy).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 1, 1]);
    expect(t.last).toBe('ditto.render');
    expect(t.lastIdleMs).toEqual({ beforeFirstStep: 50, betweenSteps: 10 });
    expect(t.slowestCalls).toEqual([{ role: 'renderer', maxMs: 25, maxRunMs: 20, maxWaitMs: 5 }]);
    const text = renderTimelineText(t);
    expect(text).toContain('ditto.render  ·····██·██');
    expect(text).toContain('the run ended with ditto.render: it started at 50.0 ms and stood 10.0 ms between its steps');
    expect(text).toContain('renderer: slowest call 25.0 ms, of it the run 20.0 ms and 5.0 ms waiting outside it');
  });

  test('a run.json without a timeline: an error naming the field', () => {
    const old = syntheticRun();
    delete old.timing.timeline;
    expect(() => runTimeline(old, '/x/run.json')).toThrow(InputError);
    expect(() => runTimeline(old, '/x/run.json')).toThrow(/\/x\/run\.json.*timing\.timeline/);
  });

  test('the CLI on a run: one row per sub-stage; on a folder without run.json or a run without a timeline: exit 2, one line', async () => {
    const { dir, run } = await sharedRun({ manifest: await tinyManifest(), text: SHARED_TEXT, steps: 2, seed: 0 });
    const ok = await runCli(['timeline', dir]);
    expect(ok.code, ok.stderr).toBe(0);
    for (const stage of Object.keys(run.timing.timeline ?? {})) expect(ok.stdout).toContain(stage);
    const json = await runCli(['timeline', dir, '--json']);
    expect((JSON.parse(json.stdout) as { last: string }).last).toMatch(/^ditto\./);
    const empty = mkdtempSync(join(tmpdir(), 'wb-timeline-'));
    const missing = await runCli(['timeline', empty]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const oldDir = join(empty, 'old');
    mkdirSync(oldDir);
    const old = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunResult;
    delete old.timing.timeline;
    writeFileSync(join(oldDir, 'run.json'), JSON.stringify(old));
    const noTimeline = await runCli(['timeline', oldDir]);
    expect(noTimeline.code).toBe(2);
    expect(noTimeline.stderr.trim().split('\n')).toHaveLength(1);
    expect(noTimeline.stderr).toMatch(/timing\.timeline/);
  });
});
