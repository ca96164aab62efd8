/**
 * The `mixed` pass: lower a model (to float16 or int8) but keep the most sensitive nodes in float32 so the
 * output error meets a budget.
 *
 * Error metric: relative L2 at the graph outputs, ‖y − ŷ‖₂ / ‖y‖₂, worst over outputs and samples (NaN/Inf
 * counts as infinite error); max-abs is reported too.
 *
 * Search (scales to hundreds of nodes with O(log N) model runs, not N):
 * 1. Sensitivity in ONE run per model and sample: the float32 model and the fully lowered model are run
 *    with every float intermediate exposed as an output; for each value the relative L2 between the two is
 *    computed and the activations are dropped right away (memory: one sample's activations × 2). A
 *    node's score is the error it *adds*: error of its output minus the largest error of its inputs
 *    (infinite when its output turns NaN/Inf from finite inputs: the overflow case).
 * 2. Nodes are ranked by score; the smallest k such that keeping the top-k in float32 meets the budget is
 *    found by doubling k and then bisecting (each step = one lowering + one run over the samples).
 * The report lists every candidate's score and, for the kept nodes, why.
 */
import { PassError } from '../errors.js';
import { DataType } from '../onnx/dtype.js';
import { cloneModel, createNamer } from '../onnx/graph-utils.js';
import type { Model, Node, Value } from '../onnx/types.js';
import type { ExecutionProvider } from '../runtime/index.js';
import { verifyModel } from '../onnx/verify.js';
import type { SampleSource } from './calibrate.js';
import { feedsSource } from './calibrate.js';
import { newReport, PASSES_METADATA_KEY, recordPass, type PassReport, type PassResult } from './common.js';
import { propagateElemTypes } from './elem-types.js';
import { adaptFeeds, openSession, randomFeeds, toFloat32, withExtraOutputs } from './execute.js';
import { fp16WithReport, FP16_DEFAULTS, type Fp16Options } from './fp16.js';
import { int8DynamicWithReport, INT8_DYNAMIC_DEFAULTS, type Int8DynamicOptions } from './int8.js';
import { compareArrays, worst, type ErrorStats } from './metrics.js';

export const MIXED_NAME = 'mixed';

/** The mixed precision search's counters. */
export type MixedStat = 'candidates' | 'nodesKept' | 'evaluations';

export interface MixedOptions {
  /** What to lower to (default 'fp16'). */
  target?: 'fp16' | 'int8';
  /** Output error budget: worst relative L2 over outputs and samples (default 1e-2). */
  maxError?: number;
  /** Inputs to measure on (default: `sampleCount` seeded random inputs from the declared shapes). */
  samples?: SampleSource;
  /** Number of random samples when `samples` is not given (default 2). */
  sampleCount?: number;
  /** Options of the underlying fp16 pass (its node block list is extended with the kept nodes). */
  fp16?: Fp16Options;
  /** Options of the underlying int8 dynamic pass (default targetEp 'cpu' so it runs here). */
  int8?: Int8DynamicOptions;
  /**
   * Where sensitivity is measured (default 'cpu'). Use the target's EP: ONNX Runtime's CPU EP computes
   * float16 graphs in float32, so only 'cuda' shows real float16 rounding and overflow.
   */
  ep?: ExecutionProvider;
}

/** The search's evaluation sessions (src/quantize/execute.ts says why MatMul + Add stay unfused on the CPU). */
const SEARCH_SESSION = { unfusedMatMulAdd: true } as const;

export const MIXED_DEFAULTS = { target: 'fp16' as const, maxError: 1e-2, sampleCount: 2 };
/** Where sensitivity is measured when `ep` is not given (kept out of MIXED_DEFAULTS: the report echoes those). */
export const MIXED_DEFAULT_EP: ExecutionProvider = 'cpu';

export interface NodeScore {
  node: string;
  opType: string;
  /** Error the node adds (output error − worst input error); Infinity for new NaN/Inf. */
  score: number;
  outputError: number;
  inputError: number;
}

export interface MixedDetails {
  metric: 'relative-l2';
  maxError: number;
  target: 'fp16' | 'int8';
  plainError: ErrorStats;
  finalError: ErrorStats;
  kept: (NodeScore & { rank: number; reason: string })[];
  scores: NodeScore[];
  evaluations: number;
}

function lower(model: Model, target: 'fp16' | 'int8', keep: string[], o: { fp16?: Fp16Options; int8?: Int8DynamicOptions }): Model {
  if (target === 'fp16') {
    const base = o.fp16 ?? {};
    return fp16WithReport(model, { ...base, nodeBlockList: [...(base.nodeBlockList ?? FP16_DEFAULTS.nodeBlockList), ...keep] }).model;
  }
  const base = { targetEp: 'cpu' as const, ...(o.int8 ?? {}) };
  return int8DynamicWithReport(model, { ...base, nodesToExclude: [...(base.nodesToExclude ?? INT8_DYNAMIC_DEFAULTS.nodesToExclude), ...keep] }).model;
}

