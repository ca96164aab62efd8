/**
 * The Ditto stage, run chunk by chunk as audio arrives (models.md §1.2, §1.5):
 * 24 kHz audio → 16 kHz (streaming polyphase resampler) → HuBERT on 6480-sample windows every 3200
 * samples of a stream pre-padded with 3 × 640 zeros (rows [T−14, T−4) of the 50 Hz output, pairs
 * averaged: 5 frames at 25 fps per call) → cond [80, condDim] = features + emotion, eye and source-kp
 * fields → LMDM DDIM over 80-frame windows every 70 frames (overlap 10, crossfaded) → k = 3 mean filter
 * on the first 202 dims → per frame: keypoints → stitch → warp → decoder.
 *
 * A window runs as soon as its 80 feature frames exist and lie inside the audio (so streaming gives
 * exactly the offline result); the remaining windows run at `finish`, padded with the last feature frame.
 * A frame is rendered once it can no longer change (its window's crossfade and its smoothing neighbour
 * are final).
 */
import { createRng } from '../onnx/rng.js';
import type { PipelineConfig } from '../models/manifest.js';
import type { HostTensor } from '../runtime/index.js';
import { cosineAlphasCumprod, ddimCoefficients, ddimTimePairs, ddimUpdate, drawWindowNoise } from './ddim.js';
import { StageError } from '../core/input-error.js';
import { motionToKeypoints } from './keypoints.js';
import { fuseWindow, smoothFrames } from './motion-sequence.js';
import type { RgbImage } from '../media/png.js';
import { StreamResampler } from '../media/resample.js';
import { feed, floatData, type RoleSessions } from './role-sessions.js';
import { checkDiffusionLoop, isDiffusionLoop, runWindowLoop } from './lmdm-loop.js';
import { batchImages, checkBakedSource, detectRenderPlan, padDriving, renderBatch, type RenderGraphMode, type RenderPlan } from './render-batched.js';
import { extractSourceFeatures } from './source-features.js';
import { DeviceHubert } from './device-hubert.js';
import { DeviceLmdm, DeviceRenderPath } from './device-io.js';
import { SerialQueue } from './serial-queue.js';
import type { StageTimer } from './stage-timer.js';

/** Windows whose noise tables the sessions keep (4.2 MB each at full scale, 50 steps): ~50 s of audio. */
const NOISE_WINDOWS_KEPT = 16;
/** Zeros before the 16 kHz stream (3 past frames × 640 samples). */
export const HUBERT_PREPAD = 3 * 640;
/** Dims smoothed by the mean filter (scale, pose bins, t: everything but exp). */
export const SMOOTH_DIMS = 202;
export const SMOOTH_K = 3;
/** Emotion one-hot index used for the condition (Ditto's default "neutral" slot), eye-open and eye-ball values. */
export const COND_EMOTION_INDEX = 4;
export const COND_EYE_OPEN = [0.35, 0.35];

export interface DittoFrame {
  index: number;
  image: RgbImage;
}

export interface DittoOptions {
  steps: number;
  seed: number;
  /** Called with every rendered frame, in order. */
  onFrame: (f: DittoFrame) => Promise<void>;
  /**
   * PipelineSettings.renderOverlap: frames that can no longer change are rendered in the background, in order,
   * while the stream goes on (HuBERT, the next LMDM window, the caller's TTS), instead of before `push` or
   * `finish` returns. Same frames; `finish` waits for the last one.
   */
  renderOverlap?: boolean;
  /** PipelineSettings.avatarCache: the source features are made once per sessions and image, then reused. */
  avatarCache?: boolean;
}

export interface DittoSummary {
  frames: number;
  hubertCalls: number;
  windows: number;
  audio16kSamples: number;
  /** The smoothed motion sequence [frames × 265]. */
  motion: Float32Array;
  /** Frames per render call, the renderer graph used, calls made, and whether LMDM ran as one loop per window. */
  render: { batch: number; graph: RenderGraphMode; calls: number };
  diffusionLoop: boolean;
}

