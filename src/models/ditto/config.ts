/**
 * Width/resolution configs of the seven Ditto reference graphs, full and tiny.
 *
 * Full = the LivePortrait / Ditto module defaults (models.md §1.4, §1.8). Tiny = the same topology and
 * operator set at small widths and the TINY_PIPELINE_CONFIG resolutions:
 * - source image 64×64 → two DownBlocks → 16×16, reshaped to the feature volume **[1, 8, 4, 16, 16]**
 *   (reshape_channel 8, reshape_depth 4), so warp_network works on 4×16×16 voxels;
 * - the warp's dense-motion hourglass has **4** levels in tiny (16×16 halves 4 times to 1×1; 5 levels
 *   need ≥ 32), compress 1 instead of 4 (22 × (1+1) = 44 hourglass channels);
 * - warp output / decoder label channels 32, decoder output 16×16 → ×4 → PixelShuffle ×2 = 128×128;
 * - HuBERT keeps the real conv front end (kernels/strides: 6480 samples → 20 frames) at 32 channels,
 *   hidden 64 (= featureDim), 4 layers; LMDM keeps 80 frames × 265 dims, cond width 143, latent 64.
 */
import { UsageError } from '../../errors.js';
import { pipelineConfigFor, type Scale } from '../manifest.js';

export interface AppearanceConfig {
  imageSize: number;
  blockExpansion: number;
  numDownBlocks: number;
  maxFeatures: number;
  reshapeChannel: number;
  reshapeDepth: number;
  numResBlocks: number;
}

export interface MotionConfig {
  imageSize: number;
  depths: number[];
  dims: number[];
  numKp: number;
}

export interface WarpConfig {
  numKp: number;
  /** Feature volume [reshapeChannel, reshapeDepth, spatial, spatial]. */
  reshapeChannel: number;
  reshapeDepth: number;
  spatial: number;
  /** WarpingNetwork block_expansion (output channels = blockExpansion · 2^numDownBlocks). */
  blockExpansion: number;
  numDownBlocks: number;
  maxFeatures: number;
  dense: { blockExpansion: number; maxFeatures: number; numBlocks: number; compress: number; kpVariance: number };
}

export interface DecoderConfig {
  /** Input (segmap/label) channels = warp output channels. */
  labelChannels: number;
  /** Width of fc and the 6 middle blocks (2 × label). */
  middleChannels: number;
  /** SPADE hidden width (128 in SPADE). */
  spadeHidden: number;
  /** up_1 output channels (SPADEDecoder out_channels). */
  outChannels: number;
  numMiddleBlocks: number;
  inputSize: number;
}

export interface StitchConfig {
  numKp: number;
  hidden: number[];
}

export interface LmdmConfig {
  motionDim: number;
  seqFrames: number;
  condDim: number;
  latentDim: number;
  ffSize: number;
  heads: number;
  decoderLayers: number;
  encoderLayers: number;
  /** Diffusion steps of the (cosine) schedule the DDIM tables come from. */
  timesteps: number;
  guidanceScale: number;
}

export interface HubertConfig {
  convDim: number;
  convKernels: number[];
  convStrides: number[];
  hidden: number;
  heads: number;
  ffn: number;
  layers: number;
  posConvKernel: number;
  posConvGroups: number;
}

export interface DittoConfig {
  appearance: AppearanceConfig;
  motion: MotionConfig;
  warp: WarpConfig;
  decoder: DecoderConfig;
  stitch: StitchConfig;
  lmdm: LmdmConfig;
  hubert: HubertConfig;
}

const HUBERT_KERNELS = [10, 3, 3, 3, 3, 2, 2];
const HUBERT_STRIDES = [5, 2, 2, 2, 2, 2, 2];

