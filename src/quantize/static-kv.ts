/**
 * The `static-kv` pass: XTTS's one-token `gpt_decode` step with its KV cache in fixed-capacity tensors, so
 * that every input and output has a static shape and can live in one preallocated device buffer for the
 * whole utterance — which is what CUDA graph capture and replay need (a growing cache makes every call's
 * shapes, and so its buffers, new).
 *
 * Each layer's `Concat(past, new, axis 2)` becomes `Where(slot, new, past)`: this step's key/value is written
 * at row `cache_position` of a [1, H, C, D] cache (C = capacity), every other row is passed through. The
 * attention mask is computed in the graph from `cache_position` (rows 0 … cache_position attend, the rest get
 * the model's own additive mask bias through its unchanged mask path), so the host no longer sends one.
 * Masked rows hold whatever the buffer holds (zeros after the runner's upload); their softmax weight is
 * exp(bias) = 0 in float32, so the step computes what the growing-cache step computes, up to the order of a
 * longer reduction.
 *
 * Contract of the rewritten graph:
 * - inputs `input_ids` [1, 1], `mel_position` [1, 1], `cache_position` int64 [1] (how many rows are cached:
 *   the prefill's length plus the steps so far), `past_key_{i}` / `past_value_{i}` [1, H, C, D];
 * - outputs `logits`, `latent` as before, `present_key_{i}` / `present_value_{i}` [1, H, C, D] (the past
 *   with this step's row written). The runner binds present of one call as past of the next (two buffer
 *   sets, alternating; one CUDA graph per set).
 * Run precision passes (fp16) before this one; it refuses a decode loop (run it instead of decode-loop).
 */
import { PassError } from '../errors.js';
import { DataType } from '../onnx/dtype.js';
import { cloneModel, createNamer, listConsumers } from '../onnx/graph-utils.js';
import { int64Tensor } from '../onnx/tensor.js';
import { Node, Value, type Attribute, type Model } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import { addInitializer, bump, intAttr, newReport, readPassRecords, recordPass, type PassResult } from './common.js';
import { DECODE_LOOP_INPUTS } from './decode-loop.js';

export const STATIC_KV_NAME = 'static-kv';

/** The input the rewritten graph adds; the runner recognises a static-KV step by it. */
export const STATIC_KV_INPUTS = { position: 'cache_position' } as const;

export interface StaticKvOptions {
  /** Rows of the fixed cache: the prefill's length plus every generated token must fit (default 1024). */
  capacity?: number;
}

/**
 * 1024 rows: XTTS-v2's 32 conditioning latents, a few hundred text tokens and its maximum of 605 audio tokens
 * come close; an utterance that needs more is refused by the runner with the count. Each row costs every
 * step one read and one write of 30 × 2 × [16, 64] floats (245 KB at full scale).
 */
export const STATIC_KV_DEFAULTS: Required<StaticKvOptions> = { capacity: 1024 };

/** The counters of the pass's report. */
export type StaticKvStat = 'nodesAdded' | 'caches' | 'capacity';

/** What the pass records in the model (`workbench.passes`). */
export interface StaticKvRecord {
  capacity: number;
}

function fail(node: string | undefined, detail: string): never {
  throw new PassError(STATIC_KV_NAME, node, detail);
}

const int = (n: number): Attribute => ({ type: 'int', value: BigInt(n) });

/** The pass's record in a model, or undefined. */
export function readStaticKvRecord(model: Pick<Model, 'metadataProps'>): StaticKvRecord | undefined {
  const r = readPassRecords(model).find((p) => p.pass === STATIC_KV_NAME);
  return r ? (r.options as unknown as StaticKvRecord) : undefined;
}

