/**
 * The `render-graph` pass: Ditto's per-frame stitch → warp → decoder as one renderer graph, built with
 * `compose` (stitch `out` → warp `kp_driving`, warp `out` → decoder `feature`; `kp_source` is shared by
 * stitch and warp). Inputs `kp_source` [1,K,3], `kp_driving` [1,K,3], `feature_3d` [1,C,D,H,W]; output
 * `output` [1,3,S,S] (the decoder's).
 *
 * With `bakeSource`, one avatar's appearance volume (`feature_3d`) and source keypoints (`kp_source`)
 * become initializers: a realtime avatar keeps its source image, so per frame only `kp_driving` goes in
 * and only the frame comes out. The record keeps the baked keypoints so the runner can refuse a renderer
 * baked for another source image.
 */
import { PassError } from '../errors.js';
import { DataType, float32ToFloat16 } from '../onnx/dtype.js';
import { makeTensor } from '../onnx/tensor.js';
import type { Model, Value } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import { readPassRecords, recordPass, type PassReport, type PassResult } from './common.js';
import { composeWithReport, type ComposeStat } from './compose.js';

export const RENDER_GRAPH_NAME = 'render-graph';

/** The render-graph pass's counters. */
export type RenderGraphStat = ComposeStat | 'bakedValues';

/** The renderer's contract names. */
export const RENDER_IO = { kpSource: 'kp_source', kpDriving: 'kp_driving', feature: 'feature_3d', output: 'output' } as const;

export interface BakedSource {
  /** The appearance extractor's `pred` [1,C,D,H,W]. */
  feature3d: { dims: readonly number[]; data: Float32Array };
  /** The source keypoints (motion applied to the canonical ones) [1,K,3]. */
  kpSource: { dims: readonly number[]; data: Float32Array };
}

export interface RenderGraphOptions {
  /** Make the source's feature volume and keypoints initializers (default none: they stay inputs). */
  bakeSource?: BakedSource;
}

export const RENDER_GRAPH_DEFAULTS = {};

export interface RenderGraphRecord {
  baked: boolean;
  /** The baked source keypoints (63 numbers), so a runner can check its source image is the baked one. */
  kpSource?: number[];
}

export interface RenderRoles {
  stitch: Model;
  warp: Model;
  decoder: Model;
}

/** The pass's record in a model, or undefined when it is not a composed renderer. */
export function readRenderGraphRecord(model: Pick<Model, 'metadataProps'>): RenderGraphRecord | undefined {
  const r = readPassRecords(model).find((p) => p.pass === RENDER_GRAPH_NAME);
  return r ? (r.options as unknown as RenderGraphRecord) : undefined;
}

function bake(m: Model, name: string, dims: readonly number[], data: Float32Array): void {
  const g = m.graph;
  const v = g.inputs.find((x) => x.name === name && !x.initializer);
  if (!v) throw new PassError(RENDER_GRAPH_NAME, undefined, `renderer has no input '${name}' to bake`);
  const declared = v.tensorType?.shape;
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new PassError(RENDER_GRAPH_NAME, undefined, `baked '${name}': ${data.length} values for dims [${dims.join(',')}]`);
  if (declared && (declared.length !== dims.length || declared.some((d, i) => typeof d === 'number' && d !== dims[i])))
    throw new PassError(RENDER_GRAPH_NAME, undefined, `baked '${name}': dims [${dims.join(',')}] do not match the input's [${declared.join(',')}]`);
  const type = v.tensorType?.elemType;
  if (type !== DataType.FLOAT && type !== DataType.FLOAT16)
    throw new PassError(RENDER_GRAPH_NAME, undefined, `baked '${name}': the input is neither float32 nor float16`);
  v.initializer =
    type === DataType.FLOAT
      ? makeTensor(name, DataType.FLOAT, [...dims], new Float32Array(data))
      : makeTensor(name, DataType.FLOAT16, [...dims], float32ToFloat16(data));
  v.type = { kind: 'tensor', elemType: type, shape: [...dims] };
  g.inputs = g.inputs.filter((x: Value) => x !== v);
  g.initializers.push(v);
}

/** Runs the pass on the three roles (not modified). */
export function renderGraphWithReport(roles: RenderRoles, options: RenderGraphOptions = {}): PassResult<RenderGraphStat> {
  const composed = composeWithReport([roles.stitch, roles.warp, roles.decoder], {
    links: [
      { from: 'out', fromModel: 0, to: RENDER_IO.kpDriving, toModel: 1 },
      { from: 'out', fromModel: 1, to: 'feature', toModel: 2 },
    ],
    prefixes: ['stitch', 'warp', 'decoder'],
    name: 'renderer',
    // A role lowered to float16 without float32 I/O still composes (a Cast between them).
    castFloatLinks: true,
  });
  const { model } = composed;
  const report: PassReport<RenderGraphStat> = composed.report;
  report.pass = RENDER_GRAPH_NAME;
  const b = options.bakeSource;
  if (b) {
    bake(model, RENDER_IO.feature, b.feature3d.dims, b.feature3d.data);
    bake(model, RENDER_IO.kpSource, b.kpSource.dims, b.kpSource.data);
    report.stats.bakedValues = b.feature3d.data.length + b.kpSource.data.length;
  }
  const record: RenderGraphRecord = { baked: !!b, ...(b ? { kpSource: Array.from(b.kpSource.data) } : {}) };
  recordPass(model, RENDER_GRAPH_NAME, { ...record });
  verifyModel(model, `pass ${RENDER_GRAPH_NAME}`);
  return { model, report };
}

export function renderGraph(roles: RenderRoles, options: RenderGraphOptions = {}): Model {
  return renderGraphWithReport(roles, options).model;
}
