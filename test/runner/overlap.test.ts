/**
 * PipelineSettings.overlap: Ditto works on each audio chunk while the TTS makes the next; vocoderOverlap: the
 * TTS's vocoder calls run while the GPT decodes on; renderOverlap: Ditto renders finished frames in the background. The outputs are those of the sequential run; a Ditto step or a
 * background render that times out fails the run with the stage named (no hang, no partial result); a sweep's
 * `overlap` joins the variant id.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { StageError } from '../../src/core/input-error.js';
import { RoleSessions } from '../../src/runner/role-sessions.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import type { RunResult } from '../../src/runner/run-result.js';
import { expandVariants, parseSweepSpec } from '../../src/sweep/spec.js';
import { tinyManifest } from './tiny-set.js';
import { SHARED_TEXT, sharedRun } from '../helpers/shared-run.js';
import { DB_CAP } from '../../src/runner/quality.js';

const ROOT = join(tmpdir(), `wb-overlap-${process.pid}`);
const TEXT = SHARED_TEXT; // two vocoder chunks
let manifest: string;
let sequential: RunResult;
let overlapped: RunResult;
const events: string[] = [];

beforeAll(async () => {
  mkdirSync(ROOT, { recursive: true });
  manifest = await tinyManifest();
  const common = { manifest, text: TEXT, steps: 2, seed: 0, mp4: false } as const;
  const seq = await sharedRun({ manifest, text: TEXT, steps: 2, seed: 0 });
  sequential = seq.run;
  // Every kind of overlap in one run (TTS beside Ditto; the vocoder beside the GPT; Ditto's render in the
  // background): the outputs must still be the sequential run's. The role calls' starts and ends are recorded.
  const run = RoleSessions.prototype.run;
  const spy = vi.spyOn(RoleSessions.prototype, 'run').mockImplementation(async function (this: RoleSessions, role, ...rest) {
    events.push(`${role} start`);
    try {
      return await run.call(this, role, ...rest);
    } finally {
      events.push(`${role} end`);
    }
  });
  overlapped = await runPipeline({
    ...common,
    out: join(ROOT, 'ovl'),
    settings: { overlap: true, vocoderOverlap: true, renderOverlap: true },
    baseline: seq.dir,
  });
  spy.mockRestore();
}, 120_000);

describe('overlapped TTS and Ditto', () => {
  test('with renderOverlap too: same audio, motion and frames as the sequential run', () => {
    expect(sequential.counts.vocoderCalls).toBeGreaterThan(1);
    const q = overlapped.quality;
    expect(q?.audio?.snrDb).toBe(DB_CAP);
    expect(q?.motion?.rmse).toBe(0);
    expect(q?.frames?.psnrMean).toBe(DB_CAP);
    expect(overlapped.counts).toEqual(sequential.counts);
    expect(overlapped.config.settings.overlap).toBe(true);
    expect(overlapped.appliedSettings.overlap).toBe(true);
    expect(overlapped.appliedSettings.renderOverlap).toBe(true);
    expect(overlapped.appliedSettings.vocoderOverlap).toBe(true);
    expect(overlapped.video.frames).toBe(sequential.video.frames);
    expect(sequential.config.settings.overlap).toBe(false);
  });

  test('vocoderOverlap: a streaming vocoder call runs while the GPT decodes on; without overlap it is not applied', async () => {
    // A GPT step started between a vocoder call's start and its end (the sequential decode waits for each call).
    const inFlight = events.findIndex((e, i) => e === 'gpt_decode start' && events.lastIndexOf('hifigan start', i) > events.lastIndexOf('hifigan end', i));
    expect(inFlight).toBeGreaterThan(0);
    const alone = await runPipeline({
      manifest,
      text: 'Hi there.',
      steps: 2,
      seed: 0,
      mp4: false,
      out: join(ROOT, 'voc-alone'),
      settings: { vocoderOverlap: true },
    });
    expect(alone.config.settings.vocoderOverlap).toBe(true);
    expect(alone.appliedSettings.vocoderOverlap).toBe(false);
  });

  test.each([
    { what: 'a Ditto step (overlap: beside the TTS)', stage: 'ditto.lmdm', settings: { overlap: true } },
    { what: 'a background render (renderOverlap)', stage: 'ditto.render', settings: { renderOverlap: true } },
  ])(
    '$what past its limit fails the run, naming the stage',
    async ({ stage, settings }) => {
      const run = runPipeline({
        manifest,
        text: TEXT,
        steps: 2,
        seed: 0,
        mp4: false,
        out: join(ROOT, `stall-${stage}`),
        settings,
        stageTimeoutMs: 1500,
        stall: { stage, ms: 4000 },
      });
      await expect(run).rejects.toThrow(StageError);
      await expect(run).rejects.toThrow(new RegExp(stage.replace('.', '\\.')));
    },
    60_000,
  );

  test('a sweep variant takes overlap; it joins the id only when set', () => {
    const [, a, b] = expandVariants(parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ vocoderBucket: 8 }, { vocoderBucket: 8, overlap: true }] }));
    expect(b?.name).toBe('voc8+overlap');
    expect(a?.id).not.toBe(b?.id);
    expect(() => parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ overlap: 1 }] })).toThrow(/overlap: expected true or false/);
  });
});
