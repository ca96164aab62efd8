/**
 * The `diffusion-loop` pass: Ditto LMDM's DDIM sampling as an ONNX `Loop` around the one-step graph, so a
 * window is one call instead of `steps` calls (runner/ddim.ts in graph form).
 *
 * The loop holds the schedule: per step the time (int64) and the update's coefficients √ᾱ_next, c and σ
 * (cosine schedule, T = 1000, eta as given), the last step's being (1, 0, 0) so x = x0 exactly, as the
 * host takes x0. The guidance stays where it is, inside the step graph (its `guidance_scale` is recorded).
 * The seeded noise comes in: `noise` [steps, 1, F, D] — noise[0] is the initial x, noise[s + 1] the z of
 * step s — drawn by the runner from the same generator the host loop uses. The update runs in float64
 * (Cast in, Cast out), the host's arithmetic, so the loop gives the host loop's motion bit for bit.
 *
 * Contract: inputs `noise` [S,1,F,D], `cond_frame` [1,D], `cond` [1,F,C] → output `motion` [1,F,D]. The
 * step graph's weights stay initializers of the main graph (outer-scope values of the body).
 *
 * `unroll`: the same S steps as straight-line copies of the body instead of a Loop node, every copy reading the
 * same initializers (no weight is duplicated) with its step index as a constant. ONNX Runtime cannot capture a
 * CUDA graph around a Loop (control flow runs on the host); the unrolled graph is one capture, one replay per
 * window. Same arithmetic, same motion.
 */
import { PassError } from '../errors.js';
import { DataType } from '../onnx/dtype.js';
import { cloneGraph, cloneModel, createNamer, listOuterReferences } from '../onnx/graph-utils.js';
import { readFloats, int64Tensor, makeTensor } from '../onnx/tensor.js';
import { Graph, Node, Value, type Attribute, type Dim, type Model, type Tensor } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import { cosineAlphasCumprod, ddimCoefficients, ddimTimePairs, DIFFUSION_TIMESTEPS } from '../models/ditto/ddim.js';
import { bump, newReport, readPassRecords, recordPass, type PassReport, type PassResult } from './common.js';

export const DIFFUSION_LOOP_NAME = 'diffusion-loop';

/** The diffusion-loop pass's counters. */
export type DiffusionLoopStat = 'steps' | 'stepNodes' | 'nodesAdded' | 'unrolledNodes';

/** Names of the loop graph's I/O; the runner recognises a loop graph by `noise`. */
export const DIFFUSION_LOOP_IO = { noise: 'noise', output: 'motion' } as const;

export interface DiffusionLoopOptions {
  /** DDIM sampling steps (default 50, Ditto's). */
  steps?: number;
  /** DDIM eta (default 1, Ditto's). */
  eta?: number;
  /** The steps as straight-line copies of the body, no Loop node (default false). */
  unroll?: boolean;
}

export const DIFFUSION_LOOP_DEFAULTS = { steps: 50, eta: 1, unroll: false };

/** What the pass recorded, for the runner to check against its own settings. */
export interface DiffusionLoopRecord {
  steps: number;
  eta: number;
  timesteps: number;
  schedule: 'cosine';
  /** The step graph's `guidance_scale` constant, when it has one. */
  guidanceScale?: number;
  /** Whether the steps are unrolled (absent in files made before the option). */
  unroll?: boolean;
}

export function readDiffusionLoopRecord(model: Pick<Model, 'metadataProps'>): DiffusionLoopRecord | undefined {
  const r = readPassRecords(model).find((p) => p.pass === DIFFUSION_LOOP_NAME);
  return r ? (r.options as unknown as DiffusionLoopRecord) : undefined;
}

function fail(detail: string): never {
  throw new PassError(DIFFUSION_LOOP_NAME, undefined, detail);
}

const int = (n: number): Attribute => ({ type: 'int', value: BigInt(n) });