export class DittoStream {
  private readonly resampler: StreamResampler;
  private audio16 = new Float32Array(0);
  private audioLen = 0;
  private features: Float32Array[] = [];
  private hubertCalls = 0;
  private windowsDone = 0;
  private seq = new Float32Array(0);
  /** Frames handed to the render: rendered, or queued behind the background render (renderOverlap). */
  private scheduled = 0;
  private readonly renderQueue = new SerialQueue();
  private source: { feature3d: HostTensor; motion: Float32Array; kpCanonical: Float32Array; kpSource: Float32Array; kpRaw: Float32Array } | undefined;
  private readonly alphas = cosineAlphasCumprod();
  /** Native backend: the avatar's tensors and the render intermediates on the device (device-io.ts). */
  private devicePath: DeviceRenderPath | undefined;
  /** Native backend: HuBERT's fixed device buffers (undefined: not made yet; null: host path). */
  private deviceHubert: DeviceHubert | null | undefined;
  /** Native backend: LMDM's fixed device buffers (undefined: not made yet; null: host path). */
  private deviceLmdm: DeviceLmdm | null | undefined;
  private finished = false;
  /** Batched and/or composed rendering (render-batched.ts); undefined = three calls per frame. */
  private readonly plan: RenderPlan | undefined;
  private readonly lmdmLoop: boolean;
  private renderCalls = 0;

  constructor(
    private readonly sessions: RoleSessions,
    private readonly cfg: PipelineConfig,
    private readonly timer: StageTimer,
    private readonly o: DittoOptions,
    inputRate: number,
  ) {
    this.resampler = new StreamResampler(inputRate, cfg.audioRate);
    this.plan = detectRenderPlan(sessions);
    this.lmdmLoop = isDiffusionLoop(sessions);
    if (this.lmdmLoop) checkDiffusionLoop(sessions.files.lmdm, o.steps, cfg);
  }

  private get valid(): number {
    return this.cfg.seqFrames - this.cfg.overlap;
  }

  /** appearance_extractor and motion_extractor on the source image (already sourceSize²). */
  async prepareSource(image: RgbImage): Promise<void> {
    await this.timer.time('ditto.source', async () => {
      const extract = () => extractSourceFeatures(this.sessions, this.cfg, image);
      const f = await (this.o.avatarCache ? this.sessions.memo(image, 'ditto.source', extract) : extract());
      this.source = { ...f, kpRaw: f.kpCanonical };
      // The native backend keeps the avatar's volume and keypoints on the device, on every render plan.
      this.devicePath = DeviceRenderPath.create(this.sessions, this.plan, { feature3d: f.feature3d, kpSource: f.kpSource, numKp: this.cfg.numKp });
    });
    if (this.plan?.graph === 'baked' && this.source) checkBakedSource(this.sessions.files.renderer, this.source.kpSource);
  }

  /** Feeds audio at the input rate; runs whatever HuBERT calls, LMDM windows and frames became possible. */
  async push(chunk: Float32Array): Promise<void> {
    this.renderQueue.throwIfFailed();
    const out = await this.timer.time('ditto.resample', async () => this.resampler.push(chunk));
    this.append(out);
    await this.advance(false);
  }

  async finish(): Promise<DittoSummary> {
    const out = await this.timer.time('ditto.resample', async () => this.resampler.flush());
    this.append(out);
    this.finished = true;
    await this.advance(true);
    await this.renderQueue.drain();
    // The device buffers belong to the sessions (RoleSessions.deviceBuffer), which outlive this stage.
    this.devicePath = undefined;
    this.deviceLmdm = undefined;
    this.deviceHubert = undefined;
    const frames = this.frameCount();
    return {
      frames,
      hubertCalls: this.hubertCalls,
      windows: this.windowsDone,
      audio16kSamples: this.audioLen,
      motion: this.smoothedMotion(0, frames),
      render: { batch: this.plan?.batch ?? 1, graph: this.plan?.graph ?? 'none', calls: this.renderCalls },
      diffusionLoop: this.lmdmLoop,
    };
  }

  private append(x: Float32Array): void {
    if (!x.length) return;
    if (this.audioLen + x.length > this.audio16.length) {
      const g = new Float32Array(Math.max(this.audio16.length * 2, this.audioLen + x.length, 16000));
      g.set(this.audio16.subarray(0, this.audioLen));
      this.audio16 = g;
    }
    this.audio16.set(x, this.audioLen);
    this.audioLen += x.length;
  }

  /** ceil(seconds · fps) (known once the stream has ended). */
  private frameCount(): number {
    return Math.ceil((this.audioLen / this.cfg.audioRate) * this.cfg.fps);
  }

