/**
 * Running a real model the way its npm package does, over a whole workload, with every output
 * concatenated over the workload (by output name). One probability per call is a single number, whose
 * cosine similarity against another positive number is always 1; a VAD's probability track over an
 * utterance, or a classifier's scores over several images, is what an error metric can judge.
 */
import type { Model } from '../../src/onnx/types.js';
import { openSession, toFloat32, type Feeds } from '../../src/quantize/execute.js';
import type { HostTensor } from '../../src/runtime/index.js';

export type Outputs = Record<string, Float32Array>;

function concat(parts: Record<string, number[]>): Outputs {
  const out: Outputs = {};
  for (const [k, v] of Object.entries(parts)) out[k] = Float32Array.from(v);
  return out;
}

function collect(parts: Record<string, number[]>, r: Record<string, HostTensor>): void {
  for (const [k, t] of Object.entries(r)) {
    const dst = (parts[k] ??= []);
    for (const v of toFloat32(t)) dst.push(v);
  }
}

const f32 = (dims: number[], data: Float32Array): HostTensor => ({ type: 'float32', dims, data });
const SR: HostTensor = { type: 'int64', dims: [], data: BigInt64Array.from([16000n]) };

/**
 * Streams 16 kHz audio through a silero VAD as @ricky0123/vad-web does: v5/v6 take 512-sample frames
 * behind the last 64 samples of the previous frame and carry `state`; the legacy (v4) model takes
 * 1536-sample frames and carries `h` / `c`. Each model carries its own state, as in deployment.
 */
export async function streamVad(model: Model, audio: Float32Array, kind: 'v5' | 'legacy'): Promise<Outputs> {
  const s = await openSession(model);
  const parts: Record<string, number[]> = {};
  try {
    if (kind === 'legacy') {
      let h = f32([2, 1, 64], new Float32Array(128));
      let c = f32([2, 1, 64], new Float32Array(128));
      for (let i = 0; (i + 1) * 1536 <= audio.length; i++) {
        const r = await s.run({ input: f32([1, 1536], audio.slice(i * 1536, (i + 1) * 1536)), sr: SR, h, c });
        collect(parts, r);
        h = r.hn as HostTensor;
        c = r.cn as HostTensor;
      }
    } else {
      let state = f32([2, 1, 128], new Float32Array(256));
      let context = new Float32Array(64);
      for (let i = 0; (i + 1) * 512 <= audio.length; i++) {
        const frame = new Float32Array(576);
        frame.set(context);
        frame.set(audio.subarray(i * 512, (i + 1) * 512), 64);
        context = frame.slice(512);
        const r = await s.run({ input: f32([1, 576], frame), state, sr: SR });
        collect(parts, r);
        state = r.stateN as HostTensor;
      }
    }
  } finally {
    await s.release();
  }
  return concat(parts);
}

/** Runs one feed set after another (a batch of images) and concatenates each output. */
export async function runEach(model: Model, feeds: Feeds[]): Promise<Outputs> {
  const s = await openSession(model);
  const parts: Record<string, number[]> = {};
  try {
    for (const f of feeds) collect(parts, await s.run(f));
  } finally {
    await s.release();
  }
  return concat(parts);
}
