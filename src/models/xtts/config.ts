/**
 * XTTS-v2 reference dimensions per scale. Full scale follows models.md Part 2 (the [TTS] sources); tiny
 * scale takes the GPT widths and speaker dim from TINY_PIPELINE_CONFIG and shrinks the other widths the
 * same way, while vocabularies, mel bins, latents, audio rates and upsampling ratios stay real.
 */
import { pipelineConfigFor, type PipelineConfig, type Scale } from '../manifest.js';

export interface GptDims {
  layers: number;
  heads: number;
  headDim: number;
  width: number;
  /** FFN inner width (4 × width, GPT-2 n_inner None). */
  ffn: number;
  textVocab: number;
  /** Learned text positions: max_text_tokens 402 + 2. */
  textPositions: number;
  audioVocab: number;
  /** Learned mel positions: max_audio_tokens 605 + 2 + 1. */
  melPositions: number;
  condLatents: number;
  eps: number;
}

export interface CondEncoderDims {
  melBins: number;
  width: number;
  blocks: number;
  heads: number;
  groups: number;
  /** Perceiver resampler. */
  latents: number;
  depth: number;
  dimHead: number;
  perceiverHeads: number;
  /** GEGLU inner width: int(width · 4 · 2/3). */
  ffInner: number;
}

export interface SpeakerEncoderDims {
  sampleRate: number;
  nFft: number;
  winLength: number;
  hop: number;
  mels: number;
  preemphasis: number;
  layers: number[];
  filters: number[];
  seReduction: number;
  /** Bottleneck of the ASP attention (128). */
  attentionDim: number;
  projDim: number;
}

export interface HifiganDims {
  inDim: number;
  condDim: number;
  initialChannels: number;
  upsampleRates: number[];
  upsampleKernels: number[];
  resblockKernels: number[];
  resblockDilations: number[];
  /** Latent → mel-frame interpolation (ar_mel_length_compression 1024 / output hop 256). */
  latentScale: number;
  /** Output rate / input rate (24000 / 22050). */
  rateScale: number;
  lreluSlope: number;
}

export interface XttsDims {
  scale: Scale;
  config: PipelineConfig;
  gpt: GptDims;
  cond: CondEncoderDims;
  speaker: SpeakerEncoderDims;
  hifigan: HifiganDims;
}

/** Dimensions of every XTTS component at a scale. */
export function xttsDims(scale: Scale): XttsDims {
  const c = pipelineConfigFor(scale);
  const full = scale === 'full';
  const width = c.gptWidth;
  return {
    scale,
    config: c,
    gpt: {
      layers: c.gptLayers,
      heads: c.gptHeads,
      headDim: c.gptHeadDim,
      width,
      ffn: 4 * width,
      textVocab: c.textVocab,
      textPositions: 402 + 2,
      audioVocab: c.audioVocab,
      melPositions: 605 + 2 + 1,
      condLatents: c.condLatents,
      eps: 1e-5,
    },
    cond: {
      melBins: c.melBins,
      width,
      blocks: full ? 6 : 2,
      heads: c.gptHeads,
      groups: full ? 32 : 8,
      latents: c.condLatents,
      depth: 2,
      dimHead: full ? 64 : 16,
      perceiverHeads: full ? 8 : 2,
      ffInner: Math.trunc((width * 4 * 2) / 3),
    },
    speaker: {
      sampleRate: c.speakerRate,
      nFft: 512,
      winLength: 400,
      hop: 160,
      mels: 64,
      preemphasis: 0.97,
      layers: full ? [3, 4, 6, 3] : [1, 1, 1, 1],
      filters: full ? [32, 64, 128, 256] : [8, 16, 32, 64],
      seReduction: 8,
      attentionDim: full ? 128 : 16,
      projDim: c.speakerDim,
    },
    hifigan: {
      inDim: width,
      condDim: c.speakerDim,
      initialChannels: full ? 512 : 32,
      upsampleRates: [8, 8, 2, 2],
      upsampleKernels: [16, 16, 4, 4],
      resblockKernels: [3, 7, 11],
      resblockDilations: [1, 3, 5],
      latentScale: 1024 / 256,
      rateScale: c.outputRate / c.ttsRate,
      lreluSlope: 0.1,
    },
  };
}

/**
 * Output samples of the HiFi-GAN graph for T latents: two linear Resizes (×4, then ×24000/22050, each
 * output length floor(in · scale) with the scale as float32, as ONNX Resize computes it), then ×256.
 */
export function hifiganOutputSamples(latents: number, d: HifiganDims = xttsDims('full').hifigan): number {
  const f32 = (x: number): number => Math.fround(x);
  const frames1 = Math.floor(f32(latents * f32(d.latentScale)));
  const frames2 = Math.floor(f32(frames1 * f32(d.rateScale)));
  return frames2 * d.upsampleRates.reduce((a, r) => a * r, 1);
}