  /** Frames whose index is certainly inside the audio so far. */
  private framesSurelyInside(): number {
    const spf = this.cfg.audioRate / this.cfg.fps;
    return this.finished ? this.frameCount() : Math.max(0, Math.ceil(this.audioLen / spf) - 1);
  }

  private async advance(end: boolean): Promise<void> {
    const cfg = this.cfg;
    const fpc = cfg.framesPerChunk;
    // HuBERT chunks.
    const needChunks = end ? Math.ceil(this.frameCount() / fpc) : Infinity;
    while (this.hubertCalls < needChunks) {
      const k = this.hubertCalls;
      const start = k * cfg.hopSamples - HUBERT_PREPAD; // in raw 16 kHz samples
      if (!end && start + cfg.chunkSamples > this.audioLen) break;
      await this.runHubert(start);
    }
    // LMDM windows.
    const total = end ? this.frameCount() : 0;
    const windows = end ? Math.max(1, Math.ceil(total / this.valid)) : Infinity;
    while (this.windowsDone < windows) {
      const w = this.windowsDone;
      const first = w * this.valid;
      const last = first + cfg.seqFrames; // exclusive
      if (!end && (this.features.length < last || this.framesSurelyInside() < last)) break;
      await this.runWindow(w, end ? total : Infinity);
    }
    // Frames that can no longer change.
    let ready: number;
    if (end) ready = this.frameCount();
    else ready = this.windowsDone === 0 ? 0 : Math.max(0, this.windowsDone * this.valid - 1);
    ready = Math.min(ready, this.seq.length / cfg.motionDim);
    // Batched rendering waits for whole batches until the stream ends.
    const batch = this.plan?.batch ?? 1;
    if (!end && batch > 1) ready = this.scheduled + Math.floor((ready - this.scheduled) / batch) * batch;
    if (ready > this.scheduled) await this.scheduleRender(this.scheduled, ready, end ? this.frameCount() : ready + 1);
  }

  /**
   * Renders frames [from, to): now, or (renderOverlap) queued behind the frames already queued. Their motion is
   * taken now, so a later window's crossfade cannot reach them (it does not anyway: they are final).
   */
  private async scheduleRender(from: number, to: number, frames: number): Promise<void> {
    const motion = this.smoothedMotion(from, to, frames);
    this.scheduled = to;
    if (!this.o.renderOverlap) return this.render(motion, from, to);
    // A background render's error comes back at the next push or at finish.
    this.renderQueue.add(() => this.render(motion, from, to));
  }

  private async runHubert(start: number): Promise<void> {
    const cfg = this.cfg;
    const x = new Float32Array(cfg.chunkSamples);
    for (let i = 0; i < cfg.chunkSamples; i++) {
      const j = start + i;
      if (j >= 0 && j < this.audioLen) x[i] = this.audio16[j] as number;
    }
    const feats = await this.timer.time('ditto.hubert', async () => {
      if (this.deviceHubert === undefined) this.deviceHubert = (await DeviceHubert.create(this.sessions, cfg.chunkSamples)) ?? null;
      const enc = this.deviceHubert
        ? await this.deviceHubert.run(x)
        : (await this.sessions.run('hubert', { input_values: feed.f32([1, cfg.chunkSamples], x) })).encoding_out;
      if (!enc) throw new StageError('ditto.hubert', 'error', 'hubert output encoding_out missing');
      return { data: floatData(enc, 'hubert.encoding_out'), T: enc.dims[0] ?? 0, D: enc.dims[enc.dims.length - 1] ?? 0 };
    });
    const { data, T, D } = feats;
    const lo = T - 14;
    if (lo < 0) throw new StageError('ditto.hubert', 'error', `hubert gave ${T} frames for ${cfg.chunkSamples} samples (need ≥ 14)`);
    for (let f = 0; f < cfg.framesPerChunk; f++) {
      const v = new Float32Array(D);
      for (let d = 0; d < D; d++) v[d] = ((data[(lo + 2 * f) * D + d] as number) + (data[(lo + 2 * f + 1) * D + d] as number)) / 2;
      this.features.push(v);
    }
    this.hubertCalls++;
  }

