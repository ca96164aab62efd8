/**
 * Device-resident tensors for the Ditto stage on the native backend (issue 15). What stays on the device:
 * - per avatar: the appearance volume (feature_3d) and the source keypoints, uploaded once;
 * - per call (one frame, or a batch of N on a batched or composed renderer): the driving keypoints go up
 *   (N·63 floats) into one fixed buffer; on the three-role path stitch's output feeds warp and warp's output
 *   (the [N,32,H,W] feature) feeds the decoder on the device, in fixed buffers; a composed renderer gets the
 *   avatar's tensors once (a baked one holds them); only the frames come back, from a fixed buffer;
 * - LMDM: fixed buffers; per window cond and cond_frame are uploaded once and stay for the window's DDIM
 *   steps. The DDIM update itself is JavaScript (ddimUpdate), so each step still uploads x (and time_cond)
 *   and downloads x_start and pred_noise (3 × 85 KB at full scale): the state does not stay on the device
 *   across steps. The buffers are fixed, so `enable_cuda_graph` on lmdm can capture and replay.
 * Used only where RoleSessions.canBindOnDevice says so (every role on the native backend, float32 IO, no input
 * recorder); otherwise the stage's host path runs. Every bound buffer comes from RoleSessions.deviceBuffer, so
 * it keeps its address across calls and runs on the same sessions (warm-up and timed), which a CUDA graph
 * (enable_cuda_graph) needs for replay; the sessions own and release them.
 */
import type { Role } from '../models/manifest.js';
import { RENDER_IO } from '../quantize/render-graph.js';
import { isDeviceTensor, type DeviceTensor, type HostTensor, type Session, type Tensor } from '../runtime/index.js';
import { StageError } from './input-error.js';
import type { RenderPlan } from './render-batched.js';
import type { RoleSessions } from './role-sessions.js';

const RENDER_ROLES: readonly Role[] = ['stitch_network', 'warp_network', 'decoder'];

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
      const dims = staticDims(sessions.session(role) as Session, output);
      return dims ? buf(role, output, dims) : undefined;
    };
    const stitched = fixed('stitch_network', 'out');
    const warped = fixed('warp_network', 'out');
    const frames = fixed('decoder', 'output');
    const call = async (kpDriving: DeviceTensor): Promise<HostTensor> => {
      const st = await sessions.runBound('stitch_network', { kp_source: kpS1, kp_driving: kpDriving }, { out: stitched ?? 'device' });
      const kpStitched = deviceOutput(st.out, 'stitch_network', 'out');
      const wp = await sessions.runBound('warp_network', { feature_3d: vol, kp_source: kpS2, kp_driving: kpStitched }, { out: warped ?? 'device' });
      const feature = deviceOutput(wp.out, 'warp_network', 'out');
      const dec = await sessions.runBound('decoder', { feature }, { output: frames ?? 'host' });
      if (!stitched) kpStitched.release();
      if (!warped) feature.release();
      return hostOutput(dec.output, 'decoder');
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
    const dims = staticDims(sessions.session('renderer') as Session, RENDER_IO.output);
    const frames = dims ? buf(RENDER_IO.output, dims) : undefined;
    const call = async (kpDriving: DeviceTensor): Promise<HostTensor> => {
      const o = await sessions.runBound('renderer', { ...feeds, [RENDER_IO.kpDriving]: kpDriving }, { [RENDER_IO.output]: frames ?? 'host' });
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

function hostOutput(t: Tensor | undefined, role: Role): HostTensor {
  if (!t) throw new StageError('ditto.render', 'error', `${role} output ${RENDER_IO.output} missing`);
  return isDeviceTensor(t) ? t.download() : t;
}

/**
 * LMDM's inputs and outputs in fixed device tensors, kept as long as the sessions (same addresses for every
 * window, step and run, as CUDA graph replay needs): cond and cond_frame are uploaded once per window; each DDIM step
 * uploads x and time_cond and downloads x_start and pred_noise (the DDIM update is JavaScript).
 */
export class DeviceLmdm {
  private constructor(
    private readonly sessions: RoleSessions,
    private readonly x: DeviceTensor,
    private readonly cond: DeviceTensor,
    private readonly condFrame: DeviceTensor,
    private readonly time: DeviceTensor,
    private readonly xStart: DeviceTensor,
    private readonly predNoise: DeviceTensor,
  ) {}

  static create(sessions: RoleSessions, xDims: readonly number[], condDims: readonly number[], condFrameDims: readonly number[]): DeviceLmdm | undefined {
    if (!sessions.canBindOnDevice(['lmdm'])) return undefined;
    const f32 = (name: string, dims: readonly number[]): DeviceTensor => sessions.deviceBuffer('lmdm', name, 'float32', dims);
    return new DeviceLmdm(sessions, f32('x', xDims), f32('cond', condDims), f32('cond_frame', condFrameDims), sessions.deviceBuffer('lmdm', 'time_cond', 'int64', [1]), f32('x_start', xDims), f32('pred_noise', xDims));
  }

  /** A new window's constants. */
  window(cond: Float32Array, condFrame: Float32Array): void {
    this.cond.upload(cond);
    this.condFrame.upload(condFrame);
  }

  /** One DDIM step's model call. */
  async step(x: Float32Array, time: number): Promise<{ x_start: HostTensor; pred_noise: HostTensor }> {
    this.x.upload(x);
    this.time.upload(BigInt64Array.from([BigInt(time)]));
    await this.sessions.runBound('lmdm', { x: this.x, cond_frame: this.condFrame, cond: this.cond, time_cond: this.time }, { x_start: this.xStart, pred_noise: this.predNoise });
    return { x_start: this.xStart.download(), pred_noise: this.predNoise.download() };
  }
}
