/** Candidate models for gate tests: perturbed decoder weights, a decoder with a heavy dead MatMul chain, a broken file. */
import { writeFileSync } from 'node:fs';
import { DataType } from '../../src/onnx/dtype.js';
import { readModel } from '../../src/onnx/read-model.js';
import { makeTensor, readFloats } from '../../src/onnx/tensor.js';
import { Node, Value, type Model } from '../../src/onnx/types.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { createRng } from '../../src/onnx/rng.js';

/**
 * Adds seeded noise (relative std `scale`, absolute `scale` for all-zero tensors such as biases) to every
 * Conv/MatMul weight and bias of the model; returns how many tensors were changed.
 */
export function perturbWeights(src: string, dst: string, scale = 0.5): number {
  const model = readModel(src).model;
  const rng = createRng(7);
  let changed = 0;
  // Only weights and biases of Conv/MatMul-like nodes: shape-like float constants (Resize scales) must stay.
  const params = new Set<Value>();
  for (const n of model.graph.nodes)
    if (['Conv', 'ConvTranspose', 'MatMul', 'Gemm'].includes(n.opType)) for (const x of n.inputs.slice(1)) if (x) params.add(x);
  for (const v of model.graph.initializers) {
    const t = v.initializer;
    if (!t || t.dataType !== DataType.FLOAT || !params.has(v)) continue;
    const vals = Float32Array.from(readFloats(t));
    let s = 0;
    for (const x of vals) s += x * x;
    const std = Math.sqrt(s / Math.max(1, vals.length)) || 1;
    const noise = new Float32Array(vals.length);
    rng.fillUniform(noise, std * scale, 0);
    for (let i = 0; i < vals.length; i++) vals[i] = (vals[i] as number) + (noise[i] as number);
    v.initializer = makeTensor(t.name, DataType.FLOAT, t.dims, vals);
    changed++;
  }
  writeModel(model, dst);
  return changed;
}

function node(m: Model, op: string, name: string, inputs: Value[], attrs: Node['attributes'] = []): Value {
  const out = new Value(`${name}_out`);
  const n = new Node(op, name, inputs, [out]);
  n.attributes = attrs;
  out.producer = n;
  m.graph.nodes.push(n);
  return out;
}

function init(m: Model, name: string, dims: number[], fill: (i: number) => number): Value {
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = fill(i);
  const v = new Value(name, { kind: 'tensor', elemType: DataType.FLOAT, shape: dims });
  v.initializer = makeTensor(name, DataType.FLOAT, dims, data);
  m.graph.initializers.push(v);
  return v;
}

/**
 * The decoder plus a chain of `depth` [rows×1024]·[1024×1024] MatMuls fed from its input, whose sum is added
 * ×0 to the output: same frames, much slower.
 */
export function slowDecoder(src: string, dst: string, depth = 8, rows = 1024): void {
  const m = readModel(src).model;
  const g = m.graph;
  const input = g.inputs[0];
  const output = g.outputs[0];
  if (!input || !output?.producer) throw new Error('decoder without input/output');
  const finalName = output.name;
  output.name = `${finalName}_before_dead_chain`;
  const mean = node(m, 'ReduceMean', 'dead_mean', [input], [{ name: 'keepdims', attr: { type: 'int', value: 0n } }]);
  const x = init(m, 'dead_x', [rows, 1024], (i) => ((i % 97) - 48) / 480);
  let a = node(m, 'Mul', 'dead_scale', [x, mean]);
  const w = init(m, 'dead_w', [1024, 1024], (i) => ((i % 89) - 44) / 44 / 32);
  for (let k = 0; k < depth; k++) a = node(m, 'MatMul', `dead_matmul_${k}`, [a, w]);
  const sum = node(m, 'ReduceSum', 'dead_sum', [a], [{ name: 'keepdims', attr: { type: 'int', value: 0n } }]);
  const zero = init(m, 'dead_zero', [], () => 0);
  const z = node(m, 'Mul', 'dead_times_zero', [sum, zero]);
  const out = node(m, 'Add', 'dead_add', [output, z]);
  out.name = finalName;
  out.type = output.type;
  g.outputs[0] = out;
  writeModel(m, dst);
}

/** Bytes that are not an ONNX model. */
export function brokenModel(dst: string): void {
  writeFileSync(dst, Buffer.from('this is not an onnx model, just text pretending to be a decoder\n'));
}

/** A small well-formedness check of XML: balanced, properly nested tags; returns element names in document order. */
export function parseXmlElements(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, '');
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    if (m[6]) throw new Error(`malformed tag at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
    if (m[5] !== undefined) {
      if (/&(?!amp;|lt;|gt;|quot;|apos;)/.test(m[5])) throw new Error(`bare & in text at ${m.index}`);
      continue;
    }
    const [, close, name, , selfClose] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
    } else {
      names.push(name as string);
      if (!selfClose) stack.push(name as string);
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  return names;
}
