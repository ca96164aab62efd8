/**
 * The pipeline manifest: which file plays each role of the XTTS-v2 → Ditto pipeline, its I/O contract and
 * how often the pipeline calls it. The reference builders write one (`models/reference/<scale>/manifest.json`);
 * users write their own to point roles at real exports. Paths are relative to the manifest's folder.
 */

export const DITTO_ROLES = ['hubert', 'lmdm', 'appearance_extractor', 'motion_extractor', 'stitch_network', 'warp_network', 'decoder'] as const;

export const XTTS_ROLES = ['cond_encoder', 'speaker_encoder', 'gpt_prefill', 'gpt_decode', 'hifigan'] as const;

/**
 * Roles a manifest may add on top of the pipeline's: `renderer` is stitch + warp + decoder as one graph
 * (the `render-graph` pass, optionally with a baked source and batched); the runner uses it in place of
 * the three per-frame roles when it is there.
 */
export const COMPOSED_ROLES = ['renderer'] as const;

export type DittoRole = (typeof DITTO_ROLES)[number];
export type XttsRole = (typeof XTTS_ROLES)[number];
export type ComposedRole = (typeof COMPOSED_ROLES)[number];
export type Role = DittoRole | XttsRole | ComposedRole;
/** The pipeline's roles (every reference set has them). */
export const ALL_ROLES: readonly Role[] = [...XTTS_ROLES, ...DITTO_ROLES];
/** Every role a manifest may name. */
export const MANIFEST_ROLES: readonly Role[] = [...ALL_ROLES, ...COMPOSED_ROLES];

/** How often the pipeline calls a role. */
export type CallRate =
  | 'per_voice' // once per reference voice (conditioning, speaker embedding)
  | 'per_utterance' // once per utterance (GPT prefill, HiFi-GAN on all latents)
  | 'per_token' // once per generated audio token (GPT decode step)
  | 'per_source_image' // once per avatar image (appearance, motion extractors)
  | 'per_audio_chunk' // once per 200 ms audio chunk (HuBERT)
  | 'per_diffusion_step' // sampling steps × windows (LMDM)
  | 'per_frame'; // 25 times a second of output video (stitch, warp, decoder)

/** How often the pipeline calls each role (the reference set's rates; a user's manifest may say otherwise). */
export const ROLE_CALL_RATES: Readonly<Record<Role, CallRate>> = {
  cond_encoder: 'per_voice',
  speaker_encoder: 'per_voice',
  gpt_prefill: 'per_utterance',
  gpt_decode: 'per_token',
  hifigan: 'per_utterance',
  hubert: 'per_audio_chunk',
  lmdm: 'per_diffusion_step',
  appearance_extractor: 'per_source_image',
  motion_extractor: 'per_source_image',
  stitch_network: 'per_frame',
  warp_network: 'per_frame',
  decoder: 'per_frame',
  renderer: 'per_frame',
};

export type ElemTypeName = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';

/** A tensor in the contract. Symbolic dims are strings (e.g. 'N' for HuBERT's sample count). */
export interface TensorSpec {
  type: ElemTypeName;
  shape: (number | string)[];
}

export interface RoleSpec {
  /** Model file, relative to the manifest. */
  file: string;
  component: 'ditto' | 'xtts';
  calls: CallRate;
  inputs: Record<string, TensorSpec>;
  outputs: Record<string, TensorSpec>;
  /** Values for symbolic dims used when the role is profiled alone (e.g. { N: 6480 }). */
  profileDims?: Record<string, number>;
  /** sha256 of the model file, filled by the builder (cache key; checked when present). */
  sha256?: string;
  /** Parameter count and MACs per call of this file, when known (reference models). */
  params?: number;
  macsPerCall?: number;
}

/**
 * Pipeline constants the runner needs beyond the I/O contract. Real Ditto/XTTS values are the defaults;
 * tiny reference models shrink widths and resolutions.
 */
