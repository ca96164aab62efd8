/**
 * `inspect`: what a model is, as typed data (renderers: {@link renderInspectText}, JSON).
 */
import { dataTypeName } from '../onnx/dtype.js';
import { countParameters, listAllNodes, opHistogram, walkGraphs } from '../onnx/graph-utils.js';
import type { LoadedModel } from '../onnx/read-model.js';
import type { Tensor, Value } from '../onnx/types.js';

export interface IoEntry {
  name: string;
  type: string;
  shape: (number | string | null)[] | null;
}

export interface InspectReport {
  schemaVersion: 1;
  file: string;
  fileBytes: number;
  irVersion: number;
  producer: string;
  opsets: { domain: string; version: number }[];
  inputs: IoEntry[];
  outputs: IoEntry[];
  nodes: number;
  subgraphs: number;
  opTypes: { op: string; count: number }[];
  parameters: { count: number; bytes: number; tensors: number };
  externalData: { location: string; bytes: number; tensors: number }[];
  metadata: Record<string, string>;
}

function io(v: Value): IoEntry {
  const t = v.type;
  if (!t || t.kind !== 'tensor') return { name: v.name, type: t ? 'non-tensor' : 'unknown', shape: null };
  return { name: v.name, type: dataTypeName(t.elemType), shape: t.shape ? t.shape.map((d) => (d === undefined ? null : d)) : null };
}

export function inspectModel(loaded: LoadedModel): InspectReport {
  const { model } = loaded;
  const g = model.graph;
  const initNames = new Set(g.initializers.map((v) => v.name));
  let subgraphs = -1;
  walkGraphs(g, () => subgraphs++);
  const ext = new Map<string, { bytes: number; tensors: number }>();
  let tensors = 0;
  // Exporters such as spox and paddle2onnx store weights in Constant nodes rather than initializers.
  let constCount = 0;
  let constBytes = 0;
  const seeTensor = (t: Tensor): void => {
    const e = t.external;
    if (!e) return;
    const x = ext.get(e.location) ?? { bytes: 0, tensors: 0 };
    x.tensors++;
    ext.set(e.location, x);
  };
  walkGraphs(g, (sg) => {
    for (const v of sg.initializers) {
      tensors++;
      if (v.initializer) seeTensor(v.initializer);
    }
    for (const n of sg.nodes) {
      if (n.opType !== 'Constant') continue;
      const a = n.attr('value');
      if (a?.type !== 'tensor') continue;
      seeTensor(a.value);
      tensors++;
      constCount += a.value.dims.reduce((p, d) => p * d, 1);
      constBytes += a.value.data.length || (a.value.external?.length ?? 0);
    }
  });
  for (const [loc, x] of ext) x.bytes = loaded.externalFiles.get(loc) ?? 0;
  const init = countParameters(g);
  const params = { count: init.count + constCount, bytes: init.bytes + constBytes };
  return {
    schemaVersion: 1,
    file: loaded.path,
    fileBytes: loaded.fileBytes,
    irVersion: model.irVersion,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    opsets: model.opsetImports.map((o) => ({ domain: o.domain || 'ai.onnx', version: o.version })),
    // Inputs that are also initializers (IR < 4 style) are weights, not model inputs.
    inputs: g.inputs.filter((v) => !initNames.has(v.name)).map(io),
    outputs: g.outputs.map(io),
    nodes: listAllNodes(g).length,
    subgraphs,
    opTypes: opHistogram(g).map(([op, count]) => ({ op, count })),
    parameters: { count: params.count, bytes: params.bytes, tensors },
    externalData: [...ext.entries()].map(([location, x]) => ({ location, ...x })),
    metadata: Object.fromEntries(model.metadataProps.map((e) => [e.key, e.value])),
  };
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(3)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(3)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

function shapeText(e: IoEntry): string {
  return e.shape ? `[${e.shape.map((d) => (d === null ? '?' : d)).join(', ')}]` : '(rank unknown)';
}

export function renderInspectText(r: InspectReport): string {
  const lines: string[] = [];
  lines.push(`${r.file}  (${formatBytes(r.fileBytes)})`);
  lines.push(`  IR ${r.irVersion}, opsets ${r.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}${r.producer ? `, producer ${r.producer}` : ''}`);
  lines.push('  inputs:');
  for (const i of r.inputs) lines.push(`    ${i.name}: ${i.type} ${shapeText(i)}`);
  lines.push('  outputs:');
  for (const o of r.outputs) lines.push(`    ${o.name}: ${o.type} ${shapeText(o)}`);
  lines.push(`  nodes: ${r.nodes}${r.subgraphs ? ` (incl. ${r.subgraphs} subgraph${r.subgraphs > 1 ? 's' : ''})` : ''}`);
  lines.push(`  parameters: ${formatCount(r.parameters.count)} in ${r.parameters.tensors} tensors, ${formatBytes(r.parameters.bytes)}`);
  if (r.externalData.length) {
    lines.push('  external data:');
    for (const e of r.externalData) lines.push(`    ${e.location}: ${formatBytes(e.bytes)}, ${e.tensors} tensors`);
  } else lines.push('  external data: none');
  lines.push('  op types:');
  const w = Math.max(...r.opTypes.map((o) => o.op.length), 4);
  for (const o of r.opTypes) lines.push(`    ${o.op.padEnd(w)}  ${o.count}`);
  return `${lines.join('\n')}\n`;
}