  /** cond [80, condDim] for a window: features, emotion one-hot, eye open, eye ball (0), source kp. */
  private buildCond(first: number, frameLimit: number): Float32Array {
    const cfg = this.cfg;
    const C = cfg.condDim;
    const cond = new Float32Array(cfg.seqFrames * C);
    const kp = this.source?.kpRaw ?? new Float32Array(63);
    const usable = Math.max(1, Math.min(this.features.length, frameLimit));
    for (let f = 0; f < cfg.seqFrames; f++) {
      const feat = this.features[Math.min(first + f, usable - 1)] ?? new Float32Array(cfg.featureDim);
      const row = new Float32Array(C);
      const fd = Math.min(feat.length, C);
      row.set(feat.subarray(0, fd), 0);
      const extras: number[] = new Array<number>(8).fill(0);
      extras[COND_EMOTION_INDEX] = 1;
      extras.push(...COND_EYE_OPEN, 0, 0, 0, 0, 0, 0, ...Array.from(kp));
      for (let i = 0; i < extras.length && fd + i < C; i++) row[fd + i] = extras[i] as number;
      cond.set(row, f * C);
    }
    return cond;
  }

  /**
   * Window w's noise (the initial x and each step's z): a constant of the seed, the steps, w and the window size,
   * drawn once per loaded sessions as the DDIM schedule is, for the first NOISE_WINDOWS_KEPT windows. Drawing it
   * is ~1M Box–Muller normals in JS (~70 ms at full scale), which otherwise sat on the JS thread right before
   * each window, the first one on the path to the first frame (round 8 timeline). The draws are unchanged.
   */
  private windowNoise(w: number, size: number): Promise<Float32Array[]> {
    const seed = ((this.o.seed * 7919) ^ (w * 104729)) >>> 0;
    const draw = async (): Promise<Float32Array[]> => drawWindowNoise(createRng(seed), this.o.steps, size);
    return w < NOISE_WINDOWS_KEPT ? this.sessions.memo(this.sessions, `lmdm.noise.${seed}.${this.o.steps}.${size}`, draw) : draw();
  }

  private async runWindow(w: number, frameLimit: number): Promise<void> {
    const cfg = this.cfg;
    const src = this.source;
    if (!src) throw new StageError('ditto.lmdm', 'error', 'source image not prepared');
    const first = w * this.valid;
    const dim = cfg.motionDim;
    const size = cfg.seqFrames * dim;
    const cond = this.buildCond(first, frameLimit);
    const condFrame = w === 0 ? src.motion : this.seq.slice((first - 1) * dim, first * dim);
    const noise = await this.windowNoise(w, size);
    const x = Float32Array.from(noise[0] as Float32Array);
    const pairs = ddimTimePairs(this.o.steps);
    if (this.deviceLmdm === undefined)
      this.deviceLmdm = this.lmdmLoop
        ? null
        : ((await DeviceLmdm.create(this.sessions, [1, cfg.seqFrames, dim], [1, cfg.seqFrames, cfg.condDim], [1, dim], pairs.length)) ?? null);
    const onDevice = this.deviceLmdm;
    await this.timer.time('ditto.lmdm', async () => {
      if (this.lmdmLoop) {
        x.set(await runWindowLoop(this.sessions, cfg, noise, condFrame, cond));
        return;
      }
      if (onDevice) {
        x.set((await onDevice.sampleWindow(cond, condFrame, noise, pairs, this.alphas)).subarray(0, size));
        return;
      }
      for (let s = 0; s < pairs.length; s++) {
        const [time, next] = pairs[s] as [number, number];
        const out = await this.sessions.run('lmdm', {
          x: feed.f32([1, cfg.seqFrames, dim], x.slice()),
          cond_frame: feed.f32([1, dim], condFrame),
          cond: feed.f32([1, cfg.seqFrames, cfg.condDim], cond),
          time_cond: feed.i64([1], [time]),
        });
        const x0 = floatData(out.x_start, 'lmdm.x_start');
        if (next < 0) x.set(x0.subarray(0, size));
        else ddimUpdate(x, x0, floatData(out.pred_noise, 'lmdm.pred_noise'), noise[s + 1] as Float32Array, ddimCoefficients(this.alphas, time, next));
      }
    });
    const need = (first + cfg.seqFrames) * dim;
    if (this.seq.length < need) {
      const g = new Float32Array(need);
      g.set(this.seq);
      this.seq = g;
    }
    fuseWindow(this.seq, x, first, dim, cfg.overlap, w === 0);
    this.windowsDone++;
  }

