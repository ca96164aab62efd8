/**
 * XTTS-v2 reference builders by role. `gpt_prefill` and `gpt_decode` built with the same (seed, scale,
 * weights) share one set of GPT weight Tensors (memoized here), so their files can share one external-data
 * file. Call `clearXttsWeightCache()` after building both to let the weights go.
 */
import type { Model } from '../../onnx/types.js';
import type { BuildOptions, XttsRole } from '../manifest.js';
import { buildCondEncoder } from './cond-encoder.js';
import { buildGptDecode } from './gpt-decode.js';
import { buildGptPrefill } from './gpt-prefill.js';
import { createGptWeights, type GptWeights } from './gpt-weights.js';
import { buildHifigan } from './hifigan.js';
import { buildSpeakerEncoder } from './speaker-encoder.js';

export { XTTS_PUBLISHED } from './published.js';
export { xttsDims, hifiganOutputSamples } from './config.js';
export type { GptWeights } from './gpt-weights.js';

const gptWeightCache = new Map<string, GptWeights>();

/** The GPT weights for a build, made once per (seed, scale, weights). */
export function sharedGptWeights(opts: BuildOptions): GptWeights {
  const key = `${opts.seed}|${opts.scale}|${opts.weights}`;
  let w = gptWeightCache.get(key);
  if (!w) {
    w = createGptWeights(opts);
    gptWeightCache.set(key, w);
  }
  return w;
}

/** Drops the memoized GPT weights (a full-scale set holds ≈ 1.6 GB). */
export function clearXttsWeightCache(): void {
  gptWeightCache.clear();
}

export const XTTS_BUILDERS: Record<XttsRole, (opts: BuildOptions) => Model> = {
  cond_encoder: buildCondEncoder,
  speaker_encoder: buildSpeakerEncoder,
  gpt_prefill: (opts) => buildGptPrefill(opts, sharedGptWeights(opts)),
  gpt_decode: (opts) => buildGptDecode(opts, sharedGptWeights(opts)),
  hifigan: buildHifigan,
};
