/**
 * The XTTS-v2 stage: reference-voice conditioning (log-mel at 22.05 kHz → cond_encoder; 16 kHz → speaker
 * encoder), GPT prefill over [cond latents | start_text, text…, stop_text, start_audio], then the KV-cached
 * decode loop (present_* fed back as past_*) with seeded XTTS sampling, and HiFi-GAN streaming as
 * `Xtts.inference_stream` does: every `streamChunkTokens` tokens the vocoder reruns on all latents so far,
 * the new tail is cut out and crossfaded over 1024 samples.
 *
 * A `gpt_decode` rewritten by the `decode-loop` pass (input `sample_uniforms`) generates the tokens up to
 * the next vocoder call in one session call, sampling inside the graph with uniforms drawn here from the
 * same seeded generator: the KV cache crosses the host once per chunk instead of once per token.
 *
 * With seeded reference weights the stop token means nothing, so the token count follows the text at
 * ≈ 14 characters a second (tokens = seconds × 21.53, capped at maxAudioTokens) and the stop/start audio
 * tokens are kept out of the candidates.
 */
import { createRng } from '../onnx/rng.js';
import { readModelMetadata } from '../onnx/read-model.js';
import { DECODE_LOOP_INPUTS, readDecodeLoopRecord } from '../quantize/decode-loop.js';
import type { PipelineConfig } from '../models/manifest.js';
import type { HostTensor } from '../runtime/index.js';
import { StageError } from '../core/input-error.js';
import { logMelSpectrogram, XTTS_MEL } from '../media/mel.js';
import { resample } from '../media/resample.js';
import { feed, floatData, type RoleSessions } from './role-sessions.js';
import { audioTokensForText, sampleToken, XTTS_SAMPLING } from './sampling.js';
import type { StageTimer } from './stage-timer.js';
import { START_TEXT_TOKEN, STOP_TEXT_TOKEN, type Tokenizer } from './tokenizer.js';
import type { Audio } from '../media/wav.js';
import type { SettingsInUse } from './pipeline-settings.js';
import { isStaticKv, StaticKvDecoder } from './static-kv-decode.js';

/** XTTS inference_stream defaults. */
export const STREAM_CHUNK_TOKENS = 20;
export const STREAM_OVERLAP_SAMPLES = 1024;

export interface TtsOptions {
  text: string;
  refVoice: Audio;
  tokenizer: Tokenizer;
  seed: number;
  /** Vocoder chunking (0 = one vocoder call at the end). */
  streamChunkTokens?: number;
  /**
   * The run's settings. `vocoderBucket`: pad each vocoder call's latents with zeros to a multiple of this many
   * tokens and keep the real part of the waveform (0: exact lengths, as XTTS streams). Each new input length
   * makes the CUDA EP's cuDNN search run again (~1 s per HiFi-GAN call on an H100, unswitchable from Node);
   * buckets reuse one. The last samples before the padding hear zeros instead of nothing: the sweep's audio
   * SNR shows the cost.
   */
  settings: SettingsInUse;
  /** Overrides the text-length rule (tests). */
  audioTokens?: number;
  /** Called with each new 24 kHz audio chunk as soon as it is ready. */
  onChunk?: (chunk: Float32Array) => Promise<void>;
}

export interface TtsOutput {
  audio: Float32Array;
  sampleRate: number;
  textTokens: number;
  audioTokens: number;
  vocoderCalls: number;
}

/** Crossfading chunker of `Xtts.handle_chunks`; `end` also returns the held-back overlap tail. */
export class StreamChunker {
  private prevLen = 0;
  private overlap: Float32Array | undefined;
  constructor(readonly overlapLen = STREAM_OVERLAP_SAMPLES) {}

  next(wav: Float32Array, end: boolean): Float32Array {
    const ov = Math.min(this.overlapLen, wav.length);
    const from = Math.max(0, this.prevLen - (this.overlap?.length ?? 0));
    const to = end ? wav.length : wav.length - ov;
    const chunk = wav.slice(Math.min(from, to), Math.max(from, to));
    if (this.overlap) {
      const n = Math.min(this.overlap.length, chunk.length);
      for (let i = 0; i < n; i++) {
        const a = n > 1 ? i / (n - 1) : 1;
        chunk[i] = (this.overlap[i] as number) * (1 - a) + (chunk[i] as number) * a;
      }
    }
    this.overlap = end ? undefined : wav.slice(wav.length - ov);
    this.prevLen = wav.length;
    return chunk;
  }
}

/** The GPT's KV-cache outputs: fed back as the next step's past_* in whatever type the session makes them. */
const isKvCache = (name: string): boolean => name.startsWith('present_');