export interface PipelineConfig {
  /** Ditto. */
  fps: number; // 25
  audioRate: number; // 16000 (HuBERT input)
  chunkSamples: number; // 6480
  hopSamples: number; // 3200
  framesPerChunk: number; // 5
  featureDim: number; // 1024 (HuBERT)
  condDim: number; // 1103 (LMDM cond width)
  motionDim: number; // 265
  seqFrames: number; // 80
  overlap: number; // 10
  samplingSteps: number; // 50
  guidanceScale: number; // 2 (baked into the LMDM graph)
  numKp: number; // 21
  sourceSize: number; // 256 (crop fed to appearance/motion extractors)
  outputSize: number; // 512 (decoder output)
  /** XTTS. */
  ttsRate: number; // 22050 (GPT/conditioning)
  outputRate: number; // 24000 (HiFi-GAN)
  gptLayers: number; // 30
  gptHeads: number; // 16
  gptHeadDim: number; // 64
  gptWidth: number; // 1024
  condLatents: number; // 32
  textVocab: number; // 6681
  audioVocab: number; // 1026
  startAudioToken: number; // 1024
  stopAudioToken: number; // 1025
  tokensPerSecond: number; // 21.533 (22050 / 1024)
  samplesPerToken: number; // output samples per GPT token at outputRate (≈ 1114.6 for 24 kHz)
  melBins: number; // 80
  melHop: number; // 256
  speakerDim: number; // 512
  speakerRate: number; // 16000
  maxAudioTokens: number; // 602
}

export interface Manifest {
  schemaVersion: 1;
  name: string;
  /** 'full' | 'tiny' for reference sets; anything for a user's own exports. */
  scale: string;
  /** Real exports or seeded reference weights. */
  source: 'reference' | 'export';
  seed?: number;
  /** Reference sets: hash of (scale, seed, builder source); the build is skipped when it and every sha256 match. */
  buildKey?: string;
  roles: Partial<Record<Role, RoleSpec>>;
  config: PipelineConfig;
  /** Optional BPE vocabulary (XTTS vocab.json), relative to the manifest. */
  vocab?: string;
}

export const REAL_PIPELINE_CONFIG: PipelineConfig = {
  fps: 25,
  audioRate: 16000,
  chunkSamples: 6480,
  hopSamples: 3200,
  framesPerChunk: 5,
  featureDim: 1024,
  condDim: 1103,
  motionDim: 265,
  seqFrames: 80,
  overlap: 10,
  samplingSteps: 50,
  guidanceScale: 2,
  numKp: 21,
  sourceSize: 256,
  outputSize: 512,
  ttsRate: 22050,
  outputRate: 24000,
  gptLayers: 30,
  gptHeads: 16,
  gptHeadDim: 64,
  gptWidth: 1024,
  condLatents: 32,
  textVocab: 6681,
  audioVocab: 1026,
  startAudioToken: 1024,
  stopAudioToken: 1025,
  tokensPerSecond: 22050 / 1024,
  samplesPerToken: (1024 * 24000) / 22050,
  melBins: 80,
  melHop: 256,
  speakerDim: 512,
  speakerRate: 16000,
  maxAudioTokens: 602,
};

/**
 * Tiny reference scale: the same topology and operator set, narrow widths and small frames, so the whole
 * pipeline runs on 2 CPU cores in seconds. Audio framing (rates, chunk sizes, hop), motion layout (265),
 * keypoints (21), diffusion window (80/10) and vocabularies stay real, so the runner's logic is the same.
 */
export const TINY_PIPELINE_CONFIG: PipelineConfig = {
  ...REAL_PIPELINE_CONFIG,
  featureDim: 64,
  condDim: 64 + 79, // HuBERT features + emo 8 + eye_open 2 + eye_ball 6 + source kp 63
  sourceSize: 64,
  outputSize: 128,
  gptLayers: 2,
  gptHeads: 2,
  gptHeadDim: 16,
  gptWidth: 32,
  speakerDim: 32,
};

export type Scale = 'full' | 'tiny';

/** What every reference builder takes. */
export interface BuildOptions {
  scale: Scale;
  seed: number;
  /** 'none' makes placeholder weights: dims only, for counting parameters and MACs without memory. */
  weights: 'random' | 'none';
}

export function pipelineConfigFor(scale: Scale): PipelineConfig {
  return scale === 'full' ? REAL_PIPELINE_CONFIG : TINY_PIPELINE_CONFIG;
}
