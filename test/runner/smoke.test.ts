import { test } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import { tinyManifest } from './tiny-set.js';

test('smoke', async () => {
  const t0 = performance.now();
  const manifest = await tinyManifest();
  console.log('build', performance.now() - t0);
  const r = await runPipeline({ manifest, text: 'Hello there, this is a test run.', steps: 2, seed: 1, out: join(tmpdir(), 'workbench-runner-tests', 'smoke'), intraOpThreads: 1 });
  console.log(JSON.stringify({ timing: r.timing, roles: r.roles, counts: r.counts, audio: r.audio, video: r.video }, null, 1));
});
