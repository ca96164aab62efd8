/**
 * The `decode-loop` pass: turns XTTS's one-token `gpt_decode` graph into a graph that generates a chunk of
 * tokens in one call — an ONNX `Loop` whose body is the decode step followed by the sampler.
 *
 * Why: onnxruntime-node has no device-side IO binding, so every decode call copies the whole KV cache to
 * the host and back (30 layers × 2 × [1, 16, L, 64]: ~120 MB per token at L = 250 in float32). Inside a
 * Loop the cache stays on the device (ORT's CUDA Loop keeps loop-carried values there); it crosses the
 * host once per chunk instead of once per token.
 *
 * The sampler is the runner's (runner/sampling.ts, XTTS's settings): repetition penalty over the ids seen
 * so far, temperature, top-k, top-p, then the first candidate whose cumulative probability exceeds
 * u · (kept mass). The uniforms u come in as an input, drawn by the runner from the seeded generator it
 * would use on the host, so both paths draw the same tokens (up to float32-vs-float64 rounding at a
 * probability boundary, which the sweep's quality columns would show).
 *
 * Contract of the rewritten graph (the decode step's own inputs keep their meaning for the first step):
 * - inputs `input_ids` [1, 1] (the last token), `mel_position` [1, 1] (its position), `attention_mask`
 *   [1, L + 1], `past_key_{i}` / `past_value_{i}` [1, H, L, D], plus `sample_uniforms` float [S] (one per
 *   step; S is the chunk length) and `seen_tokens` float [C] (1 for every candidate id already in the
 *   sequence, else 0; C = candidates);
 * - outputs `tokens` int64 [S], `logits` [1, S, V], `latent` [1, S, W], `present_key_{i}` /
 *   `present_value_{i}` [1, H, L + S, D].
 * The decode graph's weights stay initializers of the main graph, used by the body as outer-scope values.
 * Run precision passes (fp16) before this one.
 */
import { PassError } from '../errors.js';
import { DataType } from '../onnx/dtype.js';
import { cloneModel, createNamer } from '../onnx/graph-utils.js';
import { floatTensor, int32Tensor, int64Tensor, makeTensor } from '../onnx/tensor.js';
import { Graph, Node, Value, type Attribute, type Dim, type Model, type Tensor } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import { XTTS_SAMPLING, type SamplingOptions } from '../models/xtts/sampling.js';
import { bump, newReport, readPassRecords, recordPass, type PassResult } from './common.js';

export const DECODE_LOOP_NAME = 'decode-loop';

/** The decode-loop pass's counters. */
export type DecodeLoopStat = 'layers' | 'stepNodes' | 'nodesAdded';

/** Input names the rewritten graph adds; the runner recognises a loop graph by `sample_uniforms`. */
export const DECODE_LOOP_INPUTS = { uniforms: 'sample_uniforms', seen: 'seen_tokens' } as const;

export interface DecodeLoopOptions {
  /** The sampler's settings (default XTTS-v2's: XTTS_SAMPLING). Recorded in the model's pass record. */
  sampling?: SamplingOptions;
  /** Token ids sampled from: 0 … candidates − 1 (default vocabulary − 2: the start/stop audio tokens stay out). */
  candidates?: number;
}

/** What the pass recorded in a model (`workbench.passes`), for the runner to check against its own sampler. */
export interface DecodeLoopRecord {
  sampling: SamplingOptions;
  candidates: number;
}

const f32 = (n: number): Attribute => ({ type: 'float', value: n });
const int = (n: number): Attribute => ({ type: 'int', value: BigInt(n) });

function requireValue(list: Value[], name: string, kind: 'input' | 'output'): Value {
  const v = list.find((x) => x.name === name);
  if (!v) throw new PassError(DECODE_LOOP_NAME, undefined, `graph ${kind} '${name}' missing: expected XTTS's gpt_decode contract (input_ids, mel_position, attention_mask, past_key_{i}/past_value_{i} → logits, latent, present_key_{i}/present_value_{i})`);
  return v;
}

function elemType(v: Value): number {
  const t = v.tensorType?.elemType;
  if (t === undefined) throw new PassError(DECODE_LOOP_NAME, undefined, `'${v.name}' has no declared element type`);
  return t;
}

/** A [1, 1] tensor holding 1 in the attention mask's type. */
function onesTensor(name: string, type: number): Tensor {
  if (type === DataType.INT64) return int64Tensor(name, [1, 1], [1]);
  if (type === DataType.INT32) return int32Tensor(name, [1, 1], [1]);
  if (type === DataType.FLOAT) return floatTensor(name, [1, 1], [1]);
  throw new PassError(DECODE_LOOP_NAME, undefined, `input 'attention_mask': expected int64, int32 or float, got data type ${type}`);
}

