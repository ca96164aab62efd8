/**
 * The `pad-channels` pass: every Conv whose input or output channel count is not a multiple of `multiple`
 * gets zero channels up to the next multiple, so cuDNN's FP16 tensor-core kernels get the aligned channels
 * they are built for (TensorRT pads the same way on its own; ORT's CUDA EP does not).
 *
 * Ditto's warp network is the case it was written for: the dense-motion hourglass takes (21 + 1) × (4 + 1) =
 * 110 channels, its last conv maps 142 → 142 at 16×64×64, and the 7×7×7 mask conv 142 → 22 there is the
 * largest conv of the renderer (~140 GFLOP a frame). None of those counts is a multiple of 8.
 *
 * The result is the same function (zero weights add exact zeros; within 1e-6 relative L2 where a kernel
 * blocks the longer sums differently):
 * - **input channels:** a `Pad` adds zero channels to the conv's input, and the weight gets zero columns;
 * - **output channels:** the weight gets zero filters and the bias zeros. The padded output flows on through
 *   a single-consumer chain of channel-wise nodes (BatchNormalization, Relu, LeakyRelu, Sigmoid, Tanh), so
 *   ORT's Conv + BatchNormalization + activation fusions still apply, and a `Slice` after the chain gives the
 *   consumers the original channels.
 *
 * Grouped convs, convs whose weight is not a constant, and counts under `minChannels` (an RGB input, a
 * one-channel map: padding those multiplies their work for nothing) are left alone. Applying the pass twice
 * changes nothing the second time.
 */
import { PassError, UsageError } from '../errors.js';
import { DataType, byteSize, elementCount } from '../onnx/dtype.js';
import { cloneModel, createNamer, listAllNodes } from '../onnx/graph-utils.js';
import { makeTensor } from '../onnx/tensor.js';
import { Node, Value, type Graph, type Model, type Tensor } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import { NodeInserter, addInitializer, bump, constantTensor, intAttr, isOnnxDomain, newReport, recordPass, type PassResult } from './common.js';

export const PAD_CHANNELS_NAME = 'pad-channels';

export interface PadChannelsOptions {
  /** Channel counts become multiples of this (8: what FP16 tensor-core kernels load at once). */
  multiple?: number;
  /** Counts below this are left alone (an RGB input, a one-channel map). */
  minChannels?: number;
}

export const PAD_CHANNELS_DEFAULTS: Required<PadChannelsOptions> = { multiple: 8, minChannels: 16 };

export type PadChannelsStat = 'convsPadded' | 'inputChannelsAdded' | 'outputChannelsAdded' | 'nodesAdded';

/** Channel-wise nodes a padded output flows through before it is sliced back (one data input, channel axis 1). */
const CHANNELWISE = new Set(['BatchNormalization', 'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh']);

/** The options, validated: whole numbers ≥ 1. */
export function padChannelsOptions(o: PadChannelsOptions = {}): Required<PadChannelsOptions> {
  const r = { ...PAD_CHANNELS_DEFAULTS, ...o };
  for (const k of ['multiple', 'minChannels'] as const)
    if (!Number.isInteger(r[k]) || r[k] < 1) throw new UsageError(`pass ${PAD_CHANNELS_NAME}: ${k} must be a whole number ≥ 1, got ${String(o[k])}`);
  return r;
}

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** A copy of `t` ([d0, d1, ...]) zero-padded to [n0, n1, ...] along its first two axes (bytes, any element type). */
function padLeadingAxes(t: Tensor, name: string, n0: number, n1: number): Tensor {
  const [d0 = 0, d1 = 1, ...rest] = t.dims;
  const inner = byteSize(t.dataType, elementCount(rest));
  const out = new Uint8Array(byteSize(t.dataType, n0 * n1 * elementCount(rest)));
  const src = t.data;
  for (let i = 0; i < d0; i++) for (let j = 0; j < d1; j++) out.set(src.subarray((i * d1 + j) * inner, (i * d1 + j + 1) * inner), (i * n1 + j) * inner);
  return makeTensor(name, t.dataType, t.dims.length === 1 ? [n0] : [n0, n1, ...rest], out);
}

