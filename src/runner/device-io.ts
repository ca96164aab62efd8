/**
 * Device-resident tensors for the Ditto stage on the native backend (issue 15). What stays on the device:
 * - per avatar: the appearance volume (feature_3d) and the source keypoints, uploaded once;
 * - per call (one frame, or a batch of N on a batched or composed renderer): the driving keypoints go up
 *   (N·63 floats) into one fixed buffer; on the three-role path stitch's output feeds warp and warp's output
 *   (the [N,32,H,W] feature) feeds the decoder on the device, in fixed buffers; a composed renderer gets the
 *   avatar's tensors once (a baked one holds them); only the frames come back, from a fixed buffer;
 * - LMDM: per window cond, cond_frame, the initial x, the noise draws and the DDIM coefficients go up once;
 *   each DDIM step is the LMDM call and the DDIM update graph on the device (x stays there), with only the
 *   step's time and index uploaded; x comes back once per window. The buffers are fixed, so
 *   `enable_cuda_graph` on lmdm captures and replays both.
 * Used only where RoleSessions.canBindOnDevice says so (every role on the native backend, float32 IO, no input
 * recorder); otherwise the stage's host path runs. Every bound buffer comes from RoleSessions.deviceBuffer, so
 * it keeps its address across calls and runs on the same sessions (warm-up and timed), which a CUDA graph
 * (enable_cuda_graph) needs for replay; the sessions own and release them.
 */
import type { Role } from '../models/manifest.js';
import { RENDER_IO } from '../quantize/render-graph.js';
import { serializeModel } from '../onnx/write-model.js';
import { cudaGraphEnabled, isDeviceTensor, toHost, type DeviceTensor, type HostTensor, type Session, type Tensor } from '../runtime/index.js';
import { StageError } from '../core/input-error.js';
import { ddimCoefficients } from './ddim.js';
import { buildDdimUpdateGraph, DDIM_UPDATE_IO } from './ddim-update-graph.js';
import type { RenderPlan } from './render-batched.js';
import type { RoleSessions } from './role-sessions.js';

const RENDER_ROLES: readonly Role[] = ['stitch_network', 'warp_network', 'decoder'];

/** An output's element type as the runner binds it: uint8 frames (frame-u8 pass) or float32. */
function outputType(s: Session, output: string): HostTensor['type'] {
  return s.outputMetadata.find((m) => m.name === output)?.type === 'uint8' ? 'uint8' : 'float32';
}

function staticDims(s: Session, output: string): number[] | undefined {
  const shape = s.outputMetadata.find((m) => m.name === output)?.shape;
  return shape && shape.every((d) => typeof d === 'number') ? (shape as number[]) : undefined;
}

/** `data` repeated `n` times (an avatar's tensor tiled over a batch). */
function tile(data: Float32Array, n: number): Float32Array {
  if (n === 1) return data;
  const out = new Float32Array(data.length * n);
  for (let i = 0; i < n; i++) out.set(data, i * data.length);
  return out;
}

/** The avatar's tensors the device path needs. */
export interface AvatarTensors {
  feature3d: HostTensor;
  kpSource: Float32Array;
  numKp: number;
}

/**
 * Ditto's render with the avatar's tensors and the intermediates on the device, for every render plan:
 * - per frame (no plan) or batched per-role graphs (plan.graph 'none'): stitch → warp → decoder, stitch's
 *   output feeding warp and warp's feeding the decoder on the device;
 * - a composed renderer (plan.graph 'composed': the avatar's tensors are inputs, uploaded once) or a baked
 *   one (only the driving keypoints go in).
 * N frames' driving keypoints go up in one fixed buffer, the frames come back from one fixed buffer.
 */
export class DeviceRenderPath {
  private constructor(
    /** Frames per call. */
    readonly batch: number,
    private readonly call: (kpDriving: DeviceTensor) => Promise<HostTensor>,
    private readonly kpDriving: DeviceTensor,
  ) {}

  /** The path for one avatar, or undefined where the sessions can't bind on the device. */
  static create(sessions: RoleSessions, plan: RenderPlan | undefined, avatar: AvatarTensors): DeviceRenderPath | undefined {
    const graph = plan?.graph ?? 'none';
    if (!sessions.canBindOnDevice(graph === 'none' ? RENDER_ROLES : ['renderer'])) return undefined;
    return graph === 'none' ? DeviceRenderPath.threeRoles(sessions, plan?.batch ?? 1, avatar) : DeviceRenderPath.renderer(sessions, plan as RenderPlan, avatar);
  }

