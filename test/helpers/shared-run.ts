/**
 * One plain run of the tiny pipeline shared by the test files that only need "a baseline run" to compare
 * against: computed once per `vitest run` (keyed by the options and the manifest's content), whichever worker
 * asks first, and read from its run.json by the others. The directory is scoped to the vitest process (the
 * workers' parent), so a later `vitest run` never sees a run made by older code.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import type { RunResult } from '../../src/runner/run-result.js';

/** The text the shared baseline speaks: 38 audio tokens, 2 vocoder calls, 44 frames on the tiny set. */
export const SHARED_TEXT = 'Hello there, a short one.';

export interface SharedRunOptions {
  manifest: string;
  text: string;
  steps: number;
  seed: number;
}

export interface SharedRun {
  /** The run's output folder (a `baseline` for runPipeline). */
  dir: string;
  run: RunResult;
}

const ROOT = join(tmpdir(), `wb-shared-runs-${process.ppid}`);

export async function sharedRun(o: SharedRunOptions): Promise<SharedRun> {
  const key = createHash('sha256')
    .update(JSON.stringify([o.text, o.steps, o.seed, o.manifest, readFileSync(o.manifest, 'utf8')]))
    .digest('hex')
    .slice(0, 16);
  const dir = join(ROOT, key);
  const lock = `${dir}.lock`;
  mkdirSync(ROOT, { recursive: true });
  for (let waited = 0; ; waited += 200) {
    if (existsSync(join(dir, 'run.json'))) return { dir, run: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunResult };
    let mine = false;
    try {
      mkdirSync(lock);
      mine = true;
    } catch {
      // Another worker is computing it: wait for its run.json (or for its lock to go, if it failed).
      if (waited > 280_000) throw new Error(`shared run ${dir}: still locked after ${waited / 1000} s`);
      await sleep(200);
      continue;
    }
    if (mine) {
      try {
        const tmp = `${dir}.tmp-${process.pid}`;
        rmSync(tmp, { recursive: true, force: true });
        await runPipeline({ manifest: o.manifest, text: o.text, steps: o.steps, seed: o.seed, mp4: false, out: tmp });
        renameSync(tmp, dir);
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    }
  }
}