/** LMDM's step contract, checked: its inputs and outputs by role. */
interface LmdmStep {
  x: Value;
  condFrame: Value;
  cond: Value;
  time: Value;
  eps: Value;
  x0: Value;
  xType: number;
  xShape: Dim[];
}

/** What the build phases share: the report, the namer, the Loop body (the step's nodes) and the main graph. */
interface DdimBuild {
  readonly report: PassReport<DiffusionLoopStat>;
  readonly name: (base: string) => string;
  readonly main: Graph;
  readonly body: Graph;
}

/** The DDIM schedule as main-graph constants: per step, its timestep and update coefficients (float64). */
interface DdimTables {
  times: Value;
  sqrtAlphaNext: Value;
  c: Value;
  sigma: Value;
}

/** Runs the pass; `model` is not modified. */
export function diffusionLoopWithReport(model: Model, options: DiffusionLoopOptions = {}): PassResult<DiffusionLoopStat> {
  const o = { ...DIFFUSION_LOOP_DEFAULTS, ...options };
  const report = newReport<DiffusionLoopStat>(DIFFUSION_LOOP_NAME, o);
  if (!Number.isInteger(o.steps) || o.steps < 1 || o.steps > DIFFUSION_TIMESTEPS) fail(`steps must be an integer in 1..${DIFFUSION_TIMESTEPS}, got ${o.steps}`);
  const m = cloneModel(model);
  const step = m.graph;
  const c = readLmdmStep(step);
  const guidance = step.initializers.find((v) => v.name === 'guidance_scale')?.initializer;
  const name = createNamer(step);
  const stepNodes = step.nodes.length;
  const S = o.steps;
  const main = new Graph(step.name);
  const body = new Graph(`${step.name}.ddim_step`, main);
  body.nodes = step.nodes;
  const b: DdimBuild = { report, name, main, body };
  const tables = buildScheduleTables(b, S, o.eta);
  const noise = new Value(DIFFUSION_LOOP_IO.noise, { kind: 'tensor', elemType: c.xType, shape: [S, ...c.xShape] });
  buildDdimBody(b, c, tables, noise, S);
  m.graph = buildLoopGraph(b, c, step, noise, S);
  if (o.unroll) report.stats.unrolledNodes = unrollLoop(b, S);
  if (step.docString) main.docString = step.docString;

  const record: DiffusionLoopRecord = {
    steps: S,
    eta: o.eta,
    timesteps: DIFFUSION_TIMESTEPS,
    schedule: 'cosine',
    ...(guidance ? { guidanceScale: readFloats(guidance)[0] as number } : {}),
    ...(o.unroll ? { unroll: true } : {}),
  };
  report.stats.steps = S;
  report.stats.stepNodes = stepNodes;
  recordPass(m, DIFFUSION_LOOP_NAME, { ...record });
  verifyModel(m, `pass ${DIFFUSION_LOOP_NAME}`);
  return { model: m, report };
}

/** Checks the step against LMDM's contract (x, cond_frame, cond, time_cond → pred_noise, x_start). */
function readLmdmStep(step: Graph): LmdmStep {
  const find = (list: Value[], n: string, kind: string): Value =>
    list.find((v) => v.name === n) ?? fail(`graph ${kind} '${n}' missing: expected LMDM's contract (x, cond_frame, cond, time_cond → pred_noise, x_start)`);
  if (step.inputs.some((v) => v.name === DIFFUSION_LOOP_IO.noise)) fail(`the graph already has '${DIFFUSION_LOOP_IO.noise}': it is a diffusion loop already`);
  const x = find(step.inputs, 'x', 'input');
  const condFrame = find(step.inputs, 'cond_frame', 'input');
  const cond = find(step.inputs, 'cond', 'input');
  const time = find(step.inputs, 'time_cond', 'input');
  const eps = find(step.outputs, 'pred_noise', 'output');
  const x0 = find(step.outputs, 'x_start', 'output');
  const xType = x.tensorType?.elemType ?? fail("input 'x' has no element type");
  const xShape = x.tensorType?.shape ?? fail("input 'x' has no shape");
  return { x, condFrame, cond, time, eps, x0, xType, xShape };
}