export const DITTO_FULL_CONFIG: DittoConfig = {
  appearance: { imageSize: 256, blockExpansion: 64, numDownBlocks: 2, maxFeatures: 512, reshapeChannel: 32, reshapeDepth: 16, numResBlocks: 6 },
  motion: { imageSize: 256, depths: [3, 3, 9, 3], dims: [96, 192, 384, 768], numKp: 21 },
  warp: {
    numKp: 21,
    reshapeChannel: 32,
    reshapeDepth: 16,
    spatial: 64,
    blockExpansion: 64,
    numDownBlocks: 2,
    maxFeatures: 512,
    dense: { blockExpansion: 32, maxFeatures: 1024, numBlocks: 5, compress: 4, kpVariance: 0.01 },
  },
  decoder: { labelChannels: 256, middleChannels: 512, spadeHidden: 128, outChannels: 64, numMiddleBlocks: 6, inputSize: 64 },
  stitch: { numKp: 21, hidden: [128, 128, 64] },
  lmdm: {
    motionDim: 265,
    seqFrames: 80,
    condDim: 1103,
    latentDim: 512,
    ffSize: 1024,
    heads: 8,
    decoderLayers: 8,
    encoderLayers: 2,
    timesteps: 1000,
    guidanceScale: 2,
  },
  hubert: {
    convDim: 512,
    convKernels: HUBERT_KERNELS,
    convStrides: HUBERT_STRIDES,
    hidden: 1024,
    heads: 16,
    ffn: 4096,
    layers: 24,
    posConvKernel: 128,
    posConvGroups: 16,
  },
};

export const DITTO_TINY_CONFIG: DittoConfig = {
  appearance: { imageSize: 64, blockExpansion: 8, numDownBlocks: 2, maxFeatures: 64, reshapeChannel: 8, reshapeDepth: 4, numResBlocks: 6 },
  motion: { imageSize: 64, depths: [3, 3, 9, 3], dims: [8, 16, 32, 64], numKp: 21 },
  warp: {
    numKp: 21,
    reshapeChannel: 8,
    reshapeDepth: 4,
    spatial: 16,
    blockExpansion: 8,
    numDownBlocks: 2,
    maxFeatures: 64,
    dense: { blockExpansion: 4, maxFeatures: 32, numBlocks: 4, compress: 1, kpVariance: 0.01 },
  },
  decoder: { labelChannels: 32, middleChannels: 64, spadeHidden: 16, outChannels: 16, numMiddleBlocks: 6, inputSize: 16 },
  stitch: { numKp: 21, hidden: [128, 128, 64] },
  lmdm: {
    motionDim: 265,
    seqFrames: 80,
    condDim: 143,
    latentDim: 64,
    ffSize: 128,
    heads: 4,
    decoderLayers: 8,
    encoderLayers: 2,
    timesteps: 1000,
    guidanceScale: 2,
  },
  hubert: {
    convDim: 32,
    convKernels: HUBERT_KERNELS,
    convStrides: HUBERT_STRIDES,
    hidden: 64,
    heads: 4,
    ffn: 128,
    layers: 4,
    posConvKernel: 128,
    posConvGroups: 16,
  },
};

/**
 * Output-head init (both scales): with random weights at the default fan-in init, the heads put out O(1)
 * values on every dim (the motion extractor's heads read a LayerNorm-ed feature of unit RMS; LMDM's
 * x_start had std ≈ 4.2 and max ≈ 15–20), so the keypoints reached ±30 and the warp's GridSample read
 * outside the volume (all-zero warp output, flat grey frames). The heads are initialised instead so
 * their outputs sit in the ranges of the real models (models.md §1.2 motion vector, §motion_extractor):
 * - pose bins (pitch/yaw/roll, 66 logits each): std ≈ 1 → softmax-expected angle within about ±15°;
 * - scale (stored minus 1 in the motion vector), t, exp: std ≈ 0.03 around 1, 0, 0;
 * - canonical keypoints kp: a fixed spread-out pattern (CANONICAL_KP_PATTERN, inside [−0.65, 0.65]) as
 *   the fc_kp bias plus a small image-dependent part (std 0.02).
 * The motion-extractor values are per-column gains = output std (its input has unit RMS); see
 * `linear`'s `columnGain` in layers.ts.
 */
export const MOTION_HEAD_INIT = { poseLogitStd: 1, scaleStd: 0.03, scaleBias: 1, tStd: 0.03, expStd: 0.03, kpStd: 0.02 } as const;

