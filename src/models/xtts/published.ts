/**
 * Published and computed XTTS-v2 sizes the reference graphs are checked against (full scale).
 */

export interface PublishedNumber {
  value: number;
  source: string;
  note?: string;
}

const MODELS_MD_29 = 'models.md §2.9 (computed from coqui-ai/TTS dbf1a08 sources)';

export const XTTS_PUBLISHED = {
  params: {
    gptCore: { value: 377.9e6, source: MODELS_MD_29, note: '30 GPT-2 blocks × 1024' },
    gptEmbeddingsAndHeads: {
      value: 16.8e6,
      source: MODELS_MD_29,
      note: 'includes text_head 1024→6681 (6.85 M), used only in training and absent from the inference graphs',
    },
    condEncoder: { value: 25.3e6, source: MODELS_MD_29 },
    perceiver: { value: 21.0e6, source: MODELS_MD_29 },
    gptModule: { value: 441e6, source: MODELS_MD_29, note: 'GPT graphs + cond_encoder' },
    hifigan: { value: 17.8e6, source: MODELS_MD_29 },
    speakerEncoder: {
      value: 8.0e6,
      source: 'models.md §2.5 (computed)',
      note: 'learned weights; the fixed STFT/mel constants of the in-graph front end are extra',
    },
    total: { value: 467e6, source: MODELS_MD_29, note: '≈ 1.87 GB FP32, consistent with model.pth 1.86–1.87 GB (HF coqui/XTTS-v2)' },
  },
  /** Parameters of the training-only text_head (1024·6681 + 6681), not part of any inference graph. */
  textHeadParams: { value: 1024 * 6681 + 6681, source: 'computed: Linear(1024, 6681)' },
  macs: {
    gptDecodeDensePerToken: { value: 379e6, source: MODELS_MD_29 },
    gptDecodePerCachedPosition: { value: 61_440, source: MODELS_MD_29, note: '2 · 1024 · 30 layers (q·K and p·V)' },
    hifiganPerSecond: { value: 29e9, source: MODELS_MD_29, note: 'per second of 24 kHz output' },
  },
  rates: {
    tokensPerSecond: { value: 22050 / 1024, source: 'models.md §2.2' },
    samplesPerToken: { value: (1024 * 24000) / 22050, source: 'models.md §2.2' },
  },
} as const satisfies Record<string, Record<string, PublishedNumber> | PublishedNumber>;