/** `t` ([C]) padded to [n] with `fill` (0 or 1; float or float16 per-channel parameters). */
function padVector(t: Tensor, name: string, n: number, fill: 0 | 1): Tensor {
  const one = t.dataType === DataType.FLOAT ? Float32Array.of(1) : t.dataType === DataType.FLOAT16 ? Uint16Array.of(0x3c00) : undefined; // 0x3c00: 1.0 in float16
  if (!one) throw new PassError(PAD_CHANNELS_NAME, undefined, `tensor '${t.name}': per-channel parameters of type ${t.dataType} (float or float16 expected)`);
  const size = one.BYTES_PER_ELEMENT;
  const out = new Uint8Array(n * size);
  // Byte copies: t.data may be a view into a file's buffer (a Node Buffer, whose slice() does not copy).
  out.set(t.data.subarray(0, (t.dims[0] ?? 0) * size));
  if (fill === 1) {
    const oneBytes = new Uint8Array(one.buffer);
    for (let i = t.dims[0] ?? 0; i < n; i++) out.set(oneBytes, i * size);
  }
  return makeTensor(name, t.dataType, [n], out);
}

/** A value like `v` with `channels` on axis 1 (the shape kept when known). */
function withChannels(v: Value, name: string, channels: number): Value {
  const t = v.tensorType;
  const shape = t?.shape ? t.shape.map((d, i) => (i === 1 ? channels : d)) : undefined;
  return new Value(name, t ? { kind: 'tensor', elemType: t.elemType, ...(shape ? { shape } : {}) } : undefined);
}

interface Plan {
  conv: Node;
  weight: Tensor;
  cin: number;
  cout: number;
  newCin: number;
  newCout: number;
}

/** The convs to pad: group 1, constant weight, a count ≥ minChannels that is not a multiple. */
function planConvs(g: Graph, o: Required<PadChannelsOptions>): Plan[] {
  const plans: Plan[] = [];
  const target = (c: number): number => (c >= o.minChannels && c % o.multiple !== 0 ? roundUp(c, o.multiple) : c);
  for (const n of g.nodes) {
    if (n.opType !== 'Conv' || !isOnnxDomain(n) || intAttr(n, 'group', 1) !== 1) continue;
    const weight = constantTensor(n.inputs[1]);
    if (!weight || weight.dims.length < 3) continue;
    const [cout = 0, cin = 0] = weight.dims;
    const newCin = target(cin);
    const newCout = target(cout);
    if (newCin !== cin || newCout !== cout) plans.push({ conv: n, weight, cin, cout, newCin, newCout });
  }
  return plans;
}

/** Which nodes read each value, and whether it is a graph output. */
function consumersOf(g: Graph): Map<Value, Node[]> {
  const m = new Map<Value, Node[]>();
  for (const n of g.nodes)
    for (const v of n.inputs) {
      if (!v) continue;
      const l = m.get(v);
      if (l) l.push(n);
      else m.set(v, [n]);
    }
  return m;
}

/** Runs the pass; `model` is not modified. */
export function padChannelsWithReport(model: Model, options: PadChannelsOptions = {}): PassResult<PadChannelsStat> {
  const o = padChannelsOptions(options);
  const report = newReport<PadChannelsStat>(PAD_CHANNELS_NAME, o);
  const m = cloneModel(model);
  const g = m.graph;
  const namer = createNamer(g);
  const ins = new NodeInserter(g);
  const consumers = consumersOf(g);
  const outputs = new Set(g.outputs);
  const replaced = new Set<Value>();
  // The weights, biases and norm parameters the pass replaced: dropped at the end unless something else reads them.
  const superseded = new Set<Value>();
  const replaceInput = (n: Node, i: number, v: Value): void => {
    const old = n.inputs[i];
    if (old) superseded.add(old);
    n.inputs[i] = v;
  };
  const int64 = (base: string, v: number[]): Value => addInitializer(g, makeTensor(namer(base), DataType.INT64, [v.length], BigInt64Array.from(v.map(BigInt))));
  const add = (): void => bump(report, 'nodesAdded');
  // One Pad per (value, channel count): convs that read the same input share it.
  const padded = new Map<string, Value>();

  for (const p of planConvs(g, o)) {
    const { conv, weight, cin, cout, newCin, newCout } = p;
    const x = conv.inputs[0];
    if (!x) throw new PassError(PAD_CHANNELS_NAME, conv.name, 'Conv without an input');
    // The weight [Cout, Cin, k...] and bias [Cout], zero-padded; new initializers (the old may be shared).
    replaceInput(conv, 1, addInitializer(g, padLeadingAxes(weight, namer(`${weight.name}_padded`), newCout, newCin)));
    const bias = constantTensor(conv.inputs[2]);
    if (conv.inputs[2] && !bias) throw new PassError(PAD_CHANNELS_NAME, conv.name, 'the bias is not a constant');
    if (bias && newCout !== cout) replaceInput(conv, 2, addInitializer(g, padVector(bias, namer(`${bias.name}_padded`), newCout, 0)));

    if (newCin !== cin) {
      const rank = weight.dims.length;
      const key = `${x.name}\u0000${newCin}`;
      let xp = padded.get(key);
      if (!xp) {
        const pads = new Array<number>(2 * rank).fill(0);
        pads[rank + 1] = newCin - cin;
        xp = withChannels(x, namer(`${x.name}_padded`), newCin);
        const pad = new Node('Pad', namer(`${conv.name}/pad_channels`), [x, int64(`${conv.name}/pad_channels_pads`, pads)], [xp]);
        xp.producer = pad;
        ins.insertBefore(conv, pad);
        add();
        padded.set(key, xp);
      }
      conv.inputs[0] = xp;
      bump(report, 'inputChannelsAdded', newCin - cin);
    }

    if (newCout !== cout) {
      padOutput(g, conv, cout, newCout, { consumers, outputs, replaced, namer, int64, ins, add, replaceInput });
      bump(report, 'outputChannelsAdded', newCout - cout);
    }
    bump(report, 'convsPadded');
  }
  ins.apply();
  g.valueInfo = g.valueInfo.filter((v) => !replaced.has(v));
  dropReplacedConstants(g, superseded);
  recordPass(m, PAD_CHANNELS_NAME, o);
  verifyModel(m, `pass ${PAD_CHANNELS_NAME}`);
  return { model: m, report };
}