function constant(b: DdimBuild, base: string, t: Tensor): Value {
  const v = new Value(b.name(base), { kind: 'tensor', elemType: t.dataType, shape: [...t.dims] });
  v.initializer = { ...t, name: v.name };
  b.main.initializers.push(v);
  return v;
}

function addNode(b: DdimBuild, g: Graph, op: string, inputs: Value[], type: number, attrs: Record<string, Attribute> = {}): Value {
  const n = new Node(op, b.name(`ddim/${op}`), inputs, []);
  n.attributes = Object.entries(attrs).map(([k, attr]) => ({ name: k, attr }));
  const out = new Value(b.name(`${n.name}_out`), { kind: 'tensor', elemType: type });
  out.producer = n;
  n.outputs = [out];
  g.nodes.push(n);
  bump(b.report, 'nodesAdded');
  return out;
}

/** The cosine schedule's DDIM steps: timesteps and the float64 coefficients of each update. */
function buildScheduleTables(b: DdimBuild, S: number, eta: number): DdimTables {
  const alphas = cosineAlphasCumprod();
  const pairs = ddimTimePairs(S);
  const coef = pairs.map(([t, next]) => (next < 0 ? { sqrtAlphaNext: 1, c: 0, sigma: 0 } : ddimCoefficients(alphas, t, next, eta)));
  const times = constant(
    b,
    'ddim/times',
    int64Tensor(
      'times',
      [S],
      pairs.map(([t]) => t),
    ),
  );
  const table = (base: string, k: 'sqrtAlphaNext' | 'c' | 'sigma'): Value =>
    constant(b, base, makeTensor(base, DataType.DOUBLE, [S], Float64Array.from(coef.map((c) => c[k]))));
  return { times, sqrtAlphaNext: table('ddim/sqrt_alpha_next', 'sqrtAlphaNext'), c: table('ddim/c', 'c'), sigma: table('ddim/sigma', 'sigma') };
}

/** The body: (iter, cond, x) → (cond, x'), the step's nodes between the timestep lookup and the update. */
function buildDdimBody(b: DdimBuild, c: LmdmStep, tables: DdimTables, noise: Value, S: number): void {
  const { body, name } = b;
  const iter = new Value(name('ddim/iter'), { kind: 'tensor', elemType: DataType.INT64, shape: [] });
  const condIn = new Value(name('ddim/cond_in'), { kind: 'tensor', elemType: DataType.BOOL, shape: [] });
  c.x.name = name('ddim/x');
  body.inputs = [iter, condIn, c.x];
  // time_cond [1] = times[iter], produced in the body ahead of the step's nodes.
  const iterVec = new Node('Reshape', name('ddim/iter_vec'), [iter, constant(b, 'ddim/vec1', int64Tensor('vec1', [1], [1]))], []);
  const iterVecOut = new Value(name('ddim/iter_vec_out'), { kind: 'tensor', elemType: DataType.INT64, shape: [1] });
  iterVecOut.producer = iterVec;
  iterVec.outputs = [iterVecOut];
  const timeNode = new Node('Gather', name('ddim/time'), [tables.times, iterVecOut], []);
  timeNode.attributes = [{ name: 'axis', attr: int(0) }];
  c.time.name = name('ddim/time_cond');
  c.time.producer = timeNode;
  timeNode.outputs = [c.time];
  body.nodes = [iterVec, timeNode, ...body.nodes];
  // x' = Cast(a·x0 + c·ε + σ·z) in float64, z = noise[min(iter + 1, S − 1)] (σ = 0 on the last step).
  const D = DataType.DOUBLE;
  const add = (op: string, inputs: Value[], type: number, attrs: Record<string, Attribute> = {}): Value => addNode(b, body, op, inputs, type, attrs);
  const a = add('Gather', [tables.sqrtAlphaNext, iter], D, { axis: int(0) });
  const cc = add('Gather', [tables.c, iter], D, { axis: int(0) });
  const sg = add('Gather', [tables.sigma, iter], D, { axis: int(0) });
  const zi = add(
    'Min',
    [add('Add', [iter, constant(b, 'ddim/one', int64Tensor('one', [], [1]))], DataType.INT64), constant(b, 'ddim/last', int64Tensor('last', [], [S - 1]))],
    DataType.INT64,
  );
  const z = add('Gather', [noise, zi], c.xType, { axis: int(0) });
  const d = (v: Value): Value => add('Cast', [v], D, { to: int(D) });
  const sum = add('Add', [add('Add', [add('Mul', [a, d(c.x0)], D), add('Mul', [cc, d(c.eps)], D)], D), add('Mul', [sg, d(z)], D)], D);
  const xNext = add('Cast', [sum], c.xType, { to: int(c.xType) });
  const condOut = add('Identity', [condIn], DataType.BOOL);
  body.outputs = [condOut, xNext];
  body.initializers = [];
  body.valueInfo = [];
}

