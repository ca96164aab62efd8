/**
 * Where the renderer worker's script is. Compiled (dist/runner/) or bundled builds ship `worker-entry.js`
 * next to this module (a bundle must emit it as a second entry point). Running from TypeScript sources
 * (vitest), the entry is bundled once with esbuild (a devDependency) into node_modules/.cache, so
 * onnxruntime-node still resolves from the project.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StageError } from '../core/input-error.js';

interface EsbuildLike {
  build(o: Record<string, unknown>): Promise<unknown>;
}

let cached: Promise<string> | undefined;

export function resolveWorkerScript(): Promise<string> {
  cached ??= (async () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const js = join(here, 'worker-entry.js');
    if (existsSync(js)) return js;
    const ts = join(here, 'worker-entry.ts');
    if (!existsSync(ts)) throw new StageError('workers', 'error', `no worker script next to ${here} (worker-entry.js)`);
    const root = resolve(here, '..', '..');
    const outDir = join(root, 'node_modules', '.cache', 'workbench-runner');
    mkdirSync(outDir, { recursive: true });
    const outfile = join(outDir, `worker-entry-${process.pid}.mjs`);
    const name = 'esbuild';
    let esbuild: EsbuildLike;
    try {
      esbuild = (await import(name)) as EsbuildLike;
    } catch (e) {
      throw new StageError('workers', 'error', `running from sources needs esbuild to bundle the worker: ${(e as Error).message}`);
    }
    await esbuild.build({
      entryPoints: [ts],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      external: ['onnxruntime-node'],
      logLevel: 'silent',
    });
    if (!statSync(outfile).size) throw new StageError('workers', 'error', 'bundled worker is empty');
    return outfile;
  })();
  return cached;
}
