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
import { isDeviceTensor, toHost, type HostTensor, type OutputTarget, type Tensor } from '../runtime/index.js';
import { StageError } from '../core/input-error.js';
import { logMelSpectrogram, XTTS_MEL } from '../media/mel.js';
import { resample } from '../media/resample.js';
import { feed, floatData, type RoleSessions } from './role-sessions.js';
import { audioTokensForText, sampleToken, XTTS_SAMPLING } from './sampling.js';
import type { StageTimer } from './stage-timer.js';
import { START_TEXT_TOKEN, STOP_TEXT_TOKEN, type Tokenizer } from './tokenizer.js';
import type { Audio } from '../media/wav.js';
import type { SettingsInUse } from './pipeline-settings.js';
import { SerialQueue } from './serial-queue.js';
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

/** A vocoder call's input: its token count, that count padded to the bucket, and the latents it feeds. */
interface VocoderInput {
  count: number;
  padded: number;
  latents: Float32Array;
}

/** The GPT's KV-cache outputs: fed back as the next step's past_* in whatever type the session makes them. */
const isKvCache = (name: string): boolean => name.startsWith('present_');

export async function runTts(sessions: RoleSessions, cfg: PipelineConfig, timer: StageTimer, o: TtsOptions): Promise<TtsOutput> {
  const voice = await conditionVoice(sessions, cfg, timer, o);
  const run = new TtsDecode(sessions, cfg, timer, o, voice);
  try {
    await run.prefill();
    await run.decode();
    return await run.finish();
  } finally {
    // A failed decode leaves no vocoder call running on sessions about to be released.
    await run.settled();
  }
}

interface Voice {
  cond: HostTensor;
  speaker: HostTensor;
}

/** Conditioning (per voice), once per sessions with `avatarCache`. */
async function conditionVoice(sessions: RoleSessions, cfg: PipelineConfig, timer: StageTimer, o: TtsOptions): Promise<Voice> {
  const cached = o.settings.take('avatarCache');
  return timer.time('tts.conditioning', () =>
    cached ? sessions.memo(o.refVoice, 'tts.conditioning', () => encodeVoice(sessions, cfg, o)) : encodeVoice(sessions, cfg, o),
  );
}

/** Log-mel at 22.05 kHz → cond_encoder; 16 kHz → speaker encoder. */
async function encodeVoice(sessions: RoleSessions, cfg: PipelineConfig, o: TtsOptions): Promise<Voice> {
  const ref22 = resample(o.refVoice.samples, o.refVoice.sampleRate, cfg.ttsRate);
  const mel = logMelSpectrogram(ref22, { sampleRate: cfg.ttsRate, ...XTTS_MEL, hop: cfg.melHop, nMels: cfg.melBins });
  const c = await sessions.run('cond_encoder', { mel: feed.f32([1, cfg.melBins, mel.frames], mel.data) });
  const ref16 = resample(o.refVoice.samples, o.refVoice.sampleRate, cfg.speakerRate);
  const s = await sessions.run('speaker_encoder', { wav_16k: feed.f32([1, ref16.length], ref16) });
  const condT = c.gpt_cond_latent;
  const spk = s.speaker_embedding;
  if (!condT || !spk) throw new StageError('tts.conditioning', 'error', 'cond_encoder/speaker_encoder outputs missing (gpt_cond_latent, speaker_embedding)');
  return { cond: condT, speaker: spk };
}

/**
 * One utterance's decode as named phases over its state: prefill, then the decode loop — a static-KV step, a
 * one-token step or a decode-loop chunk, whichever graph is loaded — with the vocoder called every
 * `streamChunkTokens` tokens, then the audio assembled from the streamed chunks.
 */
class TtsDecode {
  private readonly ids: number[];
  private readonly nTokens: number;
  private readonly rng: ReturnType<typeof createRng>;
  /** Token ids sampled from: the start/stop audio tokens stay out. */
  private readonly candidates: number;
  private readonly tokens: number[] = [];
  private readonly bucket: number;
  /** Zeros past the last token: the padding a bucketed call feeds. */
  private readonly latents: Float32Array;
  private readonly chunkTokens: number;
  private readonly chunker = new StreamChunker();
  private readonly pieces: Float32Array[] = [];
  private vocoderCalls = 0;
  private lastVocoded = 0;
  private past: Record<string, HostTensor> = {};
  /** The prefill's cache left on the device for a static-KV decode (as past_* names), until it is copied. */
  private devicePast: Record<string, Tensor> | undefined;
  private pastLen = 0;
  /** gpt_decode is a decode-loop graph (one call per streaming chunk). */
  private readonly loopGraph: boolean;
  /** `vocoderOverlap`: the streaming vocoder calls, in order, behind the decode. */
  private readonly vocoderQueue: SerialQueue | undefined;

