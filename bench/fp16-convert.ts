/**
 * Benchmark: FP16 conversion of the full-scale XTTS-v2 GPT decode step (30 layers × 1024, ≈1.5 GB of
 * float32 weights in external data), file to file exactly as `workbench optimize --fp16 --keep-io-types
 * --external-data` does it: read, convert, write. Runs in a fresh child process so `maxRSS` is the
 * conversion's own high-water mark.
 *
 * Peer (peer-measurements.md): ORT's `convert_float_to_float16` took 24.7 s on a 1.5 GB GPT probe and
 * peaked at 7.3 GB resident (4.8× the model). Target (issue 5): peak RSS ≤ 1.5 × the model.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builderFor, FULL_SCALE_EXTERNAL_THRESHOLD } from '../src/models/build.js';
import { countParameters } from '../src/onnx/graph-utils.js';
import { readModel } from '../src/onnx/read-model.js';
import { writeModel } from '../src/onnx/write-model.js';
import { optimize } from '../src/quantize/optimize.js';

export interface Fp16ChildResult {
  /** model file + its external data, bytes. */
  inputBytes: number;
  outputBytes: number;
  parameters: number;
  readMs: number;
  convertMs: number;
  writeMs: number;
  totalMs: number;
  peakRssBytes: number;
  nodesConverted: number;
  castsInserted: number;
}

export interface Fp16BenchResult extends Fp16ChildResult {
  schemaVersion: 1;
  bench: 'fp16-convert';
  createdAt: string;
  node: string;
  model: string;
  peakRssOverModel: number;
  target: { peakRssOverModel: number; met: boolean };
  peer: { tool: string; convertSeconds: number; peakRssOverModel: number; source: string };
}

const fileBytes = (f: string): number => statSync(f).size;

/** Child side: one file-to-file conversion. */
export async function fp16ConvertChild(input: string, output: string): Promise<Fp16ChildResult> {
  const t0 = performance.now();
  const loaded = readModel(input);
  const t1 = performance.now();
  const r = await optimize(loaded.model, [{ pass: 'fp16', options: { keepIoTypes: true, inPlace: true } }]);
  const t2 = performance.now();
  writeModel(r.model, output, { externalDataThreshold: FULL_SCALE_EXTERNAL_THRESHOLD });
  const t3 = performance.now();
  const stats = r.reports[0]?.stats ?? {};
  return {
    inputBytes: fileBytes(input) + fileBytes(`${input}.data`),
    outputBytes: fileBytes(output) + fileBytes(`${output}.data`),
    parameters: countParameters(loaded.model.graph).count,
    readMs: t1 - t0,
    convertMs: t2 - t1,
    writeMs: t3 - t2,
    totalMs: t3 - t0,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    nodesConverted: stats.nodesConverted ?? 0,
    castsInserted: stats.castsInserted ?? 0,
  };
}

/** Parent side: builds the full-scale gpt_decode into a temp folder, converts it in a child. */
export function benchFp16Convert(self: string): Fp16BenchResult {
  const dir = mkdtempSync(join(tmpdir(), 'wb-fp16-'));
  try {
    const input = join(dir, 'gpt_decode.onnx');
    writeModel(builderFor('gpt_decode')({ scale: 'full', seed: 1, weights: 'random' }), input, { externalDataThreshold: FULL_SCALE_EXTERNAL_THRESHOLD });
    const r = spawnSync(process.execPath, [self, '--fp16-child', input, join(dir, 'gpt_decode.fp16.onnx')], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (r.status !== 0) throw new Error(`fp16 child exited with ${r.status}`);
    const child = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Fp16ChildResult;
    const ratio = child.peakRssBytes / child.inputBytes;
    return {
      schemaVersion: 1,
      bench: 'fp16-convert',
      createdAt: new Date().toISOString(),
      node: process.version,
      model: 'reference gpt_decode, full scale (XTTS-v2 GPT, 30 layers × 1024)',
      ...child,
      peakRssOverModel: ratio,
      target: { peakRssOverModel: 1.5, met: ratio <= 1.5 },
      peer: {
        tool: 'onnxruntime.transformers.float16.convert_float_to_float16 (ORT 1.30, Python)',
        convertSeconds: 24.7,
        peakRssOverModel: 4.8,
        source: 'shared/reference/peer-measurements.md',
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