  private static threeRoles(sessions: RoleSessions, batch: number, a: AvatarTensors): DeviceRenderPath {
    const kpDims = [batch, a.numKp, 3];
    const buf = (role: Role, name: string, dims: readonly number[]): DeviceTensor => sessions.deviceBuffer(role, name, 'float32', dims);
    // Each tensor lives on the session that reads it (same device; sessions may differ in allocator).
    const vol = buf('warp_network', 'feature_3d', [batch, ...a.feature3d.dims.slice(1)]);
    vol.upload(tile(a.feature3d.data as Float32Array, batch));
    const kpSrc = tile(a.kpSource, batch);
    const kpS1 = buf('stitch_network', 'kp_source', kpDims);
    const kpS2 = buf('warp_network', 'kp_source', kpDims);
    kpS1.upload(kpSrc);
    kpS2.upload(kpSrc);
    const fixed = (role: Role, output: string): DeviceTensor | undefined => {
      const s = sessions.session(role) as Session;
      const dims = staticDims(s, output);
      return dims ? sessions.deviceBuffer(role, output, outputType(s, output), dims) : undefined;
    };
    const stitched = fixed('stitch_network', 'out');
    const warped = fixed('warp_network', 'out');
    const frames = fixed('decoder', 'output');
    const call = async (kpDriving: DeviceTensor): Promise<HostTensor> => {
      const st = await sessions.runBound('stitch_network', { kp_source: kpS1, kp_driving: kpDriving }, { out: stitched ?? 'device' });
      const kpStitched = deviceOutput(st.out, 'stitch_network', 'out');
      const wp = await sessions.runBound('warp_network', { feature_3d: vol, kp_source: kpS2, kp_driving: kpStitched }, { out: warped ?? 'device' });
      const feature = deviceOutput(wp.out, 'warp_network', 'out');
      try {
        if (!frames) return hostOutput((await sessions.runBound('decoder', { feature }, { output: 'host' })).output, 'decoder');
        const dec = await sessions.prepareBound('decoder', 'frames', { feature }, { output: frames }).run({ download: ['output'] });
        return downloaded(dec.downloads?.output, 'decoder');
      } finally {
        if (!stitched) kpStitched.release();
        if (!warped) feature.release();
      }
    };
    return new DeviceRenderPath(batch, call, buf('stitch_network', 'kp_driving', kpDims));
  }

  private static renderer(sessions: RoleSessions, plan: RenderPlan, a: AvatarTensors): DeviceRenderPath {
    const kpDims = [plan.batch, a.numKp, 3];
    const buf = (name: string, dims: readonly number[]): DeviceTensor => sessions.deviceBuffer('renderer', name, 'float32', dims);
    const feeds: Record<string, DeviceTensor> = {};
    if (plan.graph === 'composed') {
      const kpS = buf(RENDER_IO.kpSource, kpDims);
      kpS.upload(tile(a.kpSource, plan.batch));
      const vol = buf(RENDER_IO.feature, [plan.batch, ...a.feature3d.dims.slice(1)]);
      vol.upload(tile(a.feature3d.data as Float32Array, plan.batch));
      feeds[RENDER_IO.kpSource] = kpS;
      feeds[RENDER_IO.feature] = vol;
    }
    const r = sessions.session('renderer') as Session;
    const dims = staticDims(r, RENDER_IO.output);
    const frames = dims ? sessions.deviceBuffer('renderer', RENDER_IO.output, outputType(r, RENDER_IO.output), dims) : undefined;
    const call = async (kpDriving: DeviceTensor): Promise<HostTensor> => {
      const all = { ...feeds, [RENDER_IO.kpDriving]: kpDriving };
      if (frames) {
        // The frames come back with the run (pinned staging, off the JS thread on the native backend).
        const r = await sessions.prepareBound('renderer', 'frames', all, { [RENDER_IO.output]: frames }).run({ download: [RENDER_IO.output] });
        return downloaded(r.downloads?.[RENDER_IO.output], 'renderer');
      }
      const o = await sessions.runBound('renderer', all, { [RENDER_IO.output]: 'host' });
      return hostOutput(o[RENDER_IO.output], 'renderer');
    };
    return new DeviceRenderPath(plan.batch, call, buf(RENDER_IO.kpDriving, kpDims));
  }

  /** `batch` frames: their driving keypoints stacked ([batch·K·3]) in, the frames tensor (host) out. */
  async frames(kpDriving: Float32Array): Promise<HostTensor> {
    this.kpDriving.upload(kpDriving);
    return this.call(this.kpDriving);
  }
}

function deviceOutput(t: Tensor | undefined, role: Role, name: string): DeviceTensor {
  if (!t || !isDeviceTensor(t)) throw new StageError('ditto.render', 'error', `${role} output ${name} missing`);
  return t;
}

function downloaded(t: HostTensor | undefined, role: Role): HostTensor {
  if (!t) throw new StageError('ditto.render', 'error', `${role} output ${RENDER_IO.output} missing`);
  return t;
}

function hostOutput(t: Tensor | undefined, role: Role): HostTensor {
  if (!t) throw new StageError('ditto.render', 'error', `${role} output ${RENDER_IO.output} missing`);
  return toHost(t);
}

