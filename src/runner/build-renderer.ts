/**
 * Builds a Ditto `renderer` for a manifest: its stitch, warp and decoder (or variants of them) composed by
 * the render-graph pass, optionally with one source image's features baked in (computed here with the
 * manifest's appearance and motion extractors on the CPU, exactly as the runner computes them) and batched
 * by the batch pass. Used by `workbench render-graph` and by the sweep's `renderGraph` / `renderBatch` axes.
 */
import { readModel } from '../onnx/read-model.js';
import type { Model } from '../onnx/types.js';
import type { PassReport } from '../quantize/common.js';
import { batchWithReport } from '../quantize/batch.js';
import { RENDER_IO, renderGraphWithReport, type BakedSource } from '../quantize/render-graph.js';
import type { Role } from '../models/manifest.js';
import { resizeRgb, syntheticFace } from '../media/image.js';
import { readPng, type RgbImage } from '../media/png.js';
import { roleFile, RoleSessions } from './role-sessions.js';
import { extractSourceFeatures } from './source-features.js';
import { readRunManifest, type LoadedRunManifest } from './validate-manifest.js';
import type { SessionConfig } from '../runtime/index.js';

export interface BuildRendererOptions {
  manifest: string;
  /** Role → model file replacing the manifest's (variants of stitch, warp, decoder, extractors). */
  roleFiles?: Partial<Record<Role, string>>;
  /** Bake this source image's features (a PNG path; 'synthetic' = the runner's default face). */
  bakeSource?: string;
  /** Frames per call (batch pass; default 1 = unbatched). */
  batch?: number;
}

export interface BuiltRenderer {
  model: Model;
  reports: PassReport[];
}

/** The source image as the runner prepares it (runner default: the synthetic face). */
export function sourceImage(path: string | undefined, size: number): RgbImage {
  const src = path === undefined || path === 'synthetic' ? syntheticFace(512) : readPng(path);
  return resizeRgb(src, size, size);
}

/**
 * One source image's features as the render-graph pass bakes them, computed as the Ditto stage computes them
 * (the manifest's appearance and motion extractors, or their variants, on the given session config).
 */
export async function bakeSource(
  loaded: LoadedRunManifest,
  roleFiles: Partial<Record<Role, string>> | undefined,
  session: SessionConfig,
  image: RgbImage,
): Promise<BakedSource> {
  const sessions = await RoleSessions.load({
    manifest: loaded.manifest,
    manifestDir: loaded.dir,
    roles: ['appearance_extractor', 'motion_extractor'],
    session,
    ...(roleFiles ? { overrides: roleFiles } : {}),
  });
  try {
    const cfg = loaded.manifest.config;
    const f = await extractSourceFeatures(sessions, cfg, image);
    return {
      feature3d: { dims: f.feature3d.dims, data: Float32Array.from(f.feature3d.data as Float32Array) },
      kpSource: { dims: [1, cfg.numKp, 3], data: f.kpSource },
    };
  } finally {
    await sessions.release();
  }
}

/** `bakeSource` for a manifest file and an image path ('synthetic' or undefined: the runner's default face), on the CPU. */
export async function bakedSourceFor(o: Pick<BuildRendererOptions, 'manifest' | 'roleFiles'>, image: string | undefined): Promise<BakedSource> {
  const loaded = readRunManifest(o.manifest, ['appearance_extractor', 'motion_extractor'], o.roleFiles);
  return bakeSource(loaded, o.roleFiles, { ep: 'cpu' }, sourceImage(image, loaded.manifest.config.sourceSize));
}

export async function buildRenderer(o: BuildRendererOptions): Promise<BuiltRenderer> {
  const loaded = readRunManifest(o.manifest, ['stitch_network', 'warp_network', 'decoder'], o.roleFiles);
  const file = (role: Role): string =>
    roleFile({ manifest: loaded.manifest, manifestDir: loaded.dir, ...(o.roleFiles ? { overrides: o.roleFiles } : {}) }, role);
  const roles = { stitch: readModel(file('stitch_network')).model, warp: readModel(file('warp_network')).model, decoder: readModel(file('decoder')).model };
  const baked = o.bakeSource !== undefined ? await bakedSourceFor(o, o.bakeSource) : undefined;
  const r = renderGraphWithReport(roles, baked ? { bakeSource: baked } : {});
  const reports: PassReport[] = [r.report];
  let model = r.model;
  if ((o.batch ?? 1) > 1) {
    const inputs = baked ? [RENDER_IO.kpDriving] : [RENDER_IO.kpDriving, RENDER_IO.kpSource, RENDER_IO.feature];
    const b = batchWithReport(model, { size: o.batch as number, inputs });
    model = b.model;
    reports.push(b.report);
  }
  return { model, reports };
}
