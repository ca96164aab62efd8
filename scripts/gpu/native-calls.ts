/**
 * GPU job body (bundled to .gpubundle/native-calls.mjs by bundle.sh): per-call latency of the reference roles
 * under both backends and per CUDA provider-option set, in ONE process. Per role one `compareModels` grid:
 * node (host to host, as onnxruntime-node users call it) against native with device IO for each option set,
 * plus native with host IO (defaults) to separate the binding from the copies. Warm-up, many reps, median and
 * p90; ratios = node median / row median. Usage:
 *   node .gpubundle/native-calls.mjs <manifest.json> <out.json> [runs] [warmup] [roles,comma,separated]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compareModels, type CompareReport } from '../../src/compare/compare-models.js';
import { nativeRuntimeVersion, nativeUnavailable } from '../../src/runtime/index.js';

const [manifest, outFile, runsArg, warmupArg, rolesArg] = process.argv.slice(2);
if (!manifest || !outFile) {
  process.stderr.write('usage: native-calls.mjs <manifest.json> <out.json> [runs] [warmup] [roles]\n');
  process.exit(2);
}
const runs = Number(runsArg ?? 50);
const warmup = Number(warmupArg ?? 10);
// WB_EP=cpu: a smoke run on the CPU (no CUDA sets then: they would be errors there).
const ep = process.env.WB_EP === 'cpu' ? 'cpu' : 'cuda';

// Symbolic dims at the pipeline's call sizes: a HuBERT chunk, a 128-token vocoder bucket, the KV fixed at 255.
const ROLES: Record<string, Record<string, number>> = {
  stitch_network: {},
  warp_network: {},
  decoder: {},
  lmdm: {},
  hubert: { N: 6480 },
  hifigan: { T: 128 },
  gpt_decode: { L: 255, L1: 256 },
};
const SETS: Record<string, string>[] = [
  {},
  { cudnn_conv_algo_search: 'HEURISTIC' },
  { prefer_nhwc: '1' },
  { cudnn_conv_algo_search: 'HEURISTIC', prefer_nhwc: '1' },
  { enable_cuda_graph: '1' },
  { prefer_nhwc: '1', enable_cuda_graph: '1' },
  { cudnn_conv_algo_search: 'HEURISTIC', prefer_nhwc: '1', enable_cuda_graph: '1' },
];

const m = JSON.parse(readFileSync(manifest, 'utf8')) as { roles: Record<string, { file: string }> };
const wanted = rolesArg ? rolesArg.split(',') : Object.keys(ROLES);
const result: {
  schemaVersion: 1;
  kind: 'native-calls';
  createdAt: string;
  ortVersion?: string;
  nativeUnavailable?: string;
  runs: number;
  warmup: number;
  roles: Record<string, unknown>;
} = {
  schemaVersion: 1,
  kind: 'native-calls',
  createdAt: new Date().toISOString(),
  runs,
  warmup,
  roles: {},
};
const why = nativeUnavailable();
if (why) result.nativeUnavailable = why;
const v = nativeRuntimeVersion();
if (v) result.ortVersion = v;

const summary = (r: CompareReport) =>
  r.rows.map((row) => ({
    label: row.label,
    backend: row.backend,
    servedBy: row.servedBy,
    providerOptions: row.providerOptions,
    medianMs: row.latencyMs.median,
    p90Ms: row.latencyMs.p90,
    wallMedianMs: row.wallMs.median,
    ratioVsNode: row.speedup,
    relL2: row.error.relL2,
    timedRuns: row.timedRuns,
    loadSeconds: row.loadSeconds,
    ...(row.failed ? { failed: row.failed } : {}),
  }));

for (const role of wanted) {
  const spec = m.roles[role];
  const dims = ROLES[role];
  if (!spec || !dims) {
    process.stderr.write(`skip ${role}: not in the manifest\n`);
    continue;
  }
  const file = join(dirname(manifest), spec.file);
  const t0 = performance.now();
  process.stderr.write(`== ${role} (${new Date().toISOString().slice(11, 19)})\n`);
  try {
    const grid = await compareModels({
      baseline: file,
      variants: [],
      labels: [role],
      ep,
      runs,
      warmup,
      dims,
      backends: ['node', 'native'],
      providerOptionSets: ep === 'cuda' ? SETS : [{}],
      deviceIo: 'native',
      maxSecondsPerModel: 20,
    });
    const host = await compareModels({
      baseline: file,
      variants: [],
      labels: [`${role} host IO`],
      ep,
      runs,
      warmup,
      dims,
      backends: ['node', 'native'],
      providerOptionSets: [{}],
      deviceIo: false,
      maxSecondsPerModel: 20,
    });
    result.roles[role] = {
      dims,
      seconds: (performance.now() - t0) / 1000,
      deviceIo: summary(grid),
      hostIo: summary(host),
      full: { deviceIo: grid, hostIo: host },
    };
    for (const row of [...summary(grid), ...summary(host)])
      process.stderr.write(
        row.failed
          ? `  ${row.label.padEnd(70)} FAILED: ${row.failed}\n`
          : `  ${row.label.padEnd(70)} ${row.medianMs.toFixed(3).padStart(9)} ms  p90 ${row.p90Ms.toFixed(3)}  ×${row.ratioVsNode.toFixed(2)}  relL2 ${row.relL2.toExponential(1)}\n`,
      );
  } catch (e) {
    result.roles[role] = { dims, error: String((e as Error).message).split('\n')[0] };
    process.stderr.write(`  ${role} failed: ${String((e as Error).message).split('\n')[0]}\n`);
  }
  writeFileSync(outFile, `${JSON.stringify(result, null, 1)}\n`); // after each role: a timeout keeps what ran
}
process.stderr.write(`wrote ${outFile}\n`);