/**
 * LMDM's DDIM sampling with its state on the device: fixed buffers for x, cond, cond_frame, time_cond,
 * x_start and pred_noise (kept as long as the sessions: the same addresses for every window, step and run, as
 * CUDA graph replay needs), plus the window's noise draws and DDIM coefficients as tables uploaded once per
 * window. Each step is two calls on the device — LMDM (x → x_start, pred_noise) and the DDIM update graph
 * (ddim-update-graph.ts: → x, float64 like the host's update) — with only the step's time and index going up;
 * x comes back once per window.
 */
export class DeviceLmdm {
  private constructor(
    private readonly sessions: RoleSessions,
    private readonly update: Session,
    private readonly b: Record<'x' | 'cond' | 'condFrame' | 'time' | 'xStart' | 'predNoise' | 'noise' | 'coefficients' | 'step', DeviceTensor>,
    private readonly steps: number,
    private readonly graphs: boolean,
  ) {}

  static async create(
    sessions: RoleSessions,
    xDims: readonly number[],
    condDims: readonly number[],
    condFrameDims: readonly number[],
    steps: number,
  ): Promise<DeviceLmdm | undefined> {
    if (!sessions.canBindOnDevice(['lmdm'])) return undefined;
    const [, frames = 1, dim = 1] = xDims;
    const update = await sessions.helperSession(`ddim-update-${steps}`, 'lmdm', () => serializeModel(buildDdimUpdateGraph(steps, frames, dim)));
    const f32 = (name: string, dims: readonly number[]): DeviceTensor => sessions.deviceBuffer('lmdm', name, 'float32', dims);
    const buffers = {
      x: f32('x', xDims),
      cond: f32('cond', condDims),
      condFrame: f32('cond_frame', condFrameDims),
      time: sessions.deviceBuffer('lmdm', 'time_cond', 'int64', [1]),
      xStart: f32('x_start', xDims),
      predNoise: f32('pred_noise', xDims),
      noise: f32(`ddim.noise.${steps}`, [steps, ...xDims]),
      coefficients: sessions.deviceBuffer('lmdm', `ddim.coefficients.${steps}`, 'float64', [steps, 3]),
      step: sessions.deviceBuffer('lmdm', 'ddim.step', 'int64', [1]),
    };
    return new DeviceLmdm(sessions, update, buffers, steps, cudaGraphEnabled(update.config));
  }

  /**
   * One window: `noise[0]` is the initial x, `noise[s + 1]` the z of step s; `pairs` the DDIM (time, next)
   * pairs. Returns x after the last step (x0 of the last call).
   */
  async sampleWindow(
    cond: Float32Array,
    condFrame: Float32Array,
    noise: readonly Float32Array[],
    pairs: readonly [number, number][],
    alphas: Float64Array,
  ): Promise<Float32Array> {
    const b = this.b;
    if (pairs.length !== this.steps) throw new StageError('ditto.lmdm', 'error', `device LMDM made for ${this.steps} steps, asked for ${pairs.length}`);
    b.cond.upload(cond);
    b.condFrame.upload(condFrame);
    b.x.upload(noise[0] as Float32Array);
    const size = (noise[0] as Float32Array).length;
    const z = new Float32Array(this.steps * size);
    const k = new Float64Array(this.steps * 3);
    pairs.forEach(([time, next], s) => {
      if (next < 0) {
        k.set([1, 0, 0], s * 3);
        return;
      }
      z.set(noise[s + 1] as Float32Array, s * size);
      const c = ddimCoefficients(alphas, time, next);
      k.set([c.sqrtAlphaNext, c.c, c.sigma], s * 3);
    });
    b.noise.upload(z);
    b.coefficients.upload(k);
    for (let s = 0; s < pairs.length; s++) {
      b.time.upload(BigInt64Array.of(BigInt((pairs[s] as [number, number])[0])));
      b.step.upload(BigInt64Array.of(BigInt(s)));
      await this.sessions.runBound(
        'lmdm',
        { x: b.x, cond_frame: b.condFrame, cond: b.cond, time_cond: b.time },
        { x_start: b.xStart, pred_noise: b.predNoise },
      );
      await this.update.runBound(
        {
          [DDIM_UPDATE_IO.x0]: b.xStart,
          [DDIM_UPDATE_IO.eps]: b.predNoise,
          [DDIM_UPDATE_IO.noise]: b.noise,
          [DDIM_UPDATE_IO.coefficients]: b.coefficients,
          [DDIM_UPDATE_IO.step]: b.step,
        },
        { [DDIM_UPDATE_IO.x]: b.x },
        this.graphs ? { gpuGraphId: 0 } : undefined,
      );
    }
    return b.x.download().data as Float32Array;
  }
}