export async function runTts(sessions: RoleSessions, cfg: PipelineConfig, timer: StageTimer, o: TtsOptions): Promise<TtsOutput> {
  // Conditioning (per voice).
  const { cond, speaker } = await timer.time('tts.conditioning', async () => {
    const ref22 = resample(o.refVoice.samples, o.refVoice.sampleRate, cfg.ttsRate);
    const mel = logMelSpectrogram(ref22, { sampleRate: cfg.ttsRate, ...XTTS_MEL, hop: cfg.melHop, nMels: cfg.melBins });
    const c = await sessions.run('cond_encoder', { mel: feed.f32([1, cfg.melBins, mel.frames], mel.data) });
    const ref16 = resample(o.refVoice.samples, o.refVoice.sampleRate, cfg.speakerRate);
    const s = await sessions.run('speaker_encoder', { wav_16k: feed.f32([1, ref16.length], ref16) });
    const condT = c.gpt_cond_latent;
    const spk = s.speaker_embedding;
    if (!condT || !spk) throw new StageError('tts.conditioning', 'error', 'cond_encoder/speaker_encoder outputs missing (gpt_cond_latent, speaker_embedding)');
    return { cond: condT, speaker: spk };
  });
  const textIds = o.tokenizer.encode(o.text);
  const ids = [START_TEXT_TOKEN, ...textIds, STOP_TEXT_TOKEN, cfg.startAudioToken];
  const nTokens = o.audioTokens ?? audioTokensForText(o.text, cfg.tokensPerSecond, cfg.maxAudioTokens);
  const rng = createRng((o.seed * 2654435761) ^ 0x7755);
  const candidates = cfg.audioVocab - 2; // keep start/stop audio tokens out
  const tokens: number[] = [];
  const bucket = o.settings.take('vocoderBucket');
  const paddedTokens = (count: number): number => (bucket > 0 ? Math.ceil(count / bucket) * bucket : count);
  // Zeros past the last token: the padding a bucketed call feeds.
  const latents = new Float32Array(paddedTokens(nTokens) * cfg.gptWidth);
  const chunkTokens = o.streamChunkTokens ?? STREAM_CHUNK_TOKENS;
  const chunker = new StreamChunker();
  const pieces: Float32Array[] = [];
  let vocoderCalls = 0;
  let lastVocoded = 0;

  const vocode = async (count: number, end: boolean): Promise<void> => {
    const wav = await timer.time('tts.vocoder', async () => {
      const padded = paddedTokens(count);
      const out = await sessions.run('hifigan', {
        latent_codes: feed.f32([1, padded, cfg.gptWidth], latents.slice(0, padded * cfg.gptWidth)),
        speaker_embedding: speaker,
      });
      const full = floatData(out.waveform, 'hifigan.waveform');
      if (padded === count) return full;
      // The real tokens' share of the samples. HiFi-GAN's length is not exactly proportional (its latent
      // interpolations floor), so this lands within a few samples of an unpadded call's length.
      return full.subarray(0, Math.round((full.length * count) / padded));
    });
    vocoderCalls++;
    lastVocoded = count;
    const chunk = chunker.next(wav, end);
    pieces.push(chunk);
    if (o.onChunk && chunk.length) await o.onChunk(chunk);
  };

  // Prefill: the start_audio position's logits/latent give token 0.
  let past: Record<string, HostTensor> = {};
  let pastLen = 0;
  const takeCache = (out: Record<string, HostTensor>): void => {
    past = {};
    for (let l = 0; l < cfg.gptLayers; l++) {
      const k = out[`present_key_${l}`];
      const v = out[`present_value_${l}`];
      if (!k || !v) throw new StageError('tts', 'error', `GPT output present_key_${l}/present_value_${l} missing (gptLayers = ${cfg.gptLayers})`);
      past[`past_key_${l}`] = k;
      past[`past_value_${l}`] = v;
      pastLen = k.dims[2] ?? 0;
    }
  };
  const takeStep = (out: Record<string, HostTensor>, i: number): void => {
    const logits = floatData(out.logits, 'gpt.logits');
    latents.set(floatData(out.latent, 'gpt.latent').subarray(0, cfg.gptWidth), i * cfg.gptWidth);
    tokens.push(sampleToken(logits, tokens, rng, XTTS_SAMPLING, candidates));
    takeCache(out);
  };
  const stepFeeds = (i: number): Record<string, HostTensor> => ({
    input_ids: feed.i64([1, 1], [tokens[i - 1] as number]),
    mel_position: feed.i64([1, 1], [i]),
    attention_mask: feed.i64([1, pastLen + 1], new Array<number>(pastLen + 1).fill(1)),
    ...past,
  });
  const loopGraph = sessions.inputNames('gpt_decode').includes(DECODE_LOOP_INPUTS.uniforms);
  if (loopGraph) checkDecodeLoop(sessions.files.gpt_decode, candidates);
  await timer.time('tts.prefill', async () => {
    const out = await sessions.run('gpt_prefill', { input_ids: feed.i64([1, ids.length], ids), gpt_cond_latent: cond }, isKvCache);
    takeStep(out, 0);
  });
  // A static-kv gpt_decode: the cache stays in fixed (device) buffers; each step sends the token only.
  const fixed = isStaticKv(sessions) ? StaticKvDecoder.create(sessions, cfg, past, nTokens - 1) : undefined;
  for (let i = 1; i < nTokens; ) {
    if (chunkTokens > 0 && i % chunkTokens === 0 && lastVocoded < i) await vocode(i, false);
    if (fixed) {
      const at = i;
      await timer.time('tts.decode', async () => {
        const out = await fixed.step(tokens[at - 1] as number, at);
        latents.set(floatData(out.latent, 'gpt.latent').subarray(0, cfg.gptWidth), at * cfg.gptWidth);
        tokens.push(sampleToken(floatData(out.logits, 'gpt.logits'), tokens, rng, XTTS_SAMPLING, candidates));
      });
      i++;
      continue;
    }
    if (!loopGraph) {
      await timer.time('tts.decode', async () => takeStep(await sessions.run('gpt_decode', stepFeeds(i), isKvCache), i));
      i++;
      continue;
    }
    // Up to the next vocoder call: one uniform per token, in the order the host sampler draws them.
    const end = chunkTokens > 0 ? Math.min(nTokens, (Math.floor(i / chunkTokens) + 1) * chunkTokens) : nTokens;
    const uniforms = new Float32Array(end - i);
    for (let j = 0; j < uniforms.length; j++) uniforms[j] = rng.next();
    const seen = new Float32Array(candidates);
    for (const t of tokens) if (t < candidates) seen[t] = 1;
    const start = i;
    await timer.time('tts.decode', async () => {
      const out = await sessions.run(
        'gpt_decode',
        { ...stepFeeds(start), [DECODE_LOOP_INPUTS.uniforms]: feed.f32([uniforms.length], uniforms), [DECODE_LOOP_INPUTS.seen]: feed.f32([candidates], seen) },
        isKvCache,
        firstStep,
      );
      const got = out.tokens;
      if (!got || got.data.length !== uniforms.length)
        throw new StageError('tts.decode', 'error', `gpt_decode loop returned ${got ? got.data.length : 'no'} tokens for ${uniforms.length} uniforms`);
      for (const t of got.data) tokens.push(Number(t));
      latents.set(floatData(out.latent, 'gpt.latent').subarray(0, uniforms.length * cfg.gptWidth), start * cfg.gptWidth);
      takeCache(out);
    });
    sessions.countSteps('gpt_decode', uniforms.length);
    i = end;
  }
  if (lastVocoded < nTokens || vocoderCalls === 0) await vocode(nTokens, true);
  const total = pieces.reduce((a, p) => a + p.length, 0);
  const audio = new Float32Array(total);
  let off = 0;
  for (const p of pieces) {
    audio.set(p, off);
    off += p.length;
  }
  return { audio, sampleRate: cfg.outputRate, textTokens: ids.length, audioTokens: nTokens, vocoderCalls };
}