/** Runs the pass; `model` is not modified. */
export function staticKvWithReport(model: Model, options: StaticKvOptions = {}): PassResult<StaticKvStat> {
  const capacity = options.capacity ?? STATIC_KV_DEFAULTS.capacity;
  if (!Number.isInteger(capacity) || capacity < 2) fail(undefined, `capacity must be an integer ≥ 2, got ${capacity}`);
  const report = newReport<StaticKvStat>(STATIC_KV_NAME, { capacity });
  const m = cloneModel(model);
  const g = m.graph;
  const has = (name: string): boolean => g.inputs.some((v) => v.name === name);
  if (has(DECODE_LOOP_INPUTS.uniforms))
    fail(undefined, `the graph is a decode loop (input '${DECODE_LOOP_INPUTS.uniforms}'); run static-kv on the one-step gpt_decode instead of decode-loop`);
  if (has(STATIC_KV_INPUTS.position)) fail(undefined, `the graph already has '${STATIC_KV_INPUTS.position}': its KV cache is static already`);
  const mask = g.inputs.find((v) => v.name === 'attention_mask');
  if (!mask) fail(undefined, "graph input 'attention_mask' missing: expected XTTS's gpt_decode contract");
  const pasts = g.inputs.filter((v) => /^past_(key|value)_\d+$/.test(v.name));
  if (pasts.length === 0) fail(undefined, "no 'past_key_{i}' inputs: not a decode step over a KV cache");
  const name = createNamer(g);
  const consumers = listConsumers(g);

  // Shared pieces: the cache position, the slot it selects, and the mask computed from it.
  const position = new Value(STATIC_KV_INPUTS.position, { kind: 'tensor', elemType: DataType.INT64, shape: [1] });
  // New nodes read only graph inputs and initializers: they go first, in creation order.
  const added: Node[] = [];
  const add = (op: string, inputs: Value[], elemType: number, attrs: Record<string, Attribute> = {}): Value => {
    const out = new Value(name(`static_kv/${op}_out`), { kind: 'tensor', elemType });
    const n = new Node(op, name(`static_kv/${op}`), inputs, [out]);
    n.attributes = Object.entries(attrs).map(([k, attr]) => ({ name: k, attr }));
    out.producer = n;
    added.push(n);
    bump(report, 'nodesAdded');
    return out;
  };
  // The row indices 0 … C − 1, once: as [1, C] for the mask, reshaped to [1, 1, C, 1] for the cache rows.
  const rows = addInitializer(
    g,
    int64Tensor(
      name('static_kv/rows'),
      [1, capacity],
      Array.from({ length: capacity }, (_, i) => i),
    ),
  );
  const rowShape = addInitializer(g, int64Tensor(name('static_kv/row_shape'), [4], [1, 1, capacity, 1]));
  // [1,1,C,1] bool: the row this step writes.
  const slot = add('Equal', [add('Reshape', [rows, rowShape], DataType.INT64), position], DataType.BOOL);
  // The mask the host used to send: 1 for rows 0 … position, as [1, C] in the input's type.
  const attend = add('LessOrEqual', [rows, position], DataType.BOOL);
  const maskType = mask.tensorType?.elemType ?? DataType.INT64;
  const computedMask = add('Cast', [attend], maskType, { to: int(maskType) });

  // Each past: its Concat becomes a Where writing this step's row.
  for (const past of pasts) {
    const users = consumers.get(past) ?? [];
    const concat = users[0];
    if (
      users.length !== 1 ||
      concat?.opType !== 'Concat' ||
      concat.inputs[0] !== past ||
      concat.inputs.length !== 2 ||
      ![2, -2].includes(intAttr(concat, 'axis', NaN))
    )
      fail(concat?.name, `input '${past.name}' must feed exactly one Concat(past, new, axis=2) (the decode step's cache append)`);
    const fresh = concat.inputs[1] as Value;
    concat.opType = 'Where';
    concat.inputs = [slot, fresh, past];
    concat.attributes = [];
    const shape = past.tensorType?.shape;
    const fixed = shape ? shape.map((d, i) => (i === 2 ? capacity : d)) : undefined;
    past.type = { kind: 'tensor', elemType: past.tensorType?.elemType ?? DataType.FLOAT, shape: fixed };
    // The present value (a graph output, maybe in value_info) keeps its Value: its declared shape follows.
    const present = concat.outputs[0];
    if (present) present.type = { kind: 'tensor', elemType: present.tensorType?.elemType ?? past.tensorType?.elemType ?? DataType.FLOAT, shape: fixed };
    bump(report, 'caches');
  }

  // The mask input is replaced by the computed one; cache_position takes its place among the inputs.
  for (const n of g.nodes) n.inputs = n.inputs.map((v) => (v === mask ? computedMask : v));
  g.inputs = g.inputs.map((v) => (v === mask ? position : v));
  g.nodes = [...added, ...g.nodes];
  report.stats.capacity = capacity;
  recordPass(m, STATIC_KV_NAME, { capacity } satisfies StaticKvRecord);
  verifyModel(m, `pass ${STATIC_KV_NAME}`);
  return { model: m, report };
}

/** The pass as a plain model → model function. */
export function staticKv(model: Model, options: StaticKvOptions = {}): Model {
  return staticKvWithReport(model, options).model;
}
