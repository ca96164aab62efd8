/** Builds (once, cached by the builder) the tiny reference set the runner tests use. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReferenceSet } from '../../src/models/build.js';

export const TINY_DIR = join(tmpdir(), 'workbench-runner-tests', 'tiny-seed1');

export async function tinyManifest(): Promise<string> {
  const r = await buildReferenceSet({ scale: 'tiny', seed: 1, outDir: TINY_DIR });
  return r.manifestPath;
}
