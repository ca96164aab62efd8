/**
 * One avatar's source features: the appearance extractor's feature volume and the motion extractor's
 * motion and keypoints on the source image (already sourceSize²). The Ditto stage computes them once per
 * avatar; the render-graph pass bakes them into a renderer (`--bake-source`).
 */
import type { PipelineConfig } from '../models/manifest.js';
import type { HostTensor } from '../runtime/index.js';
import { rgbToTensor } from '../media/image.js';
import { StageError } from '../core/input-error.js';
import { motionToKeypoints, packMotion } from './keypoints.js';
import type { RgbImage } from '../media/png.js';
import { feed, floatData, type RoleSessions } from './role-sessions.js';

export interface SourceFeatures {
  /** appearance_extractor `pred` [1,C,D,H,W]. */
  feature3d: HostTensor;
  /** The source motion [265]. */
  motion: Float32Array;
  /** Canonical keypoints [K·3]. */
  kpCanonical: Float32Array;
  /** Source keypoints (motion applied) [K·3]. */
  kpSource: Float32Array;
}

export async function extractSourceFeatures(sessions: Pick<RoleSessions, 'run'>, cfg: PipelineConfig, image: RgbImage): Promise<SourceFeatures> {
  const S = cfg.sourceSize;
  if (image.width !== S || image.height !== S)
    throw new StageError('ditto.source', 'error', `source image must be ${S}x${S}, got ${image.width}x${image.height}`);
  const img = feed.f32([1, 3, S, S], rgbToTensor(image));
  const app = await sessions.run('appearance_extractor', { image: img });
  const mot = await sessions.run('motion_extractor', { image: img });
  const pred = app.pred;
  if (!pred) throw new StageError('ditto.source', 'error', 'appearance_extractor output pred missing');
  const g = (k: string): Float32Array => floatData(mot[k], `motion_extractor.${k}`);
  const motion = packMotion({ scale: g('scale'), pitch: g('pitch'), yaw: g('yaw'), roll: g('roll'), t: g('t'), exp: g('exp') });
  const kpCanonical = g('kp');
  return { feature3d: pred, motion, kpCanonical, kpSource: motionToKeypoints(motion, kpCanonical, cfg.numKp) };
}
