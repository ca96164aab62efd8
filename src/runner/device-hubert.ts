/**
 * HuBERT's chunks on the native backend: the samples go up into one fixed device buffer and the features come
 * back from one fixed buffer with the run (pinned staging, on the run's thread). The addresses stay the same
 * for every chunk and every run on the sessions (warm-up and timed), so `enable_cuda_graph` on hubert captures
 * the call once and replays it: 21 calls an utterance, each ~1,000 kernels of a small model (round 3 measured
 * 6.8 → 3.4 ms a call with a graph, RESULTS §6). Same features as the host path; the host path where the
 * output's dims can't be inferred.
 */
import { StageError } from '../core/input-error.js';
import { readModel } from '../onnx/read-model.js';
import { getShape, inferShapes } from '../onnx/shape-inference.js';
import type { DeviceTensor, HostTensor } from '../runtime/index.js';
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
    const file = sessions.files.hubert;
    const dims = file ? await sessions.memo(sessions, `hubert.${OUTPUT}.dims.${chunkSamples}`, async () => hubertOutputDims(file, chunkSamples)) : undefined;
    if (!dims) return undefined;
    const input = sessions.deviceBuffer('hubert', INPUT, 'float32', [1, chunkSamples]);
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
 * The output's dims for this chunk length (symbolic in the model, [T, D]), by shape inference on the role's
 * graph with the input pinned to [1, chunkSamples]: no run, so the first run already binds the fixed buffers
 * (with `enable_cuda_graph` every run must) and the role's calls and fingerprint stay the chunks'. The
 * weights are not read (external data stays in its file). Undefined where inference can't give every dim.
 */
export function hubertOutputDims(file: string, chunkSamples: number): number[] | undefined {
  const { model } = readModel(file, { loadExternalData: false, verify: false });
  const input = model.graph.inputs.find((v) => v.name === INPUT);
  const dims: Record<string, number> = {};
  const declared = input ? getShape(input) : undefined;
  [1, chunkSamples].forEach((n, i) => {
    const d = declared?.[i];
    if (typeof d === 'string') dims[d] = n;
  });
  const output = inferShapes(model, { dims }).graph.outputs.find((v) => v.name === OUTPUT);
  const shape = output ? getShape(output) : undefined;
  return shape?.every((d): d is number => typeof d === 'number') ? shape : undefined;
}