/**
 * A decode loop's outputs cut to its first step ([1, S, …] → [1, 1, …] logits and latent), which is what a
 * one-step graph returns for that call; the KV cache (longer by S − 1) and the tokens are left out.
 */
function firstStep(out: Record<string, HostTensor>): Record<string, HostTensor> {
  const r: Record<string, HostTensor> = {};
  for (const name of ['logits', 'latent']) {
    const t = out[name];
    if (!t || t.dims.length !== 3) continue;
    const row = t.dims[2] as number;
    r[name] = { type: t.type, dims: [1, 1, row], data: t.data.slice(0, row) };
  }
  return r;
}

/** A decode loop samples inside its graph: its settings must be the ones the host sampler uses. */
function checkDecodeLoop(file: string | undefined, candidates: number): void {
  if (!file) return;
  // The metadata only: a full-scale loop graph holds its 1.5 GB of weights inline.
  const metadataProps = Object.entries(readModelMetadata(file)).map(([key, value]) => ({ key, value }));
  const rec = readDecodeLoopRecord({ metadataProps });
  if (!rec)
    throw new StageError('tts.decode', 'error', `${file}: has input '${DECODE_LOOP_INPUTS.uniforms}' but no decode-loop pass record (workbench.passes)`);
  const same =
    rec.candidates === candidates && (Object.keys(XTTS_SAMPLING) as (keyof typeof XTTS_SAMPLING)[]).every((k) => rec.sampling?.[k] === XTTS_SAMPLING[k]);
  const want = JSON.stringify({ sampling: XTTS_SAMPLING, candidates });
  const got = JSON.stringify({ sampling: rec.sampling, candidates: rec.candidates });
  // Field by field: a record written by another tool may order its keys differently.
  if (!same)
    throw new StageError('tts.decode', 'error', `${file}: decode loop samples with ${got}, the runner with ${want}; rebuild it with the runner's settings`);
}
