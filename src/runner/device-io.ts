/**
 * Device-resident tensors for the Ditto stage on the native backend (issue 15). What stays on the device:
 * - per avatar: the appearance volume (feature_3d) and the source keypoints, uploaded once;
 * - per frame: the driving keypoints go up (63 floats), stitch's output feeds warp and warp's output (the
 *   [1,32,H,W] feature) feeds the decoder on the device, in fixed buffers; only the frame comes back;
 * - LMDM: fixed buffers for the whole stage; per window cond and cond_frame are uploaded once and stay for the window's DDIM steps. The DDIM
 *   update itself is JavaScript (ddimUpdate), so each step still uploads x (and time_cond) and downloads
 *   x_start and pred_noise: the state does not stay on the device across steps. LMDM's buffers are fixed for
 *   the whole stage, so `enable_cuda_graph` on lmdm can capture and replay.
 * Used only where RoleSessions.canBindOnDevice says so (every role on the native backend, float32 IO, no input
 * recorder); otherwise the stage's host path runs. Fixed buffers keep their addresses across calls, which a
 * CUDA graph (enable_cuda_graph) needs for replay.
 */
import type { Role } from '../models/manifest.js';
import type { DeviceTensor, HostTensor, Session } from '../runtime/index.js';
import { StageError } from '../core/input-error.js';
import type { RoleSessions } from './role-sessions.js';

const RENDER_ROLES: readonly Role[] = ['stitch_network', 'warp_network', 'decoder'];

function staticDims(s: Session, output: string): number[] | undefined {
  const shape = s.outputMetadata.find((m) => m.name === output)?.shape;
  return shape && shape.every((d) => typeof d === 'number') ? (shape as number[]) : undefined;
}

/** stitch → warp → decoder with the avatar's tensors and the intermediates on the device. */
export class DeviceRenderPath {
  private readonly tensors: DeviceTensor[] = [];
  private constructor(
    private readonly sessions: RoleSessions,
    private readonly feature3d: DeviceTensor,
    private readonly kpSourceStitch: DeviceTensor,
    private readonly kpSourceWarp: DeviceTensor,
    private readonly kpDriving: DeviceTensor,
    private readonly stitched: DeviceTensor | undefined,
    private readonly warped: DeviceTensor | undefined,
    private readonly frameBuf: DeviceTensor | undefined,
  ) {
    for (const t of [feature3d, kpSourceStitch, kpSourceWarp, kpDriving, stitched, warped, frameBuf]) if (t) this.tensors.push(t);
  }

  /** The path for one avatar, or undefined where the sessions can't bind on the device. */
  static create(sessions: RoleSessions, feature3d: HostTensor, kpSource: Float32Array, numKp: number): DeviceRenderPath | undefined {
    if (!sessions.canBindOnDevice(RENDER_ROLES)) return undefined;
    const stitch = sessions.session('stitch_network') as Session;
    const warp = sessions.session('warp_network') as Session;
    const up = (s: Session, t: HostTensor): DeviceTensor => {
      const d = s.allocate(t.type, t.dims);
      d.upload(t.data);
      return d;
    };
    const kp: HostTensor = { type: 'float32', dims: [1, numKp, 3], data: kpSource };
    // Each tensor lives on the session that reads it (same device; sessions may differ in allocator).
    const vol = up(warp, feature3d);
    const kpS1 = up(stitch, kp);
    const kpS2 = up(warp, kp);
    const kpD = stitch.allocate('float32', [1, numKp, 3]);
    const stDims = staticDims(stitch, 'out');
    const wpDims = staticDims(warp, 'out');
    const decoder = sessions.session('decoder') as Session;
    const frDims = staticDims(decoder, 'output');
    return new DeviceRenderPath(sessions, vol, kpS1, kpS2, kpD, stDims ? stitch.allocate('float32', stDims) : undefined, wpDims ? warp.allocate('float32', wpDims) : undefined, frDims ? decoder.allocate('float32', frDims) : undefined);
  }

  /** One frame: driving keypoints in, the decoder's output tensor (host) out. */
  async frame(kpDriving: Float32Array): Promise<HostTensor> {
    this.kpDriving.upload(kpDriving);
    const st = await this.sessions.runBound('stitch_network', { kp_source: this.kpSourceStitch, kp_driving: this.kpDriving }, { out: this.stitched ?? 'device' });
    const kpStitched = st.out;
    if (!kpStitched || 'data' in kpStitched) throw new StageError('ditto.render', 'error', 'stitch_network output out missing');
    const wp = await this.sessions.runBound('warp_network', { feature_3d: this.feature3d, kp_source: this.kpSourceWarp, kp_driving: kpStitched }, { out: this.warped ?? 'device' });
    const feature = wp.out;
    if (!feature || 'data' in feature) throw new StageError('ditto.render', 'error', 'warp_network output out missing');
    const dec = await this.sessions.runBound('decoder', { feature }, { output: this.frameBuf ?? 'host' });
    if (!this.stitched) kpStitched.release();
    if (!this.warped) feature.release();
    const o = dec.output;
    if (!o) throw new StageError('ditto.render', 'error', 'decoder output output missing');
    return 'data' in o ? o : o.download();
  }

  release(): void {
    for (const t of this.tensors) t.release();
    this.tensors.length = 0;
  }
}

/**
 * LMDM's inputs and outputs in fixed device tensors, kept for the whole stage (same addresses for every window
 * and step, as CUDA graph replay needs): cond and cond_frame are uploaded once per window; each DDIM step
 * uploads x and time_cond and downloads x_start and pred_noise (the DDIM update is JavaScript).
 */
export class DeviceLmdm {
  private readonly all: DeviceTensor[];
  private constructor(
    private readonly sessions: RoleSessions,
    private readonly x: DeviceTensor,
    private readonly cond: DeviceTensor,
    private readonly condFrame: DeviceTensor,
    private readonly time: DeviceTensor,
    private readonly xStart: DeviceTensor,
    private readonly predNoise: DeviceTensor,
  ) {
    this.all = [x, cond, condFrame, time, xStart, predNoise];
  }

  static create(sessions: RoleSessions, xDims: readonly number[], condDims: readonly number[], condFrameDims: readonly number[]): DeviceLmdm | undefined {
    if (!sessions.canBindOnDevice(['lmdm'])) return undefined;
    const s = sessions.session('lmdm') as Session;
    return new DeviceLmdm(sessions, s.allocate('float32', xDims), s.allocate('float32', condDims), s.allocate('float32', condFrameDims), s.allocate('int64', [1]), s.allocate('float32', xDims), s.allocate('float32', xDims));
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

  release(): void {
    for (const t of this.all) t.release();
  }
}