/** The main graph: x = noise[0], then the Loop S times; its output is the motion. */
function buildLoopGraph(b: DdimBuild, c: LmdmStep, step: Graph, noise: Value, S: number): Graph {
  const { main } = b;
  main.inputs = [noise, c.condFrame, c.cond];
  main.initializers = [...step.initializers, ...main.initializers];
  const xInit = addNode(b, main, 'Gather', [noise, constant(b, 'ddim/zero', int64Tensor('zero', [], [0]))], c.xType, { axis: int(0) });
  const trips = constant(b, 'ddim/trips', int64Tensor('trips', [], [S]));
  const yes = constant(b, 'ddim/true', makeTensor('true', DataType.BOOL, [], new Uint8Array([1])));
  const motion = addNode(b, main, 'Loop', [trips, yes, xInit], c.xType, { body: { type: 'graph', value: b.body } });
  motion.name = DIFFUSION_LOOP_IO.output;
  motion.type = { kind: 'tensor', elemType: c.xType, shape: [...c.xShape] };
  main.outputs = [motion];
  return main;
}

/**
 * Replaces the main graph's Loop by S copies of its body: copy k gets the constant k as the iteration, the
 * previous copy's x (the Loop's initial x for k = 0) and the outer values as they are; the body's condition
 * output is dropped. Returns the nodes the copies add.
 */
function unrollLoop(b: DdimBuild, S: number): number {
  const { main, body, name } = b;
  const loop = main.nodes.find((n) => n.opType === 'Loop') ?? fail('internal: no Loop to unroll');
  const [iter, condIn, xIn] = body.inputs as [Value, Value, Value];
  const outer = listOuterReferences(body);
  const yes = loop.inputs[1] as Value;
  let x = loop.inputs[2] as Value;
  const added: Node[] = [];
  for (let k = 0; k < S; k++) {
    const map = new Map<Value, Value>(outer.map((v) => [v, v]));
    map.set(iter, constant(b, `ddim/iter_${k}`, int64Tensor(`iter_${k}`, [], [k])));
    map.set(condIn, yes);
    map.set(xIn, x);
    const copy = cloneGraph(body, main, map);
    const xOut = copy.outputs[1] as Value;
    const condOut = copy.outputs[0] as Value;
    for (const n of copy.nodes) {
      if (n.outputs.includes(condOut)) continue;
      n.name = name(`${n.name}/s${k}`);
      for (const v of n.outputs) if (v) v.name = name(`${v.name}/s${k}`);
      added.push(n);
    }
    x = xOut;
  }
  const motion = loop.outputs[0] as Value;
  x.name = motion.name;
  x.type = motion.type;
  main.nodes = [...main.nodes.filter((n) => n !== loop), ...added];
  main.outputs = main.outputs.map((v) => (v === motion ? x : v));
  return added.length;
}

export function diffusionLoop(model: Model, options: DiffusionLoopOptions = {}): Model {
  return diffusionLoopWithReport(model, options).model;
}
