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
  lmdm: { motionDim: 265, seqFrames: 80, condDim: 1103, latentDim: 512, ffSize: 1024, heads: 8, decoderLayers: 8, encoderLayers: 2, timesteps: 1000, guidanceScale: 2 },
  hubert: { convDim: 512, convKernels: HUBERT_KERNELS, convStrides: HUBERT_STRIDES, hidden: 1024, heads: 16, ffn: 4096, layers: 24, posConvKernel: 128, posConvGroups: 16 },
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
  lmdm: { motionDim: 265, seqFrames: 80, condDim: 143, latentDim: 64, ffSize: 128, heads: 4, decoderLayers: 8, encoderLayers: 2, timesteps: 1000, guidanceScale: 2 },
  hubert: { convDim: 32, convKernels: HUBERT_KERNELS, convStrides: HUBERT_STRIDES, hidden: 64, heads: 4, ffn: 128, layers: 4, posConvKernel: 128, posConvGroups: 16 },
};

/** The config for a scale, cross-checked against the pipeline config the runner uses. */
export function dittoConfigFor(scale: Scale): DittoConfig {
  const cfg = scale === 'full' ? DITTO_FULL_CONFIG : DITTO_TINY_CONFIG;
  const p = pipelineConfigFor(scale);
  // These must agree or the runner would feed the graphs wrong shapes.
  if (cfg.hubert.hidden !== p.featureDim || cfg.lmdm.condDim !== p.condDim || cfg.appearance.imageSize !== p.sourceSize || cfg.lmdm.motionDim !== p.motionDim || cfg.lmdm.seqFrames !== p.seqFrames) {
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
