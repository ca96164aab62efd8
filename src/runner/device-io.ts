/**
 * Device-resident tensors for the Ditto stage on the native backend (issue 15). What stays on the device:
 * - per avatar: the appearance volume (feature_3d) and the source keypoints, uploaded once;
 * - per frame: the driving keypoints go up (63 floats), stitch's output feeds warp and warp's output (the
 *   [1,32,H,W] feature) feeds the decoder on the device, in fixed buffers; only the frame comes back;
 * - per LMDM window: cond and cond_frame are uploaded once and stay for the window's DDIM steps. The DDIM
 *   update itself is JavaScript (ddimUpdate), so each step still uploads x (and time_cond) and downloads
 *   x_start and pred_noise: the state does not stay on the device across steps.
 * Used only where RoleSessions.canBindOnDevice says so (every role on the native backend, float32 IO, no input
 * recorder); otherwise the stage's host path runs. Fixed buffers keep their addresses across calls, which a
 * CUDA graph (enable_cuda_graph) needs for replay.
 */
import type { Role } from '../models/manifest.js';
import type { DeviceTensor, HostTensor, Session } from '../runtime/index.js';
import { StageError } from './input-error.js';
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
  ) {
    for (const t of [feature3d, kpSourceStitch, kpSourceWarp, kpDriving, stitched, warped]) if (t) this.tensors.push(t);
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
    return new DeviceRenderPath(sessions, vol, kpS1, kpS2, kpD, stDims ? stitch.allocate('float32', stDims) : undefined, wpDims ? warp.allocate('float32', wpDims) : undefined);
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
    const dec = await this.sessions.runBound('decoder', { feature }, { output: 'host' });
    if (!this.stitched) kpStitched.release();
    if (!this.warped) feature.release();
    const o = dec.output;
    if (!o || !('data' in o)) throw new StageError('ditto.render', 'error', 'decoder output output missing');
    return o;
  }

  release(): void {
    for (const t of this.tensors) t.release();
    this.tensors.length = 0;
  }
}

/** One LMDM window's constant inputs (cond, cond_frame) on the device for all its DDIM steps. */
export class DeviceLmdmWindow {
  private constructor(
    private readonly sessions: RoleSessions,
    private readonly cond: DeviceTensor,
    private readonly condFrame: DeviceTensor,
  ) {}

  static create(sessions: RoleSessions, cond: HostTensor, condFrame: HostTensor): DeviceLmdmWindow | undefined {
    if (!sessions.canBindOnDevice(['lmdm'])) return undefined;
    const s = sessions.session('lmdm') as Session;
    const c = s.allocate(cond.type, cond.dims);
    c.upload(cond.data);
    const f = s.allocate(condFrame.type, condFrame.dims);
    f.upload(condFrame.data);
    return new DeviceLmdmWindow(sessions, c, f);
  }

  /** One DDIM step's model call: x and time_cond go up, x_start and pred_noise come back (the DDIM math is JS). */
  async step(x: HostTensor, timeCond: HostTensor): Promise<{ x_start: HostTensor; pred_noise: HostTensor }> {
    const r = await this.sessions.runBound('lmdm', { x, cond_frame: this.condFrame, cond: this.cond, time_cond: timeCond }, { x_start: 'host', pred_noise: 'host' });
    const x0 = r.x_start;
    const pn = r.pred_noise;
    if (!x0 || !pn || !('data' in x0) || !('data' in pn)) throw new StageError('ditto.lmdm', 'error', 'lmdm outputs missing');
    return { x_start: x0, pred_noise: pn };
  }

  release(): void {
    this.cond.release();
    this.condFrame.release();
  }
}