  constructor(
    private readonly sessions: RoleSessions,
    private readonly cfg: PipelineConfig,
    private readonly timer: StageTimer,
    private readonly o: TtsOptions,
    private readonly voice: Voice,
  ) {
    this.ids = [START_TEXT_TOKEN, ...o.tokenizer.encode(o.text), STOP_TEXT_TOKEN, cfg.startAudioToken];
    this.nTokens = o.audioTokens ?? audioTokensForText(o.text, cfg.tokensPerSecond, cfg.maxAudioTokens);
    this.rng = createRng((o.seed * 2654435761) ^ 0x7755);
    this.candidates = cfg.audioVocab - 2;
    this.bucket = o.settings.take('vocoderBucket');
    this.latents = new Float32Array(this.paddedTokens(this.nTokens) * cfg.gptWidth);
    this.chunkTokens = o.streamChunkTokens ?? STREAM_CHUNK_TOKENS;
    this.loopGraph = sessions.inputNames('gpt_decode').includes(DECODE_LOOP_INPUTS.uniforms);
    // Only beside `overlap`: without it the TTS waits for Ditto after every chunk, and a vocoder call running
    // behind the decode (Ditto's push inside it) would not keep that; recorded as not applied then.
    const vocoderOverlap = o.settings.take('vocoderOverlap') && o.settings.requested.overlap;
    if (!vocoderOverlap) o.settings.settle('vocoderOverlap', false);
    this.vocoderQueue = vocoderOverlap ? new SerialQueue() : undefined;
  }

  private paddedTokens(count: number): number {
    return this.bucket > 0 ? Math.ceil(count / this.bucket) * this.bucket : count;
  }

  /** Prefill: the start_audio position's logits/latent give token 0. */
  async prefill(): Promise<void> {
    if (this.loopGraph) checkDecodeLoop(this.sessions.files.gpt_decode, this.candidates);
    const feeds = { input_ids: feed.i64([1, this.ids.length], this.ids), gpt_cond_latent: this.voice.cond };
    await this.timer.time('tts.prefill', async () => {
      // A static-KV decode on the device takes the cache where the prefill leaves it (kv-pad-graph.ts).
      if (isStaticKv(this.sessions) && this.sessions.canBindOnDevice(['gpt_prefill', 'gpt_decode'])) {
        const targets: Record<string, OutputTarget> = {};
        for (const n of this.sessions.session('gpt_prefill')?.outputNames ?? []) targets[n] = isKvCache(n) ? 'device' : 'host';
        const out = await this.sessions.runBound('gpt_prefill', feeds, targets);
        this.takeToken({ logits: out.logits && toHost(out.logits), latent: out.latent && toHost(out.latent) }, 0);
        this.devicePast = Object.fromEntries(
          Object.entries(out)
            .filter(([n]) => isKvCache(n))
            .map(([n, t]) => [n.replace('present_', 'past_'), t]),
        );
        return;
      }
      this.takeStep(await this.sessions.run('gpt_prefill', feeds, isKvCache), 0);
    });
  }

  /** Tokens 1 … nTokens − 1, vocoding every chunk on the way. */
  async decode(): Promise<void> {
    // A static-kv gpt_decode: the cache stays in fixed (device) buffers; each step sends the token only.
    const fixed = isStaticKv(this.sessions) ? await this.staticDecoder() : undefined;
    for (let i = 1; i < this.nTokens; ) {
      if (this.chunkTokens > 0 && i % this.chunkTokens === 0 && this.lastVocoded < i) await this.streamVocode(i);
      i = fixed ? await this.staticStep(fixed, i) : this.loopGraph ? await this.loopChunk(i) : await this.oneStep(i);
    }
  }

  /** The static-KV decoder on the prefill's cache (the device one, released once copied into the decoder's set). */
  private async staticDecoder(): Promise<StaticKvDecoder> {
    const past = this.devicePast;
    if (!past) return StaticKvDecoder.create(this.sessions, this.cfg, this.past, this.nTokens - 1);
    try {
      return await StaticKvDecoder.create(this.sessions, this.cfg, past, this.nTokens - 1);
    } finally {
      for (const t of Object.values(past)) if (isDeviceTensor(t)) t.release();
      this.devicePast = undefined;
    }
  }

  private async staticStep(fixed: StaticKvDecoder, i: number): Promise<number> {
    await this.timer.time('tts.decode', async () => {
      this.takeToken(await fixed.step(this.tokens[i - 1] as number, i), i);
    });
    return i + 1;
  }

  private async oneStep(i: number): Promise<number> {
    await this.timer.time('tts.decode', async () => this.takeStep(await this.sessions.run('gpt_decode', this.stepFeeds(i), isKvCache), i));
    return i + 1;
  }

