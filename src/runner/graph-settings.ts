/**
 * The run settings that change how Ditto calls its graphs (`renderGraph`, `renderBatch`, `diffusionLoop`):
 * before the sessions exist, the run's role files (the manifest's or a variant's) are rewritten into a
 * temporary folder — the renderer composed by the render-graph pass (with this run's source image baked in
 * for 'baked'; its frames made 8-bit RGB in the graph by the frame-u8 pass), the per-frame roles or the
 * renderer batched by the batch pass, LMDM as a diffusion loop for the run's steps — and the run uses them as
 * role files. The folder is removed after the run (a
 * full-scale renderer is hundreds of MB). What the stages then do is detected from the loaded graphs
 * (render-batched.ts, lmdm-loop.ts) and recorded in run.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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
  /** Removes the temporary folder. */
  cleanup: () => void;
}

export interface GraphSettingInputs {
  loaded: LoadedRunManifest;
  roleFiles: Partial<Record<Role, string>> | undefined;
  image: RgbImage;
  steps: number;
  session: SessionConfig;
}

/** Rewrites the role files the three settings ask for; takes (records) each setting. */
export async function buildGraphSettingFiles(settings: SettingsInUse, p: GraphSettingInputs): Promise<GraphSettingFiles> {
  const t0 = performance.now();
  const mode = settings.take('renderGraph');
  const n = settings.take('renderBatch');
  const loop = settings.take('diffusionLoop');
  const out: Partial<Record<Role, string>> = {};
  if (mode === false && n === 1 && !loop) return { roleFiles: out, buildMs: 0, cleanup: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'wb-graph-settings-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const file = (role: Role): string =>
      roleFile({ manifest: p.loaded.manifest, manifestDir: p.loaded.dir, ...(p.roleFiles ? { overrides: p.roleFiles } : {}) }, role);
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
    if (loop) write('lmdm', diffusionLoop(read('lmdm'), { steps: p.steps }));
  } catch (e) {
    cleanup();
    throw e;
  }
  return { roleFiles: out, buildMs: performance.now() - t0, cleanup };
}
