/**
 * Ditto's per-frame render in few calls: the `renderer` role (stitch + warp + decoder composed by the
 * render-graph pass; with the source baked in, only `kp_driving` goes in) and/or graphs batched by the
 * `batch` pass, N frames per call. The batch size is the leading dim of the graph's `kp_driving`; a last
 * partial batch is padded by repeating its last frame (the padding's frames are dropped). Without a
 * renderer role, the three per-frame roles are called once per batch when they are batched.
 *
 * A frame exists only when its batch's call has returned: callers hand frames out after `render`, so the
 * time to first frame includes the wait for N frames and the whole batch (the cost of batching).
 */
import type { PipelineConfig } from '../models/manifest.js';
import { readModelMetadata } from '../onnx/read-model.js';
import { readRenderGraphRecord, RENDER_IO } from '../quantize/render-graph.js';
import type { HostTensor } from '../runtime/index.js';
import { tensorToRgb } from '../media/image.js';
import { StageError } from '../core/input-error.js';
import type { RgbImage } from '../media/png.js';
import { feed, floatData, type RoleSessions } from './role-sessions.js';
import type { SourceFeatures } from './source-features.js';

export type RenderGraphMode = 'none' | 'composed' | 'baked';

export interface RenderPlan {
  /** Frames per call. */
  batch: number;
  graph: RenderGraphMode;
}

/** How the loaded sessions render: undefined = the per-frame path (three unbatched roles). */
export function detectRenderPlan(sessions: RoleSessions): RenderPlan | undefined {
  const lead = (role: 'renderer' | 'stitch_network'): number => {
    const dims = sessions.inputMetadata(role).find((m) => m.name === RENDER_IO.kpDriving)?.shape;
    const d = dims?.[0];
    return typeof d === 'number' && d > 0 ? d : 1;
  };
  if (sessions.has('renderer')) {
    const baked = !sessions.inputNames('renderer').includes(RENDER_IO.feature);
    return { batch: lead('renderer'), graph: baked ? 'baked' : 'composed' };
  }
  const batch = lead('stitch_network');
  return batch > 1 ? { batch, graph: 'none' } : undefined;
}

/** A baked renderer must have been baked for this source image (its record keeps the source keypoints). */
export function checkBakedSource(file: string | undefined, kpSource: Float32Array): void {
  if (!file) return;
  const metadataProps = Object.entries(readModelMetadata(file)).map(([key, value]) => ({ key, value }));
  const rec = readRenderGraphRecord({ metadataProps });
  if (!rec?.kpSource)
    throw new StageError('ditto.render', 'error', `${file}: renderer has no '${RENDER_IO.feature}' input but no render-graph record of a baked source`);
  let num = 0;
  let den = 0;
  kpSource.forEach((v, i) => {
    num += (v - (rec.kpSource?.[i] ?? 0)) ** 2;
    den += v * v;
  });
  // Loose: the extractors may run on another execution provider than the one that baked the renderer.
  if (rec.kpSource.length !== kpSource.length || Math.sqrt(num / Math.max(den, 1e-30)) > 1e-3)
    throw new StageError(
      'ditto.render',
      'error',
      `${file}: the renderer was baked for another source image (its source keypoints differ); rebuild it with render-graph --bake-source for this image`,
    );
}

function stack(parts: Float32Array[], dims: readonly number[]): HostTensor {
  const n = parts[0]?.length ?? 0;
  const data = new Float32Array(n * parts.length);
  parts.forEach((p, i) => data.set(p, i * n));
  return feed.f32([parts.length, ...dims.slice(1)], data);
}

/** A batch's driving keypoints padded to the plan's size by repeating the last frame. */
export function padDriving(plan: RenderPlan, kpDriving: Float32Array[]): Float32Array[] {
  const real = kpDriving.length;
  if (real === 0 || real > plan.batch) throw new StageError('ditto.render', 'error', `renderBatch got ${real} frames for a batch of ${plan.batch}`);
  const kpd = [...kpDriving];
  while (kpd.length < plan.batch) kpd.push(kpd[kpd.length - 1] as Float32Array);
  return kpd;
}

/**
 * The first `real` frames of a renderer's or decoder's output as images: float [N,3,H,W] in [0, 1], converted
 * here, or uint8 [N,H,W,3] from a graph the frame-u8 pass ended (the bytes as they are).
 */
export function batchImages(out: HostTensor | undefined, real: number): RgbImage[] {
  if (!out) throw new StageError('ditto.render', 'error', 'renderer output output missing');
  if (out.type === 'uint8') {
    const [, h = 0, w = 0] = out.dims;
    const bytes = out.data as Uint8Array;
    const per = h * w * 3;
    return Array.from({ length: real }, (_, i) => ({ width: w, height: h, data: bytes.slice(i * per, (i + 1) * per) }));
  }
  const h = out.dims[2] ?? 0;
  const w = out.dims[3] ?? 0;
  const all = floatData(out, 'renderer.output');
  const per = 3 * h * w;
  return Array.from({ length: real }, (_, i) => tensorToRgb(all.subarray(i * per, (i + 1) * per), w, h));
}

/** Renders one batch of driving keypoints (each [K·3]) through host tensors; returns one image per real frame. */
export async function renderBatch(
  sessions: RoleSessions,
  cfg: PipelineConfig,
  plan: RenderPlan,
  src: SourceFeatures,
  kpDriving: Float32Array[],
): Promise<RgbImage[]> {
  const kpd = padDriving(plan, kpDriving);
  const K = cfg.numKp;
  const kpDims = [1, K, 3];
  const repeat = <T>(x: T): T[] => Array.from({ length: plan.batch }, () => x);
  const feature = (): HostTensor => (plan.batch === 1 ? src.feature3d : stack(repeat(floatData(src.feature3d, 'feature_3d')), src.feature3d.dims));
  let out: HostTensor | undefined;
  if (plan.graph !== 'none') {
    const feeds: Record<string, HostTensor> = { [RENDER_IO.kpDriving]: stack(kpd, kpDims) };
    if (plan.graph === 'composed') {
      feeds[RENDER_IO.kpSource] = stack(repeat(src.kpSource), kpDims);
      feeds[RENDER_IO.feature] = feature();
    }
    out = (await sessions.run('renderer', feeds))[RENDER_IO.output];
  } else {
    const kpS = stack(repeat(src.kpSource), kpDims);
    const st = (await sessions.run('stitch_network', { kp_source: kpS, kp_driving: stack(kpd, kpDims) })).out;
    if (!st) throw new StageError('ditto.render', 'error', 'stitch_network output out missing');
    const wp = (await sessions.run('warp_network', { feature_3d: feature(), kp_source: kpS, kp_driving: st })).out;
    if (!wp) throw new StageError('ditto.render', 'error', 'warp_network output out missing');
    out = (await sessions.run('decoder', { feature: wp })).output;
  }
  return batchImages(out, kpDriving.length);
}
