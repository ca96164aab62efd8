/**
 * The run settings that change how Ditto calls its graphs (`renderGraph`, `renderBatch`, `diffusionLoop`):
 * before the sessions exist, the run's role files (the manifest's or a variant's) are rewritten into a
 * temporary folder — the renderer composed by the render-graph pass (with this run's source image baked in
 * for 'baked'; its frames made 8-bit RGB in the graph by the frame-u8 pass), the per-frame roles or the
 * renderer batched by the batch pass, LMDM as a diffusion loop for the run's steps — and the run uses them as
 * role files. The folder is removed after the run (a full-scale renderer is hundreds of MB) — unless a
 * `cacheDir` is given (a sweep's variant cache): the files are then kept there under a key of everything they
 * are made from (the source role files by path, size and mtime; the settings; for 'baked' the source image and
 * the session config the extractors ran on), and a later run with the same key reuses them instead of
 * rebuilding (~5 s a run at full scale on the H200 host; repeats and variants that differ only in run-time
 * settings share them). What the stages then do is detected from the loaded graphs (render-batched.ts,
 * lmdm-loop.ts) and recorded in run.json.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '../models/manifest.js';
import { readModel } from '../onnx/read-model.js';
import type { Model } from '../onnx/types.js';
import { writeModel } from '../onnx/write-model.js';
import { batch } from '../quantize/batch.js';
import { frameU8 } from '../quantize/frame-u8.js';
import { diffusionLoop } from '../quantize/diffusion-loop.js';
import { RENDER_IO, renderGraph } from '../quantize/render-graph.js';
import type { SessionConfig } from '../runtime/index.js';
import type { RgbImage } from '../media/png.js';
import { bakeSource } from './build-renderer.js';
import { roleFile } from './role-sessions.js';
import type { SettingsInUse } from './pipeline-settings.js';
import type { LoadedRunManifest } from './validate-manifest.js';

export interface GraphSettingFiles {
  /** Role → rewritten model file (empty when every setting is at its default). */
  roleFiles: Partial<Record<Role, string>>;
  /** Wall time of the rewrites (not part of the timed run). */
  buildMs: number;
  /** Removes the temporary folder (nothing for cached files). */
  cleanup: () => void;
  /** The files came from the cache (GraphSettingInputs.cacheDir). */
  cached: boolean;
}

export interface GraphSettingInputs {
  loaded: LoadedRunManifest;
  roleFiles: Partial<Record<Role, string>> | undefined;
  image: RgbImage;
  steps: number;
  session: SessionConfig;
  /** Keep the rewritten files here, keyed by what they are made from, and reuse them (see the file comment). */
  cacheDir?: string;
}

/** What one setting combination's files are made from, as a cache key (see the file comment). */
function cacheKey(p: GraphSettingInputs, mode: false | true | 'baked', n: number, loop: boolean | 'unrolled', file: (role: Role) => string): string {
  const stamp = (role: Role): string => {
    const f = file(role);
    const st = statSync(f);
    return `${f}:${st.size}:${st.mtimeMs}`;
  };
  const sources: Role[] = [];
  if (mode !== false || n > 1) sources.push('stitch_network', 'warp_network', 'decoder');
  if (mode === 'baked') sources.push('appearance_extractor', 'motion_extractor');
  if (loop) sources.push('lmdm');
  const h = createHash('sha256').update(JSON.stringify({ v: 1, mode, n, loop, steps: loop ? p.steps : null, sources: sources.map(stamp) }));
  if (mode === 'baked') h.update(JSON.stringify(p.session)).update(p.image.data);
  return h.digest('hex').slice(0, 24);
}

const CACHE_INDEX = 'files.json';

/** Each role's file in a folder of graph-setting files. */
function filesIn(dir: string, roles: readonly Role[]): Partial<Record<Role, string>> {
  return Object.fromEntries(roles.map((r) => [r, join(dir, `${r}.onnx`)]));
}

