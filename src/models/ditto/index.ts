/**
 * The seven Ditto TalkingHead reference graphs: builders, their I/O contract per scale and the published
 * (models.md §1.4) parameter / MAC counts they are checked against.
 */
import type { Model } from '../../onnx/types.js';
import { ROLE_CALL_RATES, type BuildOptions, type CallRate, type DittoRole, type Scale, type TensorSpec } from '../manifest.js';
import { buildAppearanceExtractor } from './appearance-extractor.js';
import { DITTO_FULL_CONFIG, dittoConfigFor, featureVolumeShape, hubertFrames, warpOutputShape } from './config.js';
import { buildDecoder } from './decoder.js';
import { buildHubert, hubertMacs, hubertParams } from './hubert.js';
import { buildLmdm } from './lmdm.js';
import { buildMotionExtractor } from './motion-extractor.js';
import { buildStitchNetwork } from './stitch-network.js';
import { buildWarpNetwork } from './warp-network.js';

export { DITTO_FULL_CONFIG, DITTO_TINY_CONFIG, dittoConfigFor, featureVolumeShape, hubertFrames, warpOutputShape } from './config.js';
export type { DittoConfig } from './config.js';
export { cosineScheduleTables } from './lmdm.js';
export { hubertMacs, hubertParams } from './hubert.js';

export const DITTO_BUILDERS: Record<DittoRole, (opts: BuildOptions) => Model> = {
  hubert: buildHubert,
  lmdm: buildLmdm,
  appearance_extractor: buildAppearanceExtractor,
  motion_extractor: buildMotionExtractor,
  stitch_network: buildStitchNetwork,
  warp_network: buildWarpNetwork,
  decoder: buildDecoder,
};

/** Samples per HuBERT call the numbers are for (one online chunk). */
export const HUBERT_PROFILE_SAMPLES = 6480;

const HUBERT_FULL_PARAMS = hubertParams(DITTO_FULL_CONFIG.hubert);
const HUBERT_FULL_MACS = hubertMacs(DITTO_FULL_CONFIG.hubert, HUBERT_PROFILE_SAMPLES);

/** Full-scale reference numbers: params and MACs per call. */
export const DITTO_PUBLISHED: Record<DittoRole, { params?: number; macs?: number; source: string }> = {
  appearance_extractor: { params: 0.836e6, macs: 32.1e9, source: 'models.md §1.4 (computed from the LivePortrait source; LP speed.md 0.84 M)' },
  motion_extractor: { params: 28.12e6, macs: 5.8e9, source: 'models.md §1.4 (LP speed.md 28.12 M)' },
  warp_network: { params: 45.53e6, macs: 171e9, source: 'models.md §1.4 (LP speed.md 45.53 M)' },
  decoder: { params: 55.37e6, macs: 446e9, source: 'models.md §1.4 (LP speed.md 55.37 M)' },
  stitch_network: {
    params: 0.045e6,
    macs: 126 * 128 + 128 * 128 + 128 * 64 + 64 * 65,
    source: 'models.md §1.4: 0.045 M params (MLP 126→128→128→64→65 = 45,249); MACs computed (44,864, "~0" in models.md)',
  },
  lmdm: {
    params: 47.79e6,
    macs: 2 * 2.57e9,
    source: 'models.md §1.4: 47.79 M params (C = 1103), 2.57 G MACs per forward; the graph runs 2 forwards (CFG)',
  },
  hubert: {
    params: HUBERT_FULL_PARAMS,
    macs: HUBERT_FULL_MACS,
    source:
      'computed (hubertParams/hubertMacs): conv front end 7×512 with LayerNorm + projection 512→1024 + pos conv 1024×64×128 + ' +
      '24 × (4·(1024²+1024) + 2 LN + 1024·4096·2 + 4096 + 1024) + final LN; MACs for N = 6480 samples (T = 20 frames, pos conv on 21)',
  },
};

export const DITTO_CALLS: Record<DittoRole, CallRate> = {
  hubert: ROLE_CALL_RATES.hubert,
  lmdm: ROLE_CALL_RATES.lmdm,
  appearance_extractor: ROLE_CALL_RATES.appearance_extractor,
  motion_extractor: ROLE_CALL_RATES.motion_extractor,
  stitch_network: ROLE_CALL_RATES.stitch_network,
  warp_network: ROLE_CALL_RATES.warp_network,
  decoder: ROLE_CALL_RATES.decoder,
};

export interface DittoIo {
  inputs: Record<string, TensorSpec>;
  outputs: Record<string, TensorSpec>;
  profileDims?: Record<string, number>;
}

const f32 = (shape: (number | string)[]): TensorSpec => ({ type: 'float32', shape });

/** The I/O contract of every Ditto role at a scale (names and order as the graphs declare them). */
export function dittoIo(scale: Scale): Record<DittoRole, DittoIo> {
  const cfg = dittoConfigFor(scale);
  const src = cfg.appearance.imageSize;
  const kp = f32([1, cfg.warp.numKp, 3]);
  const vol = featureVolumeShape(cfg);
  const warpOut = warpOutputShape(cfg);
  const l = cfg.lmdm;
  const out = 8 * cfg.decoder.inputSize;
  return {
    hubert: {
      inputs: { input_values: f32([1, 'N']) },
      outputs: { encoding_out: f32(['T', cfg.hubert.hidden]) },
      profileDims: { N: HUBERT_PROFILE_SAMPLES, T: hubertFrames(cfg.hubert, HUBERT_PROFILE_SAMPLES) },
    },
    lmdm: {
      inputs: {
        x: f32([1, l.seqFrames, l.motionDim]),
        cond_frame: f32([1, l.motionDim]),
        cond: f32([1, l.seqFrames, l.condDim]),
        time_cond: { type: 'int64', shape: [1] },
      },
      outputs: { pred_noise: f32([1, l.seqFrames, l.motionDim]), x_start: f32([1, l.seqFrames, l.motionDim]) },
    },
    appearance_extractor: { inputs: { image: f32([1, 3, src, src]) }, outputs: { pred: f32(vol) } },
    motion_extractor: {
      inputs: { image: f32([1, 3, src, src]) },
      outputs: { pitch: f32([1, 66]), yaw: f32([1, 66]), roll: f32([1, 66]), t: f32([1, 3]), exp: f32([1, 63]), scale: f32([1, 1]), kp: f32([1, 63]) },
    },
    stitch_network: { inputs: { kp_source: kp, kp_driving: kp }, outputs: { out: kp } },
    warp_network: { inputs: { feature_3d: f32(vol), kp_source: kp, kp_driving: kp }, outputs: { out: f32(warpOut) } },
    decoder: { inputs: { feature: f32(warpOut) }, outputs: { output: f32([1, 3, out, out]) } },
  };
}
