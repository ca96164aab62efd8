/**
 * Running graph-model variants on ONNX Runtime (through `src/runtime/index.ts`) for calibration, mixed
 * precision search and verification: serialise in memory, feed float inputs, read any float output as
 * float32, and expose intermediate values as extra graph outputs.
 */
import { availableParallelism } from 'node:os';
import { RuntimeError } from '../errors.js';
import { DataType, float16ToFloat32, toFloat16Bits } from '../onnx/dtype.js';
import { cloneModel } from '../onnx/graph-utils.js';
import { createRng } from '../onnx/rng.js';
import type { Model, Value } from '../onnx/types.js';
import { serializeModel } from '../onnx/write-model.js';
import { hostTensorToFloat32 } from '../runtime/index.js';
import { createSession, type ExecutionProvider, type HostTensor, type Session } from '../runtime/index.js';
import { propagateElemTypes } from './elem-types.js';

/** One set of model inputs by name. */
export type Feeds = Record<string, HostTensor>;

/**
 * `unfusedMatMulAdd` (CPU only; the mixed-precision search's sessions): leave MatMul + Add unfused. ONNX
 * Runtime 1.29's CPU kernel for a float16 Gemm (what MatMulAddFusion makes of them) ran at ~0.17 GFLOP/s
 * against ~5.5 for the float16 MatMul, and took 96% of each run of the float16 LMDM, which a search runs ~18
 * times. The search's figures move a little: on the tiny LMDM it keeps the same 176 of 998 nodes, and its final
 * rel. L2 reads 8.8e-4, against 2.4e-3 through the fused CPU Gemm (which rounds more).
 */
export async function openSession(model: Model, ep: ExecutionProvider = 'cpu', o: { unfusedMatMulAdd?: boolean } = {}): Promise<Session> {
  const unfused = o.unfusedMatMulAdd && ep === 'cpu' ? { extra: { 'optimization.disable_specified_optimizers': 'MatMulAddFusion' } } : {};
  return createSession(serializeModel(model), { ep, logSeverity: 3, intraOpThreads: evaluationThreads(), ...unfused });
}

/**
 * CPU threads for the evaluation sessions: the cores this process may use. ORT's own default counts the
 * host's cores (a 2-core slot of a 56-core EPYC got a pool of dozens of spinning threads), which made the
 * float16 LMDM run 3× slower (4.3 s vs 1.4 s a run) on the CI machine.
 */
function evaluationThreads(): number {
  return Math.max(1, availableParallelism());
}

/** Any float tensor as float32 values (float16 decoded). */
export const toFloat32 = hostTensorToFloat32;

/** Runs a model once per feed set and returns every output as float32 (outputs by name). */
export async function runModel(model: Model, feeds: Feeds[], ep: ExecutionProvider = 'cpu', fetches?: string[]): Promise<Record<string, Float32Array>[]> {
  const s = await openSession(model, ep);
  try {
    const out: Record<string, Float32Array>[] = [];
    for (const f of feeds) {
      const r = await s.run(adaptFeeds(model, f), fetches);
      const o: Record<string, Float32Array> = {};
      for (const [k, v] of Object.entries(r)) o[k] = toFloat32(v);
      out.push(o);
    }
    return out;
  } finally {
    await s.release();
  }
}

/** Converts float32 feeds to float16 where the model's input is float16 (and back). */
export function adaptFeeds(model: Model, feeds: Feeds): Feeds {
  const out: Feeds = {};
  for (const [k, t] of Object.entries(feeds)) {
    const v = model.graph.inputs.find((x) => x.name === k);
    const et = v?.tensorType?.elemType;
    if (et === DataType.FLOAT16 && t.type === 'float32') {
      const h = new Uint16Array(t.data.length);
      const src = t.data as Float32Array;
      for (let i = 0; i < src.length; i++) h[i] = toFloat16Bits(src[i] ?? 0);
      out[k] = { type: 'float16', dims: t.dims, data: h };
    } else if (et === DataType.FLOAT && t.type === 'float16') out[k] = { type: 'float32', dims: t.dims, data: float16ToFloat32(t.data as Uint16Array) };
    else out[k] = t;
  }
  return out;
}

/**
 * Seeded random feeds from the declared input shapes (symbolic dims take `dims[name]` or 1). Float
 * inputs are N(0, std²)-like uniform values; integer inputs are zeros.
 */
export function randomFeeds(model: Model, count: number, options: { seed?: number; std?: number; dims?: Record<string, number> } = {}): Feeds[] {
  const rng = createRng(options.seed ?? 1);
  const out: Feeds[] = [];
  for (let s = 0; s < count; s++) {
    const f: Feeds = {};
    for (const v of model.graph.inputs) {
      if (v.initializer) continue;
      const tt = v.tensorType;
      if (!tt) throw new RuntimeError('cpu', `input '${v.name}' has no tensor type; give calibration inputs`);
      const dims = (tt.shape ?? []).map((d) => (typeof d === 'number' ? d : typeof d === 'string' ? (options.dims?.[d] ?? 1) : 1));
      const n = dims.reduce((a, b) => a * b, 1);
      switch (tt.elemType) {
        case DataType.FLOAT:
        case DataType.FLOAT16: {
          const a = new Float32Array(n);
          rng.fillUniform(a, options.std ?? 1, 0);
          f[v.name] = { type: 'float32', dims, data: a };
          break;
        }
        case DataType.INT64: {
          // Diffusion timesteps span their range across samples (999 first: where fp16 overflows, the
          // DDIM terms are largest); other integer inputs are zeros.
          const data = new BigInt64Array(n);
          if (/time|step/i.test(v.name)) data.fill(BigInt(count > 1 ? Math.round(999 * (1 - s / (count - 1))) : 999));
          f[v.name] = { type: 'int64', dims, data };
          break;
        }
        case DataType.INT32:
          f[v.name] = { type: 'int32', dims, data: new Int32Array(n) };
          break;
        case DataType.BOOL:
          f[v.name] = { type: 'bool', dims, data: new Uint8Array(n) };
          break;
        default:
          throw new RuntimeError('cpu', `input '${v.name}': cannot make random data of type ${tt.elemType}`);
      }
    }
    out.push(f);
  }
  return out;
}

/**
 * A copy of the model whose graph outputs also include `values` (by name): how intermediate activations
 * are read. Values keep their element type; the copy has no other change.
 */
export function withExtraOutputs(model: Model, names: Iterable<string>): { model: Model; added: string[] } {
  const m = cloneModel(model);
  const wanted = new Set(names);
  const types = propagateElemTypes(m.graph);
  const have = new Set(m.graph.outputs.map((v) => v.name));
  const added: string[] = [];
  const byName = new Map<string, Value>();
  for (const n of m.graph.nodes) for (const o of n.outputs) if (o) byName.set(o.name, o);
  for (const name of wanted) {
    if (have.has(name)) continue;
    const v = byName.get(name);
    if (!v) continue;
    const et = types.get(v);
    if (et === undefined) continue;
    if (!v.type) v.type = { kind: 'tensor', elemType: et };
    m.graph.outputs.push(v);
    added.push(name);
  }
  return { model: m, added };
}
