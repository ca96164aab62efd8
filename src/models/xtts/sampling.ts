/**
 * XTTS-v2's audio-token sampling settings (`inference` defaults, HF generate logits processors in HF's
 * order): repetition penalty 10 over the tokens generated so far, temperature 0.75, top-k 50, top-p 0.85,
 * then a multinomial draw. The runner samples with them on the host (runner/sampling.ts); the
 * `decode-loop` pass builds the same sampler into the graph.
 */
export interface SamplingOptions {
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
}

export const XTTS_SAMPLING: SamplingOptions = { temperature: 0.75, topK: 50, topP: 0.85, repetitionPenalty: 10 };
