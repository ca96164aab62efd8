/**
 * GPU job body (bundled to .gpubundle/render-calls.mjs by bundle.sh), issue 16's per-call grid in ONE process:
 * Ditto's render per frame for batch 1, 4, 8 and 16, as three graphs (stitch, warp, decoder; the batch pass on
 * each) or one composed renderer (source as inputs, or baked), FP32 and FP16, on each backend: node (host IO),
 * native with device IO, and native with device IO and a CUDA graph. And LMDM per window: 50 one-step calls
 * against one diffusion-loop call. Each model is timed by compareModels (warm-up, then `runs` timed calls,
 * median); per-frame ms = median call ms / batch, and the three-graph path is the sum of its three medians.
 * Usage:
 *   node .gpubundle/render-calls.mjs <manifest.json> <out.json> [runs] [warmup]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compareModels, type CompareRow } from '../../src/compare/compare-models.js';
import type { Role } from '../../src/models/manifest.js';
import { readModel } from '../../src/onnx/read-model.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { batch } from '../../src/quantize/batch.js';
import { diffusionLoop } from '../../src/quantize/diffusion-loop.js';
import { fp16 } from '../../src/quantize/fp16.js';
import { buildRenderer } from '../../src/runner/build-renderer.js';
import { nativeRuntimeVersion, nativeUnavailable } from '../../src/runtime/index.js';

const [manifest, outFile, runsArg, warmupArg] = process.argv.slice(2);
if (!manifest || !outFile) {
  process.stderr.write('usage: render-calls.mjs <manifest.json> <out.json> [runs] [warmup]\n');
  process.exit(2);
}
const runs = Number(runsArg ?? 30);
const warmup = Number(warmupArg ?? 5);
const ep = process.env.WB_EP === 'cpu' ? 'cpu' : 'cuda';
const BATCHES = (process.env.WB_BATCHES ?? '1,4,8,16').split(',').map(Number);
const SETS: Record<string, string>[] = ep === 'cuda' ? [{}, { enable_cuda_graph: '1' }] : [{}];
const dir = join(tmpdir(), `render-calls-${process.pid}`);
mkdirSync(dir, { recursive: true });
const m = JSON.parse(readFileSync(manifest, 'utf8')) as { roles: Record<string, { file: string }>; config: { steps?: number } };
const roleFile = (role: Role): string => join(dirname(manifest), (m.roles[role] as { file: string }).file);

interface Timed {
  backend: string;
  providerOptions: Record<string, string>;
  callMs: number;
  p90Ms: number;
  failed?: string;
}
const result: {
  schemaVersion: 1;
  kind: 'render-calls';
  createdAt: string;
  ep: string;
  runs: number;
  warmup: number;
  ortVersion?: string;
  nativeUnavailable?: string;
  render: unknown[];
  lmdm: unknown[];
} = {
  schemaVersion: 1,
  kind: 'render-calls',
  createdAt: new Date().toISOString(),
  ep,
  runs,
  warmup,
  render: [],
  lmdm: [],
};
const why = nativeUnavailable();
if (why) result.nativeUnavailable = why;
const version = nativeRuntimeVersion();
if (version) result.ortVersion = version;
const save = (): void => writeFileSync(outFile, `${JSON.stringify(result, null, 1)}\n`);

async function time(file: string, label: string, dims: Record<string, number> = {}): Promise<Timed[]> {
  const r = await compareModels({
    baseline: file,
    variants: [],
    labels: [label],
    ep,
    runs,
    warmup,
    dims,
    backends: ['node', 'native'],
    providerOptionSets: SETS,
    deviceIo: 'native',
    maxSecondsPerModel: 25,
  });
  return r.rows.map((row: CompareRow) => ({
    backend: row.backend,
    providerOptions: row.providerOptions,
    callMs: row.latencyMs.median,
    p90Ms: row.latencyMs.p90,
    ...(row.failed ? { failed: row.failed } : {}),
  }));
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

// The FP16 role files (the sweep's fp16 pass with its defaults) for the FP16 rows.
const fp16Files: Partial<Record<Role, string>> = {};
for (const role of ['stitch_network', 'warp_network', 'decoder'] as const) {
  fp16Files[role] = join(dir, `${role}.fp16.onnx`);
  writeModel(fp16(readModel(roleFile(role)).model), fp16Files[role] as string, { externalDataThreshold: 1024 });
}

for (const precision of ['fp32', 'fp16'] as const) {
  const files = precision === 'fp16' ? fp16Files : {};
  const source = (role: Role): string => files[role] ?? roleFile(role);
  for (const b of BATCHES) {
    // Three graphs: the per-frame roles, batched.
    if (precision === 'fp32' || b === 8) {
      const parts: Record<string, Timed[]> = {};
      for (const [role, inputs] of [
        ['stitch_network', ['kp_source', 'kp_driving']],
        ['warp_network', ['feature_3d', 'kp_source', 'kp_driving']],
        ['decoder', ['feature']],
      ] as const) {
        const f = join(dir, `${role}.${precision}.b${b}.onnx`);
        const model = readModel(source(role)).model;
        writeModel(b > 1 ? batch(model, { size: b, inputs: [...inputs] }) : model, f, { externalDataThreshold: 1024 });
        log(`${precision} three graphs b${b}: ${role}`);
        parts[role] = await time(f, `${role} b${b}`);
      }
      const rows = (parts.stitch_network ?? []).map((s, i) => {
        const all = [s, parts.warp_network?.[i], parts.decoder?.[i]] as Timed[];
        const failed = all.find((t) => t?.failed)?.failed;
        const callMs = all.reduce((a, t) => a + (t?.callMs ?? NaN), 0);
        return { backend: s.backend, providerOptions: s.providerOptions, callMs, frameMs: callMs / b, ...(failed ? { failed } : {}) };
      });
      result.render.push({ precision, graph: 'three', batch: b, calls: 3, rows, parts });
      save();
    }
    for (const graph of ['composed', 'baked'] as const) {
      if (precision === 'fp16' && graph === 'composed') continue;
      const f = join(dir, `renderer.${precision}.${graph}.b${b}.onnx`);
      const t0 = performance.now();
      const built = await buildRenderer({ manifest, roleFiles: files, batch: b, ...(graph === 'baked' ? { bakeSource: 'synthetic' } : {}) });
      writeModel(built.model, f, { externalDataThreshold: 1024 });
      log(`${precision} ${graph} b${b} built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const rows = (await time(f, `renderer ${graph} b${b}`)).map((t) => ({ ...t, frameMs: t.callMs / b }));
      for (const r of rows) log(`  ${r.backend} ${JSON.stringify(r.providerOptions)} ${r.failed ? `FAILED ${r.failed}` : `${r.frameMs.toFixed(2)} ms/frame`}`);
      result.render.push({ precision, graph, batch: b, calls: 1, rows });
      save();
    }
  }
}

// LMDM per window: 50 one-step calls against one loop call.
const steps = 50;
log('lmdm one step');
const step = await time(roleFile('lmdm'), 'lmdm step');
result.lmdm.push({ kind: '50 calls', steps, rows: step.map((t) => ({ ...t, windowMs: t.callMs * steps })) });
const loopFile = join(dir, 'lmdm.loop.onnx');
writeModel(diffusionLoop(readModel(roleFile('lmdm')).model, { steps }), loopFile, { externalDataThreshold: 1024 });
log('lmdm loop');
const loop = await time(loopFile, 'lmdm loop', { S: steps, N: steps, steps });
result.lmdm.push({ kind: 'one loop call', steps, rows: loop.map((t) => ({ ...t, windowMs: t.callMs })) });
save();
log(`wrote ${outFile}`);