  /** Up to the next vocoder call in one decode-loop call: one uniform per token, in the host sampler's order. */
  private async loopChunk(start: number): Promise<number> {
    const { cfg, candidates } = this;
    const end = this.chunkTokens > 0 ? Math.min(this.nTokens, (Math.floor(start / this.chunkTokens) + 1) * this.chunkTokens) : this.nTokens;
    const uniforms = new Float32Array(end - start);
    for (let j = 0; j < uniforms.length; j++) uniforms[j] = this.rng.next();
    const seen = new Float32Array(candidates);
    for (const t of this.tokens) if (t < candidates) seen[t] = 1;
    await this.timer.time('tts.decode', async () => {
      const out = await this.sessions.run(
        'gpt_decode',
        {
          ...this.stepFeeds(start),
          [DECODE_LOOP_INPUTS.uniforms]: feed.f32([uniforms.length], uniforms),
          [DECODE_LOOP_INPUTS.seen]: feed.f32([candidates], seen),
        },
        isKvCache,
        firstStep,
      );
      const got = out.tokens;
      if (!got || got.data.length !== uniforms.length)
        throw new StageError('tts.decode', 'error', `gpt_decode loop returned ${got ? got.data.length : 'no'} tokens for ${uniforms.length} uniforms`);
      for (const t of got.data) this.tokens.push(Number(t));
      this.latents.set(floatData(out.latent, 'gpt.latent').subarray(0, uniforms.length * cfg.gptWidth), start * cfg.gptWidth);
      this.takeCache(out);
    });
    this.sessions.countSteps('gpt_decode', uniforms.length);
    return end;
  }

  private takeCache(out: Record<string, HostTensor>): void {
    this.past = {};
    for (let l = 0; l < this.cfg.gptLayers; l++) {
      const k = out[`present_key_${l}`];
      const v = out[`present_value_${l}`];
      if (!k || !v) throw new StageError('tts', 'error', `GPT output present_key_${l}/present_value_${l} missing (gptLayers = ${this.cfg.gptLayers})`);
      this.past[`past_key_${l}`] = k;
      this.past[`past_value_${l}`] = v;
      this.pastLen = k.dims[2] ?? 0;
    }
  }

  /** A step's outputs: its latent kept, the next token sampled, its cache taken. */
  private takeStep(out: Record<string, HostTensor>, i: number): void {
    this.takeToken(out, i);
    this.takeCache(out);
  }

  /** Position i's latent kept and the next token sampled from its logits. */
  private takeToken(out: { logits?: HostTensor; latent?: HostTensor }, i: number): void {
    const logits = floatData(out.logits, 'gpt.logits');
    this.latents.set(floatData(out.latent, 'gpt.latent').subarray(0, this.cfg.gptWidth), i * this.cfg.gptWidth);
    this.tokens.push(sampleToken(logits, this.tokens, this.rng, XTTS_SAMPLING, this.candidates));
  }

  private stepFeeds(i: number): Record<string, HostTensor> {
    return {
      input_ids: feed.i64([1, 1], [this.tokens[i - 1] as number]),
      mel_position: feed.i64([1, 1], [i]),
      attention_mask: feed.i64([1, this.pastLen + 1], new Array<number>(this.pastLen + 1).fill(1)),
      ...this.past,
    };
  }

  /**
   * A streaming vocoder call on the first `count` tokens: awaited, or (vocoderOverlap) queued behind the earlier
   * ones while the decode goes on. Its latents are taken now either way, as the awaited call takes them.
   */
  private async streamVocode(count: number): Promise<void> {
    const input = this.vocoderInput(count);
    if (!this.vocoderQueue) return this.vocode(input, false);
    this.vocoderQueue.throwIfFailed();
    this.vocoderQueue.add(() => this.vocode(input, false));
  }

  /** The latents a call on the first `count` tokens feeds (padded to the bucket: zeros past `count`). */
  private vocoderInput(count: number): VocoderInput {
    const padded = this.paddedTokens(count);
    this.lastVocoded = count;
    return { count, padded, latents: this.latents.slice(0, padded * this.cfg.gptWidth) };
  }

  private async vocode(input: VocoderInput, end: boolean): Promise<void> {
    const { cfg } = this;
    const { count, padded } = input;
    const wav = await this.timer.time('tts.vocoder', async () => {
      const out = await this.sessions.run('hifigan', {
        latent_codes: feed.f32([1, padded, cfg.gptWidth], input.latents),
        speaker_embedding: this.voice.speaker,
      });
      const full = floatData(out.waveform, 'hifigan.waveform');
      if (padded === count) return full;
      // The real tokens' share of the samples. HiFi-GAN's length is not exactly proportional (its latent
      // interpolations floor), so this lands within a few samples of an unpadded call's length.
      return full.subarray(0, Math.round((full.length * count) / padded));
    });
    this.vocoderCalls++;
    const chunk = this.chunker.next(wav, end);
    this.pieces.push(chunk);
    if (this.o.onChunk && chunk.length) await this.o.onChunk(chunk);
  }

  /** Settles when no queued vocoder call is left (never rejects). */
  settled(): Promise<void> {
    return this.vocoderQueue?.settled() ?? Promise.resolve();
  }

  /** The last vocoder call, then the streamed chunks as one waveform. */
  async finish(): Promise<TtsOutput> {
    await this.vocoderQueue?.drain();
    if (this.lastVocoded < this.nTokens || this.vocoderCalls === 0) await this.vocode(this.vocoderInput(this.nTokens), true);
    const audio = new Float32Array(this.pieces.reduce((a, p) => a + p.length, 0));
    let off = 0;
    for (const p of this.pieces) {
      audio.set(p, off);
      off += p.length;
    }
    return { audio, sampleRate: this.cfg.outputRate, textTokens: this.ids.length, audioTokens: this.nTokens, vocoderCalls: this.vocoderCalls };
  }
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
