/**
 * An LMDM window as one call: the `lmdm` role rewritten by the diffusion-loop pass (input `noise`) runs the
 * whole DDIM sampling inside the graph. The noise is the host loop's (drawWindowNoise, same seed), so the
 * motion is the host loop's; the loop's recorded schedule and guidance must be the runner's settings.
 */
import type { PipelineConfig } from '../models/manifest.js';
import { readModelMetadata } from '../onnx/read-model.js';
import { DIFFUSION_LOOP_IO, readDiffusionLoopRecord } from '../quantize/diffusion-loop.js';
import { DIFFUSION_TIMESTEPS } from './ddim.js';
import { StageError } from '../core/input-error.js';
import { cudaGraphEnabled, type DeviceTensor, type Session } from '../runtime/index.js';
import { feed, floatData, type RoleSessions } from './role-sessions.js';

/** Whether the loaded lmdm is a diffusion loop. */
export function isDiffusionLoop(sessions: RoleSessions): boolean {
  return sessions.inputNames('lmdm').includes(DIFFUSION_LOOP_IO.noise);
}

/** The loop's record must match the runner's steps, eta 1, the 1000-step cosine schedule and the config's guidance. */
export function checkDiffusionLoop(file: string | undefined, steps: number, cfg: PipelineConfig): void {
  if (!file) return;
  const metadataProps = Object.entries(readModelMetadata(file)).map(([key, value]) => ({ key, value }));
  const rec = readDiffusionLoopRecord({ metadataProps });
  if (!rec) throw new StageError('ditto.lmdm', 'error', `${file}: has input '${DIFFUSION_LOOP_IO.noise}' but no diffusion-loop pass record (workbench.passes)`);
  const want = { steps, eta: 1, timesteps: DIFFUSION_TIMESTEPS, schedule: 'cosine', guidanceScale: cfg.guidanceScale };
  const got = { steps: rec.steps, eta: rec.eta, timesteps: rec.timesteps, schedule: rec.schedule, guidanceScale: rec.guidanceScale ?? cfg.guidanceScale };
  const same = (Object.keys(want) as (keyof typeof want)[]).every((k) => want[k] === got[k]);
  if (!same)
    throw new StageError(
      'ditto.lmdm',
      'error',
      `${file}: diffusion loop samples with ${JSON.stringify(got)}, the runner with ${JSON.stringify(want)}; rebuild it with the runner's settings (--steps)`,
    );
}

/**
 * One window in one call; returns x [F·D]. Where the sessions bind on the device (native backend), the noise,
 * cond and cond_frame go into fixed device buffers and the motion comes back with the run (one binding, kept
 * with the sessions): an unrolled loop with `enable_cuda_graph` on lmdm is then one capture, one replay per window.
 */
export async function runWindowLoop(
  sessions: RoleSessions,
  cfg: PipelineConfig,
  noise: Float32Array[],
  condFrame: Float32Array,
  cond: Float32Array,
): Promise<Float32Array> {
  const size = cfg.seqFrames * cfg.motionDim;
  const all = new Float32Array(noise.length * size);
  noise.forEach((z, k) => all.set(z, k * size));
  const dims = {
    noise: [noise.length, 1, cfg.seqFrames, cfg.motionDim],
    condFrame: [1, cfg.motionDim],
    cond: [1, cfg.seqFrames, cfg.condDim],
  };
  let motion: Float32Array;
  if (sessions.canBindOnDevice(['lmdm'])) {
    const buf = (name: string, d: readonly number[], data: Float32Array): DeviceTensor => {
      const t = sessions.deviceBuffer('lmdm', `loop.${name}`, 'float32', d);
      t.upload(data);
      return t;
    };
    const feeds: Record<string, DeviceTensor> = {
      [DIFFUSION_LOOP_IO.noise]: buf('noise', dims.noise, all),
      cond_frame: buf('cond_frame', dims.condFrame, condFrame),
      cond: buf('cond', dims.cond, cond),
    };
    const out = sessions.deviceBuffer('lmdm', 'loop.motion', 'float32', [1, cfg.seqFrames, cfg.motionDim]);
    const graphs = cudaGraphEnabled((sessions.session('lmdm') as Session).config);
    const r = await sessions
      .prepareBound('lmdm', 'loop', feeds, { [DIFFUSION_LOOP_IO.output]: out })
      .run({ download: [DIFFUSION_LOOP_IO.output], ...(graphs ? { gpuGraphId: 0 } : {}) });
    motion = floatData(r.downloads?.[DIFFUSION_LOOP_IO.output], 'lmdm.motion');
  } else {
    const out = await sessions.run('lmdm', {
      [DIFFUSION_LOOP_IO.noise]: feed.f32(dims.noise, all),
      cond_frame: feed.f32(dims.condFrame, condFrame),
      cond: feed.f32(dims.cond, cond),
    });
    motion = floatData(out[DIFFUSION_LOOP_IO.output], 'lmdm.motion');
  }
  sessions.countSteps('lmdm', noise.length);
  return motion.slice(0, size);
}