/** The pass's record in a model, or undefined when the model is not a decode loop. */
export function readDecodeLoopRecord(model: Pick<Model, 'metadataProps'>): DecodeLoopRecord | undefined {
  const r = readPassRecords(model).find((p) => p.pass === DECODE_LOOP_NAME);
  return r ? (r.options as unknown as DecodeLoopRecord) : undefined;
}

/** Runs the pass; `model` is not modified. */
export function decodeLoopWithReport(model: Model, options: DecodeLoopOptions = {}): PassResult<DecodeLoopStat> {
  const sampling = options.sampling ?? XTTS_SAMPLING;
  const report = newReport<DecodeLoopStat>(DECODE_LOOP_NAME, { sampling, ...(options.candidates !== undefined ? { candidates: options.candidates } : {}) });
  const m = cloneModel(model);
  const step = m.graph;
  if (step.inputs.some((v) => v.name === DECODE_LOOP_INPUTS.uniforms)) throw new PassError(DECODE_LOOP_NAME, undefined, `the graph already has '${DECODE_LOOP_INPUTS.uniforms}': it is a decode loop already`);

  const ids = requireValue(step.inputs, 'input_ids', 'input');
  const position = requireValue(step.inputs, 'mel_position', 'input');
  const mask = requireValue(step.inputs, 'attention_mask', 'input');
  const logits = requireValue(step.outputs, 'logits', 'output');
  const latent = requireValue(step.outputs, 'latent', 'output');
  const layers = step.inputs.filter((v) => /^past_key_\d+$/.test(v.name)).length;
  if (layers === 0) throw new PassError(DECODE_LOOP_NAME, undefined, "no 'past_key_{i}' inputs: not a decode step over a KV cache");
  const past: Value[] = [];
  const present: Value[] = [];
  for (let i = 0; i < layers; i++) {
    past.push(requireValue(step.inputs, `past_key_${i}`, 'input'), requireValue(step.inputs, `past_value_${i}`, 'input'));
    present.push(requireValue(step.outputs, `present_key_${i}`, 'output'), requireValue(step.outputs, `present_value_${i}`, 'output'));
  }
  const known = new Set<Value>([ids, position, mask, ...past]);
  const extra = step.inputs.filter((v) => !known.has(v) && !step.initializers.includes(v));
  if (extra.length) throw new PassError(DECODE_LOOP_NAME, undefined, `unexpected graph input '${(extra[0] as Value).name}' (the loop feeds only the decode contract's inputs)`);
  const vocab = logits.tensorType?.shape?.at(-1);
  if (typeof vocab !== 'number') throw new PassError(DECODE_LOOP_NAME, undefined, "output 'logits' needs a known last dim (the vocabulary)");
  const candidates = options.candidates ?? vocab - 2;
  if (!Number.isInteger(candidates) || candidates < 1 || candidates > vocab) throw new PassError(DECODE_LOOP_NAME, undefined, `candidates must be an integer in 1..${vocab}, got ${candidates}`);
  const topK = sampling.topK > 0 ? Math.min(sampling.topK, candidates) : candidates;
  const width = latent.tensorType?.shape?.at(-1);
  if (typeof width !== 'number') throw new PassError(DECODE_LOOP_NAME, undefined, "output 'latent' needs a known last dim (the GPT width)");
  const name = createNamer(step);
  const stepNodes = step.nodes.length;

  // The body: (iter, cond, ids, position, mask, seen, past...) → (cond, ids', position', mask', seen', present..., token, latent, logits).
  const main = new Graph(step.name);
  const body = new Graph(`${step.name}.step`, main);
  body.nodes = step.nodes;
  const iter = new Value(name('loop/iter'), { kind: 'tensor', elemType: DataType.INT64, shape: [] });
  const condIn = new Value(name('loop/cond_in'), { kind: 'tensor', elemType: DataType.BOOL, shape: [] });
  const seen = new Value(name('loop/seen'), { kind: 'tensor', elemType: DataType.FLOAT, shape: [candidates] });
  // Loop-carried values may change shape between iterations: fresh symbolic dims for the growing axes.
  mask.type = { kind: 'tensor', elemType: elemType(mask), shape: [1, name('loop_mask_len')] };
  const pastLen = name('loop_past_len');
  for (const p of past) {
    const s = p.tensorType?.shape;
    p.type = { kind: 'tensor', elemType: elemType(p), shape: s ? s.map((d, i): Dim => (i === 2 ? pastLen : d)) : undefined };
  }
  const carried = [ids, position, mask, seen, ...past];
  body.inputs = [iter, condIn, ...carried];

  const add = (op: string, inputs: (Value | undefined)[], attrs: Record<string, Attribute> = {}, type?: number, g: Graph = body, outputs = 1): Value[] => {
    const n = new Node(op, name(`loop/${op}`), inputs, []);
    n.attributes = Object.entries(attrs).map(([k, attr]) => ({ name: k, attr }));
    n.outputs = Array.from({ length: outputs }, () => {
      const o = new Value(name(`${n.name}_out`), type !== undefined ? { kind: 'tensor', elemType: type } : undefined);
      o.producer = n;
      return o;
    });
    g.nodes.push(n);
    bump(report, 'nodesAdded');
    return n.outputs as Value[];
  };
  const one = (op: string, inputs: (Value | undefined)[], attrs: Record<string, Attribute> = {}, type?: number, g: Graph = body): Value => add(op, inputs, attrs, type, g)[0] as Value;
  const constant = (g: Graph, base: string, t: Tensor): Value => {
    const v = new Value(name(base), { kind: 'tensor', elemType: t.dataType, shape: [...t.dims] });
    v.initializer = { ...t, name: v.name };
    g.initializers.push(v);
    return v;
  };
  const i64 = (base: string, values: number[], dims = [values.length]): Value => constant(main, base, int64Tensor(base, dims, values));
  const fl = (base: string, values: number[], dims = [values.length]): Value => constant(main, base, floatTensor(base, dims, values));

  // Sampler, float32 throughout (runner/sampling.ts in graph form).
  const logits32 = elemType(logits) === DataType.FLOAT ? logits : one('Cast', [logits], { to: int(DataType.FLOAT) }, DataType.FLOAT);
  const flat = one('Reshape', [logits32, i64('loop/flat', [-1])], {}, DataType.FLOAT);
  const cand = one('Slice', [flat, i64('loop/cand_start', [0]), i64('loop/cand_end', [candidates]), i64('loop/cand_axis', [0])], {}, DataType.FLOAT);
  let l = cand;
  if (sampling.repetitionPenalty !== 1) {
    const r = fl('loop/penalty', [sampling.repetitionPenalty], []);
    const zero = fl('loop/zero', [0], []);
    const penalised = one('Where', [one('Greater', [cand, zero], {}, DataType.BOOL), one('Div', [cand, r], {}, DataType.FLOAT), one('Mul', [cand, r], {}, DataType.FLOAT)], {}, DataType.FLOAT);
    l = one('Where', [one('Greater', [seen, fl('loop/half', [0.5], [])], {}, DataType.BOOL), penalised, cand], {}, DataType.FLOAT);
  }
  if (sampling.temperature > 0 && sampling.temperature !== 1) l = one('Div', [l, fl('loop/temperature', [sampling.temperature], [])], {}, DataType.FLOAT);
  const [values, indices] = add('TopK', [l, i64('loop/top_k', [topK])], { axis: int(-1), largest: int(1), sorted: int(1) }, undefined, body, 2) as [Value, Value];
  values.type = { kind: 'tensor', elemType: DataType.FLOAT };
  indices.type = { kind: 'tensor', elemType: DataType.INT64 };
  const probs = one('Softmax', [values], { axis: int(-1) }, DataType.FLOAT);
  const axis0 = i64('loop/axis0', [0], []);
  // Top-p: keep i while the mass before it is below p (HF keeps at least one: the first has 0 before it).
  const before = one('CumSum', [probs, axis0], { exclusive: int(1) }, DataType.FLOAT);
  const keep = one('Cast', [one('Less', [before, fl('loop/top_p', [sampling.topP], [])], {}, DataType.BOOL)], { to: int(DataType.FLOAT) }, DataType.FLOAT);
  const kept = one('Mul', [probs, keep], {}, DataType.FLOAT);
  const uniforms = new Value(DECODE_LOOP_INPUTS.uniforms, { kind: 'tensor', elemType: DataType.FLOAT, shape: ['S'] });
  const u = one('Gather', [uniforms, iter], { axis: int(0) }, DataType.FLOAT);
  const target = one('Mul', [u, one('ReduceSum', [kept], { keepdims: int(0) }, DataType.FLOAT)], {}, DataType.FLOAT);
  // The first kept candidate whose cumulative probability exceeds the target = how many do not; clamped
  // to the last kept one (rounding), as the host sampler does.
  const cum = one('CumSum', [kept, axis0], {}, DataType.FLOAT);
  const notYet = one('ReduceSum', [one('Cast', [one('LessOrEqual', [cum, target], {}, DataType.BOOL)], { to: int(DataType.FLOAT) }, DataType.FLOAT)], { keepdims: int(0) }, DataType.FLOAT);
  const lastKept = one('Sub', [one('ReduceSum', [keep], { keepdims: int(0) }, DataType.FLOAT), fl('loop/one_f', [1], [])], {}, DataType.FLOAT);
  const pick = one('Cast', [one('Min', [notYet, lastKept], {}, DataType.FLOAT)], { to: int(DataType.INT64) }, DataType.INT64);
  const token = one('Gather', [indices, pick], { axis: int(0) }, DataType.INT64);

  // Carried values for the next step.
  const tokenVec = one('Reshape', [token, i64('loop/vec', [1])], {}, DataType.INT64);
  const idsNext = one('Reshape', [token, i64('loop/one_by_one', [1, 1])], {}, DataType.INT64);
  const positionNext = one('Add', [position, constant(main, 'loop/one_pos', int64Tensor('one', [1, 1], [1]))], {}, elemType(position));
  const maskOne = constant(main, 'loop/mask_one', onesTensor('mask_one', elemType(mask)));
  const maskNext = one('Concat', [mask, maskOne], { axis: int(1) }, elemType(mask));
  const seenNext = one('ScatterElements', [seen, tokenVec, fl('loop/seen_one', [1])], { axis: int(0) }, DataType.FLOAT);
  const condOut = one('Identity', [condIn], {}, DataType.BOOL);
  // The step's outputs become body outputs under body names; the Loop's outputs take the public names.
  const publicNames = new Map<Value, string>();
  for (const v of [logits, latent, ...present]) {
    publicNames.set(v, v.name);
    v.name = name(`step/${v.name}`);
  }
  body.outputs = [condOut, idsNext, positionNext, maskNext, seenNext, ...present, tokenVec, latent, logits];
  for (const v of [ids, position, mask, ...past]) v.name = name(`step/${v.name}`);

  // The main graph: the public inputs, the Loop, and the outputs reshaped to [1, S, …].
  const input = (n: string, type: number, shape: Dim[]): Value => {
    const v = new Value(n, { kind: 'tensor', elemType: type, shape });
    main.inputs.push(v);
    return v;
  };
  const mainIds = input('input_ids', elemType(ids), [1, 1]);
  const mainPosition = input('mel_position', elemType(position), [1, 1]);
  const mainMask = input('attention_mask', elemType(mask), [1, 'L1']);
  const mainSeen = input(DECODE_LOOP_INPUTS.seen, DataType.FLOAT, [candidates]);
  const mainPast = past.map((p, i) => input(i % 2 === 0 ? `past_key_${i >> 1}` : `past_value_${i >> 1}`, elemType(p), (p.tensorType?.shape ?? []).map((d, j) => (j === 2 ? 'L' : d))));
  main.inputs.push(uniforms);
  main.initializers = [...step.initializers, ...main.initializers];
  main.valueInfo = [];
  const trips = one('Reshape', [one('Shape', [uniforms], {}, DataType.INT64, main), i64('loop/scalar', [], [0])], {}, DataType.INT64, main);
  const cond = constant(main, 'loop/true', makeTensor('true', DataType.BOOL, [], new Uint8Array([1])));
  const outs = add('Loop', [trips, cond, mainIds, mainPosition, mainMask, mainSeen, ...mainPast], { body: { type: 'graph', value: body } }, undefined, main, 4 + past.length + 3);
  const finalPresent = outs.slice(4, 4 + past.length);
  const [tokensScan, latentScan, logitsScan] = outs.slice(4 + past.length) as [Value, Value, Value];
  finalPresent.forEach((v, i) => {
    v.name = publicNames.get(present[i] as Value) as string;
    v.type = { kind: 'tensor', elemType: elemType(present[i] as Value), shape: (present[i]?.tensorType?.shape ?? []).map((d, j) => (j === 2 ? 'L_S' : d)) };
  });
  const tokens = one('Reshape', [tokensScan, i64('loop/tokens_shape', [-1])], {}, DataType.INT64, main);
  tokens.name = 'tokens';
  tokens.type = { kind: 'tensor', elemType: DataType.INT64, shape: ['S'] };
  const latentOut = one('Reshape', [latentScan, i64('loop/latent_shape', [1, -1, width])], {}, elemType(latent), main);
  latentOut.name = 'latent';
  latentOut.type = { kind: 'tensor', elemType: elemType(latent), shape: [1, 'S', width] };
  const logitsOut = one('Reshape', [logitsScan, i64('loop/logits_shape', [1, -1, vocab])], {}, elemType(logits), main);
  logitsOut.name = 'logits';
  logitsOut.type = { kind: 'tensor', elemType: elemType(logits), shape: [1, 'S', vocab] };
  main.outputs = [tokens, logitsOut, latentOut, ...finalPresent];
  m.graph = main;
  if (m.graph.docString === undefined && step.docString) m.graph.docString = step.docString;

  report.stats.layers = layers;
  report.stats.stepNodes = stepNodes;
  const record: DecodeLoopRecord = { sampling, candidates };
  recordPass(m, DECODE_LOOP_NAME, { ...record });
  verifyModel(m, `pass ${DECODE_LOOP_NAME}`);
  return { model: m, report };
}
