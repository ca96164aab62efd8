/**
 * HuBERT's chunks on the native backend: the samples go up into one fixed device buffer and the features come
 * back from one fixed buffer with the run (pinned staging, on the run's thread). The addresses stay the same
 * for every chunk and every run on the sessions (warm-up and timed), so `enable_cuda_graph` on hubert captures
 * the call once and replays it: 21 calls an utterance, each ~1,000 kernels of a small model (round 3 measured
 * 6.8 → 3.4 ms a call with a graph, RESULTS §6). Same features as the host path.
 */
import { StageError } from '../core/input-error.js';
import { isDeviceTensor, type DeviceTensor, type HostTensor, type Session } from '../runtime/index.js';
import type { RoleSessions } from './role-sessions.js';

const INPUT = 'input_values';
const OUTPUT = 'encoding_out';

export class DeviceHubert {
  private constructor(
    private readonly sessions: RoleSessions,
    private readonly input: DeviceTensor,
    private readonly output: DeviceTensor,
  ) {}

  /** The path for chunks of `chunkSamples`, or undefined where the sessions can't bind hubert on the device. */
  static async create(sessions: RoleSessions, chunkSamples: number): Promise<DeviceHubert | undefined> {
    if (!sessions.canBindOnDevice(['hubert'])) return undefined;
    const input = sessions.deviceBuffer('hubert', INPUT, 'float32', [1, chunkSamples]);
    const dims = await sessions.memo(sessions, `hubert.${OUTPUT}.dims.${chunkSamples}`, () => outputDims(sessions, input, chunkSamples));
    return new DeviceHubert(sessions, input, sessions.deviceBuffer('hubert', OUTPUT, 'float32', dims));
  }

  /** One chunk's features ([T, D] as the model gives them). */
  async run(samples: Float32Array): Promise<HostTensor> {
    this.input.upload(samples);
    const r = await this.sessions.prepareBound('hubert', 'chunk', { [INPUT]: this.input }, { [OUTPUT]: this.output }).run({ download: [OUTPUT] });
    const out = r.downloads?.[OUTPUT];
    if (!out) throw new StageError('ditto.hubert', 'error', `hubert output ${OUTPUT} missing`);
    return out;
  }
}

/**
 * The output's dims for this chunk length (symbolic in the model): one run of silence on the session itself,
 * outside the role's call statistics and fingerprint, with an output ORT allocates. It is the session's first
 * run (ORT captures a CUDA graph on a later one, on the fixed buffers), and is made once per sessions.
 */
async function outputDims(sessions: RoleSessions, input: DeviceTensor, chunkSamples: number): Promise<number[]> {
  input.upload(new Float32Array(chunkSamples));
  const s = sessions.session('hubert') as Session;
  const r = await s.runBound({ [INPUT]: input }, { [OUTPUT]: 'device' });
  const t = r.outputs[OUTPUT];
  if (!t || !isDeviceTensor(t)) throw new StageError('ditto.hubert', 'error', `hubert output ${OUTPUT} missing`);
  const dims = [...t.dims];
  t.release();
  return dims;
}
