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
import { bump, newReport, readPassRecords, recordPass, type PassReport, type PassResult } from './common.js';

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
  if (!v)
    throw new PassError(
      DECODE_LOOP_NAME,
      undefined,
      `graph ${kind} '${name}' missing: expected XTTS's gpt_decode contract (input_ids, mel_position, attention_mask, past_key_{i}/past_value_{i} → logits, latent, present_key_{i}/present_value_{i})`,
    );
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

/** The decode step's contract, checked: its inputs and outputs by role, and the sampler's sizes. */
interface StepContract {
  ids: Value;
  position: Value;
  mask: Value;
  logits: Value;
  latent: Value;
  layers: number;
  /** past_key_i, past_value_i, … in layer order; `present` likewise. */
  past: Value[];
  present: Value[];
  vocab: number;
  candidates: number;
  topK: number;
  width: number;
}

/**
 * What the build phases share: the report, the namer over the step's names, and the two graphs being
 * built (the Loop body, which takes over the step's nodes, and the main graph around it).
 */
interface LoopBuild {
  readonly report: PassReport<DecodeLoopStat>;
  readonly name: (base: string) => string;
  readonly main: Graph;
  readonly body: Graph;
}

/** The body's own inputs besides the carried step inputs. */
interface BodyInputs {
  iter: Value;
  condIn: Value;
  seen: Value;
}

/** Runs the pass; `model` is not modified. */
export function decodeLoopWithReport(model: Model, options: DecodeLoopOptions = {}): PassResult<DecodeLoopStat> {
  const sampling = options.sampling ?? XTTS_SAMPLING;
  const report = newReport<DecodeLoopStat>(DECODE_LOOP_NAME, { sampling, ...(options.candidates !== undefined ? { candidates: options.candidates } : {}) });
  const m = cloneModel(model);
  const step = m.graph;
  const c = readStepContract(step, options, sampling);
  const name = createNamer(step);
  const stepNodes = step.nodes.length;
  const main = new Graph(step.name);
  const body = new Graph(`${step.name}.step`, main);
  body.nodes = step.nodes;
  const b: LoopBuild = { report, name, main, body };
  const bodyInputs = prepareBodyInputs(b, c);
  const { token, uniforms } = buildSampler(b, c, sampling, bodyInputs);
  const publicNames = buildCarriedOutputs(b, c, bodyInputs, token);
  m.graph = buildMainGraph(b, c, step, uniforms, publicNames);
  if (m.graph.docString === undefined && step.docString) m.graph.docString = step.docString;

  report.stats.layers = c.layers;
  report.stats.stepNodes = stepNodes;
  const record: DecodeLoopRecord = { sampling, candidates: c.candidates };
  recordPass(m, DECODE_LOOP_NAME, { ...record });
  verifyModel(m, `pass ${DECODE_LOOP_NAME}`);
  return { model: m, report };
}

/** Checks the step against the decode contract (names, KV cache, known vocabulary and width). */
function readStepContract(step: Graph, options: DecodeLoopOptions, sampling: SamplingOptions): StepContract {
  if (step.inputs.some((v) => v.name === DECODE_LOOP_INPUTS.uniforms))
    throw new PassError(DECODE_LOOP_NAME, undefined, `the graph already has '${DECODE_LOOP_INPUTS.uniforms}': it is a decode loop already`);
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
  if (extra.length)
    throw new PassError(DECODE_LOOP_NAME, undefined, `unexpected graph input '${(extra[0] as Value).name}' (the loop feeds only the decode contract's inputs)`);
  const vocab = logits.tensorType?.shape?.at(-1);
  if (typeof vocab !== 'number') throw new PassError(DECODE_LOOP_NAME, undefined, "output 'logits' needs a known last dim (the vocabulary)");
  const candidates = options.candidates ?? vocab - 2;
  if (!Number.isInteger(candidates) || candidates < 1 || candidates > vocab)
    throw new PassError(DECODE_LOOP_NAME, undefined, `candidates must be an integer in 1..${vocab}, got ${candidates}`);
  const topK = sampling.topK > 0 ? Math.min(sampling.topK, candidates) : candidates;
  const width = latent.tensorType?.shape?.at(-1);
  if (typeof width !== 'number') throw new PassError(DECODE_LOOP_NAME, undefined, "output 'latent' needs a known last dim (the GPT width)");
  return { ids, position, mask, logits, latent, layers, past, present, vocab, candidates, topK, width };
}