/** Output error of `cand` against reference outputs. */
async function outputError(cand: Model, samples: SampleSource, refOut: Record<string, Float32Array>[], ep: ExecutionProvider): Promise<ErrorStats> {
  const s = await openSession(cand, ep, SEARCH_SESSION);
  try {
    const stats: ErrorStats[] = [];
    for (let i = 0; i < samples.count; i++) {
      const r = await s.run(adaptFeeds(cand, samples.get(i)));
      for (const [k, ref] of Object.entries(refOut[i] ?? {})) {
        const t = r[k];
        if (!t) throw new PassError(MIXED_NAME, undefined, `lowered model lost output '${k}'`);
        stats.push(compareArrays(ref, toFloat32(t)));
      }
    }
    return worst(stats);
  } finally {
    await s.release();
  }
}

/** The options with MIXED_DEFAULTS applied. */
type MixedResolved = MixedOptions & Required<Pick<MixedOptions, 'target' | 'maxError' | 'sampleCount'>>;

/** What the sensitivity run measured: the reference outputs per sample, and per float value its error. */
interface Sensitivity {
  refOut: Record<string, Float32Array>[];
  /** Worst relative L2 of each float value (lowered vs reference) over the samples. */
  err: Map<string, number>;
  /** Values that were non-finite in the lowered run. */
  nonFin: Set<string>;
}

/** The search's outcome: how many ranked nodes stay float32 and the errors it measured. */
interface KeepCount {
  best: number;
  plain: ErrorStats;
  bestErr: ErrorStats;
  evaluations: number;
}

/** Runs the mixed-precision search; returns the model, a report with per-node scores and kept nodes. */
export async function mixedPrecision(model: Model, options: MixedOptions = {}): Promise<PassResult<MixedStat>> {
  const o = { ...MIXED_DEFAULTS, ...options };
  const report = newReport<MixedStat>(MIXED_NAME, { ...o, samples: o.samples ? `${o.samples.count} samples` : undefined });
  // Nodes need names to be kept by name.
  const m0 = cloneModel(model);
  const namer = createNamer(m0.graph);
  for (const n of m0.graph.nodes) if (!n.name) n.name = namer(n.opType);
  const samples = o.samples ?? feedsSource(randomFeeds(m0, o.sampleCount, { seed: 17 }));
  const types = propagateElemTypes(m0.graph);
  const floatOut = (n: Node): boolean => n.outputs.some((v) => v && types.get(v) === DataType.FLOAT);
  const candidates = m0.graph.nodes.filter(
    (n) => floatOut(n) && n.opType !== 'Constant' && (o.target === 'fp16' || ['MatMul', 'Gemm', 'Conv'].includes(n.opType)),
  );
  const sensitivity = await measureSensitivity(m0, types, samples, o);
  const ranked = rankNodes(m0, candidates, sensitivity);
  const k = await searchKeepCount(m0, ranked, samples, sensitivity.refOut, o, report);
  const keep = ranked.slice(0, k.best);
  const out = lower(
    m0,
    o.target,
    keep.map((s) => s.node),
    o,
  );
  report.details = mixedDetails(o, ranked, keep, k) as unknown as Record<string, unknown>;
  report.stats.candidates = ranked.length;
  report.stats.nodesKept = k.best;
  report.stats.evaluations = k.evaluations;
  // Replace the inner pass's record by one for the whole search.
  const rec = out.metadataProps.find((e) => e.key === PASSES_METADATA_KEY);
  if (rec) {
    const prior = model.metadataProps.find((e) => e.key === PASSES_METADATA_KEY);
    if (prior) rec.value = prior.value;
    else out.metadataProps = out.metadataProps.filter((e) => e !== rec);
  }
  recordPass(out, MIXED_NAME, { target: o.target, maxError: o.maxError, keptNodes: keep.map((s) => s.node), samples: samples.count });
  verifyModel(out, `pass ${MIXED_NAME}`);
  return { model: out, report };
}

/** 1. Sensitivity: one run of the reference and the fully lowered model per sample, all float intermediates exposed. */
async function measureSensitivity(m0: Model, types: Map<Value, number>, samples: SampleSource, o: MixedResolved): Promise<Sensitivity> {
  const lowered = lower(m0, o.target, [], o);
  const names = new Set<string>();
  for (const n of m0.graph.nodes) for (const v of n.outputs) if (v && types.get(v) === DataType.FLOAT) names.add(v.name);
  const refAug = withExtraOutputs(m0, names).model;
  const lowAug = withExtraOutputs(lowered, names).model;
  const outNames = m0.graph.outputs.map((v) => v.name);
  const r: Sensitivity = { refOut: [], err: new Map(), nonFin: new Set() };
  const rs = await openSession(refAug, o.ep ?? MIXED_DEFAULT_EP, SEARCH_SESSION);
  const ls = await openSession(lowAug, o.ep ?? MIXED_DEFAULT_EP, SEARCH_SESSION);
  try {
    for (let i = 0; i < samples.count; i++) {
      const feeds = samples.get(i);
      const a = await rs.run(adaptFeeds(refAug, feeds));
      const b = await ls.run(adaptFeeds(lowAug, feeds));
      const keepOut: Record<string, Float32Array> = {};
      for (const k of outNames) if (a[k]) keepOut[k] = toFloat32(a[k]);
      r.refOut.push(keepOut);
      for (const k of names) {
        const x = a[k];
        const y = b[k];
        if (!x || !y) continue;
        const s = compareArrays(toFloat32(x), toFloat32(y));
        if (s.nonFinite) r.nonFin.add(k);
        r.err.set(k, Math.max(r.err.get(k) ?? 0, s.relL2));
      }
    }
  } finally {
    await rs.release();
    await ls.release();
  }
  return r;
}

