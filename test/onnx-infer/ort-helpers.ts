/**
 * Test helpers: run a model on ONNX Runtime's CPU EP with every probed value as a graph output, and compare
 * the shapes ORT produces with those inferShapes gives.
 */
import { DataType } from '../../src/onnx/dtype.js';
import { cloneModel, walkGraphs } from '../../src/onnx/graph-utils.js';
import { getShape, inferShapes, type InferOptions } from '../../src/onnx/shape-inference.js';
import type { Dim, Graph, Model, Value } from '../../src/onnx/types.js';
import { serializeModel } from '../../src/onnx/write-model.js';
import { createSession, type HostTensor } from '../../src/runtime/index.js';

/** A value by name in a graph or its subgraphs. */
export function findValue(g: Graph, name: string): Value | undefined {
  let found: Value | undefined;
  walkGraphs(g, (sg) => {
    for (const v of [...sg.inputs, ...sg.initializers, ...sg.outputs]) if (v.name === name) found ??= v;
    for (const n of sg.nodes) for (const o of n.outputs) if (o?.name === name) found ??= o;
  });
  return found;
}

const HOST: Record<number, HostTensor['type']> = { 1: 'float32', 7: 'int64', 9: 'bool', 6: 'int32', 2: 'uint8', 10: 'float16' };

/** A deterministic feed for an input of this type and shape. */
export function feed(elemType: number, dims: number[], fill?: (i: number) => number): HostTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const at = fill ?? ((i: number): number => Math.sin(i * 0.37) * 2);
  const type = HOST[elemType];
  if (!type) throw new Error(`no feed for type ${elemType}`);
  if (type === 'int64') return { type, dims, data: BigInt64Array.from({ length: n }, (_, i) => BigInt(Math.round(at(i)))) };
  if (type === 'bool' || type === 'uint8') return { type, dims, data: Uint8Array.from({ length: n }, (_, i) => (at(i) > 0 ? 1 : 0)) };
  return { type, dims, data: Float32Array.from({ length: n }, (_, i) => at(i)) };
}

export interface ShapeComparison {
  name: string;
  inferred: Dim[] | undefined;
  actual: number[];
}

/** Infers shapes, runs the model with every probe as an extra output and returns both shapes per probe. */
export async function compareWithOrt(
  model: Model,
  probes: string[],
  feeds: Record<string, HostTensor>,
  options: InferOptions = {},
): Promise<ShapeComparison[]> {
  const inferred = inferShapes(model, { strict: true, ...options });
  const run = cloneModel(model);
  run.graph.outputs = [];
  for (const name of probes) {
    const v = findValue(run.graph, name);
    const iv = findValue(inferred.graph, name);
    if (!v || !iv) throw new Error(`no value '${name}'`);
    // Declared element type only: ORT must not see (and merge) the shapes under test.
    v.type = { kind: 'tensor', elemType: iv.tensorType?.elemType ?? DataType.FLOAT };
    run.graph.outputs.push(v);
  }
  const session = await createSession(serializeModel(run), { ep: 'cpu' });
  try {
    const out = await session.run(feeds);
    return probes.map((name) => {
      const iv = findValue(inferred.graph, name) as Value;
      const actual = out[name];
      if (!actual) throw new Error(`ORT returned no '${name}'`);
      return { name, inferred: getShape(iv), actual: [...actual.dims] };
    });
  } finally {
    await session.release();
  }
}
