/**
 * The `frame-u8` pass: a renderer's (or decoder's) float frames [N, 3, H, W] in [0, 1] become the 8-bit RGB
 * frames the runner writes, [N, H, W, 3] uint8, inside the graph — so a GPU run hands back a quarter of the
 * bytes and the host does no per-pixel work. The arithmetic is the runner's (media/image.ts tensorToRgb):
 * clamp to [0, 1], × 255, + 0.5, floor — in float64, so every finite value gives the host's byte exactly.
 * (Non-finite values: NaN and +Inf, which the host maps to 0, become whatever the EP's Cast gives.)
 */
import { PassError } from '../errors.js';
import { DataType } from '../onnx/dtype.js';
import { cloneModel, createNamer } from '../onnx/graph-utils.js';
import { Node, Value, type Attribute, type Model } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import { addInitializer, bump, newReport, readPassRecords, recordPass, type PassResult } from './common.js';
import { makeTensor } from '../onnx/tensor.js';

export const FRAME_U8_NAME = 'frame-u8';

export interface FrameU8Options {
  /** The graph output holding the frames (default 'output', the decoder's and the renderer's). */
  output?: string;
}

export const FRAME_U8_DEFAULTS: Required<FrameU8Options> = { output: 'output' };

export type FrameU8Stat = 'nodesAdded';

/** What the pass records: the output it rewrote and its new layout. */
export interface FrameU8Record {
  output: string;
  layout: 'NHWC';
}

const int = (n: number): Attribute => ({ type: 'int', value: BigInt(n) });
const ints = (v: number[]): Attribute => ({ type: 'ints', value: v.map(BigInt) });

export function readFrameU8Record(model: Pick<Model, 'metadataProps'>): FrameU8Record | undefined {
  const r = readPassRecords(model).find((p) => p.pass === FRAME_U8_NAME);
  return r ? (r.options as unknown as FrameU8Record) : undefined;
}

/** Runs the pass; `model` is not modified. */
export function frameU8WithReport(model: Model, options: FrameU8Options = {}): PassResult<FrameU8Stat> {
  const name = options.output ?? FRAME_U8_DEFAULTS.output;
  const report = newReport<FrameU8Stat>(FRAME_U8_NAME, { output: name });
  const m = cloneModel(model);
  const g = m.graph;
  const out = g.outputs.find((v) => v.name === name);
  if (!out) throw new PassError(FRAME_U8_NAME, undefined, `graph output '${name}' missing (outputs: ${g.outputs.map((v) => v.name).join(', ')})`);
  const t = out.tensorType;
  const shape = t?.shape;
  if (t?.elemType !== DataType.FLOAT || !shape || shape.length !== 4 || shape[1] !== 3)
    throw new PassError(
      FRAME_U8_NAME,
      undefined,
      `output '${name}' must be float [N, 3, H, W] frames; it is ${t?.elemType === DataType.FLOAT ? 'float' : `type ${t?.elemType}`} [${(shape ?? []).join(', ')}]`,
    );
  const namer = createNamer(g);
  const scalar = (base: string, v: number): Value => addInitializer(g, makeTensor(namer(base), DataType.DOUBLE, [], Float64Array.of(v)));
  // The frames' producer keeps writing a renamed float value; the tail ends in a value with the output's name.
  const float = new Value(namer(`${name}_float`), { kind: 'tensor', elemType: DataType.FLOAT, shape: [...shape] });
  for (const n of g.nodes) n.outputs = n.outputs.map((v) => (v === out ? float : v));
  if (out.producer) float.producer = out.producer;
  for (const n of g.nodes) n.inputs = n.inputs.map((v) => (v === out ? float : v));
  const step = (op: string, inputs: Value[], elemType: number, attrs: Record<string, Attribute> = {}): Value => {
    const o = new Value(namer(`frame_u8/${op}_out`), { kind: 'tensor', elemType });
    const n = new Node(op, namer(`frame_u8/${op}`), inputs, [o]);
    n.attributes = Object.entries(attrs).map(([k, attr]) => ({ name: k, attr }));
    o.producer = n;
    g.nodes.push(n);
    bump(report, 'nodesAdded');
    return o;
  };
  const d = step('Cast', [float], DataType.DOUBLE, { to: int(DataType.DOUBLE) });
  const clipped = step('Clip', [d, scalar('frame_u8/zero', 0), scalar('frame_u8/one', 1)], DataType.DOUBLE);
  const scaled = step('Add', [step('Mul', [clipped, scalar('frame_u8/scale', 255)], DataType.DOUBLE), scalar('frame_u8/half', 0.5)], DataType.DOUBLE);
  const bytes = step('Cast', [step('Floor', [scaled], DataType.DOUBLE)], DataType.UINT8, { to: int(DataType.UINT8) });
  const nhwc = step('Transpose', [bytes], DataType.UINT8, { perm: ints([0, 2, 3, 1]) });
  // The tail's last value takes the public name and the graph output's place.
  const last = new Value(name, { kind: 'tensor', elemType: DataType.UINT8, shape: [shape[0], shape[2], shape[3], 3] });
  const transpose = nhwc.producer as Node;
  transpose.outputs = [last];
  last.producer = transpose;
  g.outputs = g.outputs.map((v) => (v === out ? last : v));
  g.valueInfo = g.valueInfo.filter((v) => v !== out);
  recordPass(m, FRAME_U8_NAME, { output: name, layout: 'NHWC' } satisfies FrameU8Record);
  verifyModel(m, `pass ${FRAME_U8_NAME}`);
  return { model: m, report };
}

export function frameU8(model: Model, options: FrameU8Options = {}): Model {
  return frameU8WithReport(model, options).model;
}