interface OutputCtx {
  consumers: Map<Value, Node[]>;
  outputs: Set<Value>;
  replaced: Set<Value>;
  namer: (base: string) => string;
  int64: (base: string, v: number[]) => Value;
  ins: NodeInserter;
  add: () => void;
  replaceInput: (n: Node, i: number, v: Value) => void;
}

/**
 * The conv now writes `newCout` channels: the padded value flows through the single-consumer channel-wise
 * chain after it (BatchNormalization's parameters padded with scale 1, bias 0, mean 0, var 1), then a Slice
 * hands the chain's last value, under its own identity, back with `cout` channels.
 */
function padOutput(g: Graph, conv: Node, cout: number, newCout: number, c: OutputCtx): void {
  const chain: Node[] = [conv];
  let last = conv.outputs[0] as Value;
  for (;;) {
    const users = c.consumers.get(last) ?? [];
    const next = users[0];
    if (users.length !== 1 || !next || c.outputs.has(last) || !isOnnxDomain(next) || !CHANNELWISE.has(next.opType) || next.inputs[0] !== last) break;
    if (next.outputs.filter(Boolean).length !== 1) break;
    if (next.opType === 'BatchNormalization' && !next.inputs.slice(1, 5).every((v) => constantTensor(v))) break;
    chain.push(next);
    last = next.outputs[0] as Value;
  }
  // Every value along the chain becomes a padded one; `last` keeps its identity as the Slice's output.
  let prev: Value | undefined;
  for (const n of chain) {
    if (prev) n.inputs[0] = prev;
    if (n.opType === 'BatchNormalization') {
      const fills = [1, 0, 0, 1] as const;
      for (let i = 1; i <= 4; i++) {
        const t = constantTensor(n.inputs[i]) as Tensor;
        c.replaceInput(n, i, addInitializer(g, padVector(t, c.namer(`${t.name}_padded`), newCout, fills[i - 1] ?? 0)));
      }
    }
    const old = n.outputs[0] as Value;
    const v = withChannels(old, c.namer(`${old.name}_padded`), newCout);
    v.producer = n;
    n.outputs[0] = v;
    if (old !== last) c.replaced.add(old);
    prev = v;
  }
  const tail = chain[chain.length - 1] as Node;
  const slice = new Node(
    'Slice',
    c.namer(`${conv.name}/slice_channels`),
    [prev, c.int64(`${conv.name}/slice_starts`, [0]), c.int64(`${conv.name}/slice_ends`, [cout]), c.int64(`${conv.name}/slice_axes`, [1])],
    [last],
  );
  last.producer = slice;
  c.ins.insertAfter(tail, slice);
  c.add();
}

/** Removes the replaced initializers (and Constant nodes) that nothing reads any more, subgraphs included. */
function dropReplacedConstants(g: Graph, superseded: Set<Value>): void {
  const used = new Set<Value>(g.outputs);
  for (const n of listAllNodes(g)) for (const v of n.inputs) if (v) used.add(v);
  const gone = (v: Value): boolean => superseded.has(v) && !used.has(v);
  g.initializers = g.initializers.filter((v) => !gone(v));
  g.nodes = g.nodes.filter((n) => !(n.opType === 'Constant' && n.outputs.every((v) => !v || gone(v))));
}

export function padChannels(model: Model, options: PadChannelsOptions = {}): Model {
  return padChannelsWithReport(model, options).model;
}