/** Adds a node to `g` (the body by default) with `outputs` fresh outputs. */
function addNode(
  b: LoopBuild,
  op: string,
  inputs: (Value | undefined)[],
  attrs: Record<string, Attribute> = {},
  type?: number,
  g: Graph = b.body,
  outputs = 1,
): Value[] {
  const n = new Node(op, b.name(`loop/${op}`), inputs, []);
  n.attributes = Object.entries(attrs).map(([k, attr]) => ({ name: k, attr }));
  n.outputs = Array.from({ length: outputs }, () => {
    const o = new Value(b.name(`${n.name}_out`), type !== undefined ? { kind: 'tensor', elemType: type } : undefined);
    o.producer = n;
    return o;
  });
  g.nodes.push(n);
  bump(b.report, 'nodesAdded');
  return n.outputs as Value[];
}

/** Adds a one-output node and returns its output. */
function one(b: LoopBuild, op: string, inputs: (Value | undefined)[], attrs: Record<string, Attribute> = {}, type?: number, g: Graph = b.body): Value {
  return addNode(b, op, inputs, attrs, type, g)[0] as Value;
}

function constant(b: LoopBuild, g: Graph, base: string, t: Tensor): Value {
  const v = new Value(b.name(base), { kind: 'tensor', elemType: t.dataType, shape: [...t.dims] });
  v.initializer = { ...t, name: v.name };
  g.initializers.push(v);
  return v;
}

function i64(b: LoopBuild, base: string, values: number[], dims = [values.length]): Value {
  return constant(b, b.main, base, int64Tensor(base, dims, values));
}

function fl(b: LoopBuild, base: string, values: number[], dims = [values.length]): Value {
  return constant(b, b.main, base, floatTensor(base, dims, values));
}

/**
 * The body's inputs: (iter, cond, ids, position, mask, seen, past...). Loop-carried values may change shape
 * between iterations: fresh symbolic dims for the growing axes.
 */
function prepareBodyInputs(b: LoopBuild, c: StepContract): BodyInputs {
  const iter = new Value(b.name('loop/iter'), { kind: 'tensor', elemType: DataType.INT64, shape: [] });
  const condIn = new Value(b.name('loop/cond_in'), { kind: 'tensor', elemType: DataType.BOOL, shape: [] });
  const seen = new Value(b.name('loop/seen'), { kind: 'tensor', elemType: DataType.FLOAT, shape: [c.candidates] });
  c.mask.type = { kind: 'tensor', elemType: elemType(c.mask), shape: [1, b.name('loop_mask_len')] };
  const pastLen = b.name('loop_past_len');
  for (const p of c.past) {
    const s = p.tensorType?.shape;
    p.type = { kind: 'tensor', elemType: elemType(p), shape: s ? s.map((d, i): Dim => (i === 2 ? pastLen : d)) : undefined };
  }
  b.body.inputs = [iter, condIn, c.ids, c.position, c.mask, seen, ...c.past];
  return { iter, condIn, seen };
}

