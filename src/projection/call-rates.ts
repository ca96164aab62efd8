/**
 * How often the pipeline calls each role per second of audio, from the manifest's call rates and pipeline
 * config (the runner's own arithmetic: 25 frames/s, a HuBERT chunk every hop, DDIM steps per 70-frame
 * window, 21.5 GPT tokens/s), or from a run's counted calls. Per-utterance, per-voice and per-image roles run
 * once per utterance in the runner, so they are spread over the utterance length.
 */
import { DITTO_ROLES, XTTS_ROLES, REAL_PIPELINE_CONFIG, ROLE_CALL_RATES, type CallRate, type PipelineConfig } from '../models/manifest.js';
import { UsageError } from '../errors.js';

/** The reference set's call rates (one table, in src/models/manifest.ts). */
export const DEFAULT_ROLE_RATES: Readonly<Record<string, CallRate>> = ROLE_CALL_RATES;

/** 'tts' for XTTS roles, 'ditto' for Ditto roles, else 'other'. */
export function stageOfRole(role: string, component?: 'ditto' | 'xtts'): string {
  if (component) return component === 'xtts' ? 'tts' : 'ditto';
  if ((XTTS_ROLES as readonly string[]).includes(role)) return 'tts';
  if ((DITTO_ROLES as readonly string[]).includes(role)) return 'ditto';
  return 'other';
}

/**
 * Calls per second of audio of a role with call rate `rate`:
 * per_frame fps; per_audio_chunk audioRate / hopSamples; per_diffusion_step samplingSteps × fps / (seqFrames −
 * overlap); per_token tokensPerSecond; once-per-utterance rates 1 / audioSeconds.
 */
export function callsPerAudioSecond(rate: CallRate, config: PipelineConfig = REAL_PIPELINE_CONFIG, audioSeconds = 10, steps?: number): number {
  if (!(audioSeconds > 0)) throw new UsageError(`--audio-seconds ${audioSeconds}: must be positive`);
  switch (rate) {
    case 'per_frame':
      return config.fps;
    case 'per_audio_chunk':
      return config.audioRate / config.hopSamples;
    case 'per_diffusion_step':
      return ((steps ?? config.samplingSteps) * config.fps) / (config.seqFrames - config.overlap);
    case 'per_token':
      return config.tokensPerSecond;
    case 'per_utterance':
    case 'per_voice':
    case 'per_source_image':
      return 1 / audioSeconds;
  }
}