  private smoothedMotion(from: number, to: number, frames = to): Float32Array {
    const avail = Math.min(frames, this.seq.length / this.cfg.motionDim);
    return smoothFrames(this.seq, avail, this.cfg.motionDim, SMOOTH_DIMS, SMOOTH_K, from, Math.min(to, avail));
  }

  /** Frames [from, to) from their smoothed motion (`motion` row 0 = frame `from`). */
  private async render(motion: Float32Array, from: number, to: number): Promise<void> {
    const cfg = this.cfg;
    const src = this.source;
    if (!src) throw new StageError('ditto.render', 'error', 'source image not prepared');
    const K = cfg.numKp;
    if (this.plan) return this.renderPlanned(this.plan, src, motion, from, to);
    for (let f = from; f < to; f++) {
      const m = motion.subarray((f - from) * cfg.motionDim, (f - from + 1) * cfg.motionDim);
      const image = await this.timer.time('ditto.render', async () => {
        const kpD = motionToKeypoints(m, src.kpCanonical, K);
        if (this.devicePath) {
          return batchImages(await this.devicePath.frames(kpD), 1)[0] as RgbImage;
        }
        const st = await this.sessions.run('stitch_network', { kp_source: feed.f32([1, K, 3], src.kpSource), kp_driving: feed.f32([1, K, 3], kpD) });
        const kpStitched = st.out;
        if (!kpStitched) throw new StageError('ditto.render', 'error', 'stitch_network output out missing');
        const wp = await this.sessions.run('warp_network', { feature_3d: src.feature3d, kp_source: feed.f32([1, K, 3], src.kpSource), kp_driving: kpStitched });
        if (!wp.out) throw new StageError('ditto.render', 'error', 'warp_network output out missing');
        const dec = await this.sessions.run('decoder', { feature: wp.out });
        if (!dec.output) throw new StageError('ditto.render', 'error', 'decoder output output missing');
        return batchImages(dec.output, 1)[0] as RgbImage;
      });
      await this.o.onFrame({ index: f, image });
      this.renderCalls++;
    }
  }

  /**
   * Frames [from, to) in batches of the plan's size; each frame is handed out once its batch returned. A batch's
   * frames are handed out (written: ~6 MB at full scale, ~2 ms of the JS thread a batch) while the next batch's
   * call runs, not between the calls, so the renderer does not wait on them. Order and frames are unchanged.
   */
  private async renderPlanned(plan: RenderPlan, src: NonNullable<DittoStream['source']>, motion: Float32Array, from: number, to: number): Promise<void> {
    const cfg = this.cfg;
    const call = (f: number, n: number): Promise<RgbImage[]> =>
      this.timer.time('ditto.render', async () => {
        const kpd = Array.from({ length: n }, (_, i) =>
          motionToKeypoints(motion.subarray((f + i - from) * cfg.motionDim, (f + i - from + 1) * cfg.motionDim), src.kpCanonical, cfg.numKp),
        );
        if (!this.devicePath) return renderBatch(this.sessions, cfg, plan, src, kpd);
        const stacked = new Float32Array(plan.batch * cfg.numKp * 3);
        padDriving(plan, kpd).forEach((k, i) => stacked.set(k, i * k.length));
        return batchImages(await this.devicePath.frames(stacked), n);
      });
    let done: { first: number; images: RgbImage[] } | undefined;
    for (let f = from; f < to; f += plan.batch) {
      const next = call(f, Math.min(plan.batch, to - f));
      // Handled here too: a failing call must not be an unhandled rejection while the previous frames go out.
      next.catch(() => undefined);
      // A hand-out failure waits for the call in flight before it propagates (the sessions outlive no call).
      if (done)
        await this.handOut(done.first, done.images).catch(async (e: unknown) => {
          await next.catch(() => undefined);
          throw e;
        });
      done = { first: f, images: await next };
      this.renderCalls++;
    }
    if (done) await this.handOut(done.first, done.images);
  }

  private async handOut(first: number, images: RgbImage[]): Promise<void> {
    for (let i = 0; i < images.length; i++) await this.o.onFrame({ index: first + i, image: images[i] as RgbImage });
  }
}