/** The sampler, float32 throughout (runner/sampling.ts in graph form): the next token from the step's logits. */
function buildSampler(b: LoopBuild, c: StepContract, sampling: SamplingOptions, { iter, seen }: BodyInputs): { token: Value; uniforms: Value } {
  const logits32 = elemType(c.logits) === DataType.FLOAT ? c.logits : one(b, 'Cast', [c.logits], { to: int(DataType.FLOAT) }, DataType.FLOAT);
  const flat = one(b, 'Reshape', [logits32, i64(b, 'loop/flat', [-1])], {}, DataType.FLOAT);
  const cand = one(
    b,
    'Slice',
    [flat, i64(b, 'loop/cand_start', [0]), i64(b, 'loop/cand_end', [c.candidates]), i64(b, 'loop/cand_axis', [0])],
    {},
    DataType.FLOAT,
  );
  let l = cand;
  if (sampling.repetitionPenalty !== 1) {
    const r = fl(b, 'loop/penalty', [sampling.repetitionPenalty], []);
    const zero = fl(b, 'loop/zero', [0], []);
    const penalised = one(
      b,
      'Where',
      [one(b, 'Greater', [cand, zero], {}, DataType.BOOL), one(b, 'Div', [cand, r], {}, DataType.FLOAT), one(b, 'Mul', [cand, r], {}, DataType.FLOAT)],
      {},
      DataType.FLOAT,
    );
    l = one(b, 'Where', [one(b, 'Greater', [seen, fl(b, 'loop/half', [0.5], [])], {}, DataType.BOOL), penalised, cand], {}, DataType.FLOAT);
  }
  if (sampling.temperature > 0 && sampling.temperature !== 1) l = one(b, 'Div', [l, fl(b, 'loop/temperature', [sampling.temperature], [])], {}, DataType.FLOAT);
  const [values, indices] = addNode(
    b,
    'TopK',
    [l, i64(b, 'loop/top_k', [c.topK])],
    { axis: int(-1), largest: int(1), sorted: int(1) },
    undefined,
    b.body,
    2,
  ) as [Value, Value];
  values.type = { kind: 'tensor', elemType: DataType.FLOAT };
  indices.type = { kind: 'tensor', elemType: DataType.INT64 };
  const probs = one(b, 'Softmax', [values], { axis: int(-1) }, DataType.FLOAT);
  const axis0 = i64(b, 'loop/axis0', [0], []);
  // Top-p: keep i while the mass before it is below p (HF keeps at least one: the first has 0 before it).
  const before = one(b, 'CumSum', [probs, axis0], { exclusive: int(1) }, DataType.FLOAT);
  const keep = one(
    b,
    'Cast',
    [one(b, 'Less', [before, fl(b, 'loop/top_p', [sampling.topP], [])], {}, DataType.BOOL)],
    { to: int(DataType.FLOAT) },
    DataType.FLOAT,
  );
  const kept = one(b, 'Mul', [probs, keep], {}, DataType.FLOAT);
  const uniforms = new Value(DECODE_LOOP_INPUTS.uniforms, { kind: 'tensor', elemType: DataType.FLOAT, shape: ['S'] });
  const u = one(b, 'Gather', [uniforms, iter], { axis: int(0) }, DataType.FLOAT);
  const target = one(b, 'Mul', [u, one(b, 'ReduceSum', [kept], { keepdims: int(0) }, DataType.FLOAT)], {}, DataType.FLOAT);
  // The first kept candidate whose cumulative probability exceeds the target = how many do not; clamped
  // to the last kept one (rounding), as the host sampler does.
  const cum = one(b, 'CumSum', [kept, axis0], {}, DataType.FLOAT);
  const notYet = one(
    b,
    'ReduceSum',
    [one(b, 'Cast', [one(b, 'LessOrEqual', [cum, target], {}, DataType.BOOL)], { to: int(DataType.FLOAT) }, DataType.FLOAT)],
    { keepdims: int(0) },
    DataType.FLOAT,
  );
  const lastKept = one(b, 'Sub', [one(b, 'ReduceSum', [keep], { keepdims: int(0) }, DataType.FLOAT), fl(b, 'loop/one_f', [1], [])], {}, DataType.FLOAT);
  const pick = one(b, 'Cast', [one(b, 'Min', [notYet, lastKept], {}, DataType.FLOAT)], { to: int(DataType.INT64) }, DataType.INT64);
  const token = one(b, 'Gather', [indices, pick], { axis: int(0) }, DataType.INT64);
  return { token, uniforms };
}

/**
 * The body's outputs: (cond, ids', position', mask', seen', present..., token, latent, logits). The step's
 * outputs become body outputs under body names; returns their public names, which the Loop's outputs take.
 */