/** The cached files of `key`, when a complete entry exists. */
function readCached(dir: string): Partial<Record<Role, string>> | undefined {
  const index = join(dir, CACHE_INDEX);
  return existsSync(index) ? filesIn(dir, JSON.parse(readFileSync(index, 'utf8')) as Role[]) : undefined;
}

/** Rewrites the role files the three settings ask for; takes (records) each setting. */
export async function buildGraphSettingFiles(settings: SettingsInUse, p: GraphSettingInputs): Promise<GraphSettingFiles> {
  const t0 = performance.now();
  const mode = settings.take('renderGraph');
  const n = settings.take('renderBatch');
  const loop = settings.take('diffusionLoop');
  const out: Partial<Record<Role, string>> = {};
  if (mode === false && n === 1 && !loop) return { roleFiles: out, buildMs: 0, cleanup: () => undefined, cached: false };
  const file = (role: Role): string =>
    roleFile({ manifest: p.loaded.manifest, manifestDir: p.loaded.dir, ...(p.roleFiles ? { overrides: p.roleFiles } : {}) }, role);
  const keyDir = p.cacheDir ? join(p.cacheDir, cacheKey(p, mode, n, loop, file)) : undefined;
  const hit = keyDir ? readCached(keyDir) : undefined;
  if (hit) return { roleFiles: hit, buildMs: performance.now() - t0, cleanup: () => undefined, cached: true };
  if (p.cacheDir) mkdirSync(p.cacheDir, { recursive: true });
  // Built in a folder of its own, then (cached) renamed into place with its index last: a run that stops
  // half-way leaves no entry that looks complete.
  const dir = mkdtempSync(join(p.cacheDir ?? tmpdir(), 'wb-graph-settings-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const read = (role: Role): Model => readModel(file(role)).model;
    const write = (role: Role, m: Model): void => {
      const f = join(dir, `${role}.onnx`);
      writeModel(m, f, { externalDataThreshold: 1024 });
      out[role] = f;
    };
    if (mode !== false) {
      const roles = { stitch: read('stitch_network'), warp: read('warp_network'), decoder: read('decoder') };
      const baked = mode === 'baked' ? await bakeSource(p.loaded, p.roleFiles, p.session, p.image) : undefined;
      let r = renderGraph(roles, baked ? { bakeSource: baked } : {});
      if (n > 1) r = batch(r, { size: n, inputs: baked ? [RENDER_IO.kpDriving] : [RENDER_IO.kpDriving, RENDER_IO.kpSource, RENDER_IO.feature] });
      // The frames leave the graph as the 8-bit RGB the runner writes (bit-identical to its own conversion):
      // a quarter of the bytes to hand back, no per-pixel host work.
      write('renderer', frameU8(r, { output: RENDER_IO.output }));
    } else if (n > 1) {
      write('stitch_network', batch(read('stitch_network'), { size: n, inputs: ['kp_source', 'kp_driving'] }));
      write('warp_network', batch(read('warp_network'), { size: n, inputs: ['feature_3d', 'kp_source', 'kp_driving'] }));
      write('decoder', batch(read('decoder'), { size: n, inputs: ['feature'] }));
    }
    if (loop) write('lmdm', diffusionLoop(read('lmdm'), { steps: p.steps, unroll: loop === 'unrolled' }));
  } catch (e) {
    cleanup();
    throw e;
  }
  if (!keyDir) return { roleFiles: out, buildMs: performance.now() - t0, cleanup, cached: false };
  const roles = Object.keys(out) as Role[];
  writeFileSync(join(dir, CACHE_INDEX), JSON.stringify(roles));
  try {
    renameSync(dir, keyDir);
  } catch (e) {
    // Another run (a sweep's other GPU) put the same files there first: theirs are complete, ours go.
    cleanup();
    if (!readCached(keyDir)) throw e;
  }
  return { roleFiles: filesIn(keyDir, roles), buildMs: performance.now() - t0, cleanup: () => undefined, cached: false };
}