/**
 * x_start std LMDM gives with a unit-gain (fan-in) final_layer: measured 3.7–4.6 at both scales, seeds 0
 * and 1, time_cond 0/500/999 (the decoder stack's output has RMS ≈ 2.1–2.6, and the guidance
 * unc + 2·(cond − unc) = 2·cond − unc amplifies it by ≈ 1.9). final_layer column j gets gain
 * target_j / LMDM_UNIT_X_START_STD so x_start lands on the targets below.
 */
export const LMDM_UNIT_X_START_STD = 4.2;
/** Target x_start std per field of the 265-d motion vector (scale−1, pose bins, t, exp). */
export const LMDM_X_START_STD = { scale: 0.03, pose: 1, t: 0.03, exp: 0.03 } as const;

/** Per-column gain of LMDM's final Linear (latent → motionDim), field by field (models.md §1.2 layout). */
export function lmdmOutputGains(motionDim: number): number[] {
  const t = LMDM_X_START_STD;
  const g = (std: number): number => std / LMDM_UNIT_X_START_STD;
  // [scale 1][pitch 66][yaw 66][roll 66][t 3][exp rest]
  return Array.from({ length: motionDim }, (_, i) => g(i < 1 ? t.scale : i < 1 + 3 * 66 ? t.pose : i < 1 + 3 * 66 + 3 ? t.t : t.exp));
}

/**
 * A fixed canonical-keypoint layout [numKp × 3] (x, y, z), used as the fc_kp bias: a golden-angle spiral
 * on a disc of radius 0.6 in x/y (points evenly spread over the face area of the volume) with z a dome of
 * height ±0.2, so every keypoint sits well inside the [−1, 1] warp grid and the keypoints do not overlap.
 */
export function canonicalKpPattern(numKp: number): number[] {
  const out: number[] = [];
  const golden = Math.PI * (3 - Math.sqrt(5));
  for (let k = 0; k < numKp; k++) {
    const r = 0.6 * Math.sqrt((k + 0.5) / numKp);
    const a = k * golden;
    out.push(r * Math.cos(a), r * Math.sin(a), 0.2 * (1 - 2 * (r / 0.6) ** 2));
  }
  return out;
}

/** The config for a scale, cross-checked against the pipeline config the runner uses. */
export function dittoConfigFor(scale: Scale): DittoConfig {
  const cfg = scale === 'full' ? DITTO_FULL_CONFIG : DITTO_TINY_CONFIG;
  const p = pipelineConfigFor(scale);
  // These must agree or the runner would feed the graphs wrong shapes.
  if (
    cfg.hubert.hidden !== p.featureDim ||
    cfg.lmdm.condDim !== p.condDim ||
    cfg.appearance.imageSize !== p.sourceSize ||
    cfg.lmdm.motionDim !== p.motionDim ||
    cfg.lmdm.seqFrames !== p.seqFrames
  ) {
    throw new UsageError(`ditto ${scale} config disagrees with the pipeline config`);
  }
  return cfg;
}

/** Feature-volume shape [1, C, D, H, W] the appearance extractor produces and the warp consumes. */
export function featureVolumeShape(cfg: DittoConfig): number[] {
  const a = cfg.appearance;
  const s = a.imageSize / 2 ** a.numDownBlocks;
  return [1, a.reshapeChannel, a.reshapeDepth, s, s];
}

/** Warp output = decoder input: [1, labelChannels, s, s]. */
export function warpOutputShape(cfg: DittoConfig): number[] {
  return [1, cfg.warp.blockExpansion * 2 ** cfg.warp.numDownBlocks, cfg.warp.spatial, cfg.warp.spatial];
}

/** HuBERT output frames for n input samples (conv front end, no padding). */
export function hubertFrames(cfg: HubertConfig, n: number): number {
  let t = n;
  cfg.convKernels.forEach((k, i) => {
    t = Math.floor((t - k) / (cfg.convStrides[i] ?? 1)) + 1;
  });
  return t;
}
