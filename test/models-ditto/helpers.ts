/** Shared helpers of the Ditto reference-graph tests: deterministic feeds and running a model on the CPU EP. */
import { createRng } from '../../src/onnx/rng.js';
import type { Model } from '../../src/onnx/types.js';
import { serializeModel } from '../../src/onnx/write-model.js';
import type { TensorSpec } from '../../src/models/manifest.js';
import { createSession, type HostTensor } from '../../src/runtime/index.js';

/** Feeds for a contract: images in [0,1], keypoints ~ N(0, 0.3), other floats ~ N(0,1), time_cond = 500. */
export function feedsFor(inputs: Record<string, TensorSpec>, dims: Record<string, number> = {}, seed = 7): Record<string, HostTensor> {
  const rng = createRng(seed);
  const out: Record<string, HostTensor> = {};
  for (const [name, spec] of Object.entries(inputs)) {
    const shape = spec.shape.map((d) => (typeof d === 'number' ? d : (dims[d] ?? 1)));
    const n = shape.reduce((a, b) => a * b, 1);
    if (spec.type === 'int64') {
      out[name] = { type: 'int64', dims: shape, data: BigInt64Array.from({ length: n }, () => 500n) };
      continue;
    }
    const data = new Float32Array(n);
    if (name === 'image') for (let i = 0; i < n; i++) data[i] = rng.next();
    else if (name.startsWith('kp')) rng.fillNormal(data, 0.3);
    else if (name === 'input_values') rng.fillNormal(data, 0.1);
    else rng.fillNormal(data, 1);
    out[name] = { type: 'float32', dims: shape, data };
  }
  return out;
}

/** Runs each feed set once (after a warm-up run of the first) and times the last run. */
export async function runOnCpu(
  model: Model,
  ...feedSets: Record<string, HostTensor>[]
): Promise<{ results: Record<string, HostTensor>[]; outputNames: readonly string[]; ms: number }> {
  const session = await createSession(serializeModel(model), { ep: 'cpu', intraOpThreads: 1 });
  try {
    const first = feedSets[0];
    if (first) await session.run(first); // warm-up
    const results: Record<string, HostTensor>[] = [];
    let ms = 0;
    for (const feeds of feedSets) {
      const t0 = performance.now();
      results.push(await session.run(feeds));
      ms = performance.now() - t0;
    }
    return { results, outputNames: session.outputNames, ms };
  } finally {
    await session.release();
  }
}

export function stats(data: ArrayLike<number>): { mean: number; std: number; maxAbs: number; finite: boolean } {
  let s = 0;
  let s2 = 0;
  let maxAbs = 0;
  let finite = true;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] ?? 0;
    if (!Number.isFinite(v)) finite = false;
    s += v;
    s2 += v * v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = s / data.length;
  return { mean, std: Math.sqrt(Math.max(0, s2 / data.length - mean * mean)), maxAbs, finite };
}