function buildCarriedOutputs(b: LoopBuild, c: StepContract, { condIn, seen }: BodyInputs, token: Value): Map<Value, string> {
  const tokenVec = one(b, 'Reshape', [token, i64(b, 'loop/vec', [1])], {}, DataType.INT64);
  const idsNext = one(b, 'Reshape', [token, i64(b, 'loop/one_by_one', [1, 1])], {}, DataType.INT64);
  const positionNext = one(b, 'Add', [c.position, constant(b, b.main, 'loop/one_pos', int64Tensor('one', [1, 1], [1]))], {}, elemType(c.position));
  const maskOne = constant(b, b.main, 'loop/mask_one', onesTensor('mask_one', elemType(c.mask)));
  const maskNext = one(b, 'Concat', [c.mask, maskOne], { axis: int(1) }, elemType(c.mask));
  const seenNext = one(b, 'ScatterElements', [seen, tokenVec, fl(b, 'loop/seen_one', [1])], { axis: int(0) }, DataType.FLOAT);
  const condOut = one(b, 'Identity', [condIn], {}, DataType.BOOL);
  const publicNames = new Map<Value, string>();
  for (const v of [c.logits, c.latent, ...c.present]) {
    publicNames.set(v, v.name);
    v.name = b.name(`step/${v.name}`);
  }
  b.body.outputs = [condOut, idsNext, positionNext, maskNext, seenNext, ...c.present, tokenVec, c.latent, c.logits];
  for (const v of [c.ids, c.position, c.mask, ...c.past]) v.name = b.name(`step/${v.name}`);
  return publicNames;
}

/** The main graph: the public inputs, the Loop, and the outputs reshaped to [1, S, …]. */
function buildMainGraph(b: LoopBuild, c: StepContract, step: Graph, uniforms: Value, publicNames: ReadonlyMap<Value, string>): Graph {
  const { main } = b;
  const input = (n: string, type: number, shape: Dim[]): Value => {
    const v = new Value(n, { kind: 'tensor', elemType: type, shape });
    main.inputs.push(v);
    return v;
  };
  const mainIds = input('input_ids', elemType(c.ids), [1, 1]);
  const mainPosition = input('mel_position', elemType(c.position), [1, 1]);
  const mainMask = input('attention_mask', elemType(c.mask), [1, 'L1']);
  const mainSeen = input(DECODE_LOOP_INPUTS.seen, DataType.FLOAT, [c.candidates]);
  const mainPast = c.past.map((p, i) =>
    input(
      i % 2 === 0 ? `past_key_${i >> 1}` : `past_value_${i >> 1}`,
      elemType(p),
      (p.tensorType?.shape ?? []).map((d, j) => (j === 2 ? 'L' : d)),
    ),
  );
  main.inputs.push(uniforms);
  main.initializers = [...step.initializers, ...main.initializers];
  main.valueInfo = [];
  const trips = one(b, 'Reshape', [one(b, 'Shape', [uniforms], {}, DataType.INT64, main), i64(b, 'loop/scalar', [], [0])], {}, DataType.INT64, main);
  const cond = constant(b, main, 'loop/true', makeTensor('true', DataType.BOOL, [], new Uint8Array([1])));
  const outs = addNode(
    b,
    'Loop',
    [trips, cond, mainIds, mainPosition, mainMask, mainSeen, ...mainPast],
    { body: { type: 'graph', value: b.body } },
    undefined,
    main,
    4 + c.past.length + 3,
  );
  const finalPresent = outs.slice(4, 4 + c.past.length);
  const [tokensScan, latentScan, logitsScan] = outs.slice(4 + c.past.length) as [Value, Value, Value];
  finalPresent.forEach((v, i) => {
    v.name = publicNames.get(c.present[i] as Value) as string;
    v.type = { kind: 'tensor', elemType: elemType(c.present[i] as Value), shape: (c.present[i]?.tensorType?.shape ?? []).map((d, j) => (j === 2 ? 'L_S' : d)) };
  });
  const tokens = one(b, 'Reshape', [tokensScan, i64(b, 'loop/tokens_shape', [-1])], {}, DataType.INT64, main);
  tokens.name = 'tokens';
  tokens.type = { kind: 'tensor', elemType: DataType.INT64, shape: ['S'] };
  const latentOut = one(b, 'Reshape', [latentScan, i64(b, 'loop/latent_shape', [1, -1, c.width])], {}, elemType(c.latent), main);
  latentOut.name = 'latent';
  latentOut.type = { kind: 'tensor', elemType: elemType(c.latent), shape: [1, 'S', c.width] };
  const logitsOut = one(b, 'Reshape', [logitsScan, i64(b, 'loop/logits_shape', [1, -1, c.vocab])], {}, elemType(c.logits), main);
  logitsOut.name = 'logits';
  logitsOut.type = { kind: 'tensor', elemType: elemType(c.logits), shape: [1, 'S', c.vocab] };
  main.outputs = [tokens, logitsOut, latentOut, ...finalPresent];
  return main;
}
