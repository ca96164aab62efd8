/** Per-component seeds derived from the build seed, so each XTTS component gets its own weight stream. */
import type { XttsRole } from '../manifest.js';

const OFFSETS: Record<XttsRole | 'gpt', number> = {
  cond_encoder: 0x1001,
  speaker_encoder: 0x2002,
  gpt: 0x3003,
  gpt_prefill: 0x3003,
  gpt_decode: 0x3003,
  hifigan: 0x4004,
};

/** A 32-bit seed for one component: the build seed mixed with a fixed per-component constant. */
export function componentSeed(seed: number, component: XttsRole | 'gpt'): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ OFFSETS[component]) >>> 0;
}