/**
 * Each candidate's score: the error it adds (output − worst input error). Overflow sources (finite inputs →
 * NaN/Inf) score Infinity; nodes downstream of an overflow cannot be measured, so they rank right after the
 * sources in topological order (an overflowing region is kept from its start until its values are back in range).
 */
function rankNodes(m0: Model, candidates: readonly Node[], { err, nonFin }: Sensitivity): NodeScore[] {
  const topo = new Map(m0.graph.nodes.map((n, i) => [n.name, i]));
  const scores: NodeScore[] = candidates.map((n) => {
    const outE = Math.max(0, ...n.outputs.map((v) => (v ? (err.get(v.name) ?? 0) : 0)));
    const inE = Math.max(0, ...n.inputs.map((v) => (v && !v.initializer ? (err.get(v.name) ?? 0) : 0)));
    const outBad = n.outputs.some((v) => v && nonFin.has(v.name));
    const inBad = n.inputs.some((v) => v && nonFin.has(v.name));
    const score = outBad && !inBad ? Infinity : outBad ? Number.MAX_VALUE : Number.isFinite(outE) && Number.isFinite(inE) ? outE - inE : 0;
    return { node: n.name, opType: n.opType, score, outputError: outE, inputError: inE };
  });
  return [...scores].sort((a, b) => b.score - a.score || (topo.get(a.node) ?? 0) - (topo.get(b.node) ?? 0));
}

/** 2. The smallest k (top-ranked nodes kept float32) meeting the budget: doubling, then bisection. */
async function searchKeepCount(
  m0: Model,
  ranked: readonly NodeScore[],
  samples: SampleSource,
  refOut: Record<string, Float32Array>[],
  o: MixedResolved,
  report: PassReport<MixedStat>,
): Promise<KeepCount> {
  let evaluations = 0;
  const evalK = async (k: number): Promise<ErrorStats> => {
    evaluations++;
    return outputError(
      lower(
        m0,
        o.target,
        ranked.slice(0, k).map((s) => s.node),
        o,
      ),
      samples,
      refOut,
      o.ep ?? MIXED_DEFAULT_EP,
    );
  };
  const plain = await evalK(0);
  let best = 0;
  let bestErr = plain;
  if (plain.relL2 > o.maxError) {
    let lo = 0;
    let hi = 1;
    let hiErr: ErrorStats | undefined;
    while (hi <= ranked.length) {
      const e = await evalK(hi);
      if (e.relL2 <= o.maxError) {
        hiErr = e;
        break;
      }
      lo = hi;
      if (hi === ranked.length) break;
      hi = Math.min(ranked.length, hi * 2);
    }
    if (!hiErr) {
      report.warnings.push({
        pass: MIXED_NAME,
        code: 'budget-not-met',
        message: `keeping all ${ranked.length} candidate nodes in float32 still gives relative L2 above ${o.maxError}`,
      });
      best = ranked.length;
      bestErr = await evalK(best);
    } else {
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        const e = await evalK(mid);
        if (e.relL2 <= o.maxError) {
          hi = mid;
          hiErr = e;
        } else lo = mid;
      }
      best = hi;
      bestErr = hiErr;
    }
  }
  return { best, plain, bestErr, evaluations };
}

function mixedDetails(o: MixedResolved, ranked: NodeScore[], keep: readonly NodeScore[], k: KeepCount): MixedDetails {
  return {
    metric: 'relative-l2',
    maxError: o.maxError,
    target: o.target,
    plainError: k.plain,
    finalError: k.bestErr,
    kept: keep.map((s, i) => ({
      ...s,
      rank: i + 1,
      reason: `${s.score === Number.MAX_VALUE ? 'downstream of an overflow (NaN/Inf inputs)' : Number.isFinite(s.score) ? `adds relative L2 ${s.score.toExponential(2)}` : 'turns finite inputs into NaN/Inf'} (output ${s.outputError.toExponential(2)}, inputs ${s.inputError.toExponential(2)}); rank ${i + 1} of ${ranked.length}; keeping the top ${k.best} meets ${o.maxError}`,
    })),
    scores: ranked,
    evaluations: k.evaluations,
  };
}
