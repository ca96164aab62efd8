/**
 * Graph-setting files kept in a cache (`graphCacheDir`, a sweep's variant cache): the renderer a run builds for
 * renderGraph/renderBatch is reused by a later run with the same inputs, a different input makes new files, and
 * a run on cached files gives the frames of a run that built its own.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { ALL_ROLES } from '../../src/models/manifest.js';
import { sourceImage } from '../../src/runner/build-renderer.js';
import { buildGraphSettingFiles, type GraphSettingInputs } from '../../src/runner/graph-settings.js';
import { resolvePipelineSettings, SettingsInUse, type PipelineSettings } from '../../src/runner/pipeline-settings.js';
import { readRunManifest } from '../../src/runner/validate-manifest.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import { DB_CAP } from '../../src/runner/quality.js';
import { tinyManifest } from './tiny-set.js';

let inputs: GraphSettingInputs;
let manifest: string;
const ROOT = mkdtempSync(join(tmpdir(), 'wb-graph-cache-'));
const settings = (s: Partial<PipelineSettings>) => new SettingsInUse(resolvePipelineSettings([s]));

beforeAll(async () => {
  manifest = await tinyManifest();
  const loaded = readRunManifest(manifest, ALL_ROLES);
  inputs = { loaded, roleFiles: undefined, image: sourceImage(undefined, loaded.manifest.config.sourceSize), steps: 2, session: { ep: 'cpu' } };
});

describe('graph-setting files in a cache', () => {
  test('built once, then reused; another batch size is another entry; nothing left to clean up', async () => {
    const cacheDir = join(ROOT, 'cache');
    const a = await buildGraphSettingFiles(settings({ renderGraph: 'baked', renderBatch: 2 }), { ...inputs, cacheDir });
    const b = await buildGraphSettingFiles(settings({ renderGraph: 'baked', renderBatch: 2 }), { ...inputs, cacheDir });
    expect(a.cached).toBe(false);
    expect(b.cached).toBe(true);
    expect(b.roleFiles).toEqual(a.roleFiles);
    expect(Object.keys(a.roleFiles)).toEqual(['renderer']);
    const c = await buildGraphSettingFiles(settings({ renderGraph: 'baked', renderBatch: 4 }), { ...inputs, cacheDir });
    expect(c.cached).toBe(false);
    expect(c.roleFiles.renderer).not.toBe(a.roleFiles.renderer);
    a.cleanup();
    b.cleanup();
    // Two complete entries, no half-built folder.
    expect(readdirSync(cacheDir).sort()).toHaveLength(2);
    expect(readFileSync(a.roleFiles.renderer as string).length).toBeGreaterThan(0);
  }, 120_000);

  test('a run on cached files renders the frames of the run that built them, and names the kept file', async () => {
    const common = { manifest, text: 'Hi there.', steps: 2, seed: 0, mp4: false, settings: { renderGraph: 'baked' as const, renderBatch: 2 } };
    const cacheDir = join(ROOT, 'cache-run');
    // The first run builds its files (and keeps them); the second loads them from the cache.
    const built = await runPipeline({ ...common, out: join(ROOT, 'built'), graphCacheDir: cacheDir });
    const reused = await runPipeline({ ...common, out: join(ROOT, 'reused'), graphCacheDir: cacheDir, baseline: join(ROOT, 'built') });
    expect(reused.quality?.frames?.psnrMean).toBe(DB_CAP);
    expect(reused.video.frames).toBe(built.video.frames);
    // run.json names the kept file (a per-run temporary file was gone after the run).
    expect(reused.config.roleFiles.renderer).toBe(built.config.roleFiles.renderer);
    expect(readFileSync(reused.config.roleFiles.renderer as string).length).toBeGreaterThan(0);
    expect(readdirSync(cacheDir)).toHaveLength(1);
  }, 120_000);
});
