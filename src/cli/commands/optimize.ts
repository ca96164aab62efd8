/**
 * `workbench optimize <in.onnx> -o <out.onnx> [passes…]`: rewrites a model (resolution, fp16, int8 dynamic
 * or static, weight-only MatMulNBits, mixed precision) and prints a summary: passes run, nodes converted,
 * Casts inserted/removed, warnings, size before/after and time taken. Passes run in the order
 * resolution → mixed | fp16 → int8 → wo. For a CUDA target (`--target-ep cuda`, the default) every
 * rewrite is followed by a placement check: a session on the CUDA EP, one run, and each node's provider
 * from the profiling trace; nodes that fell off the EP are a warning naming them. Without a usable CUDA EP
 * the check is skipped with one line saying so.
 */
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { countParameters } from '../../onnx/graph-utils.js';
import { readModel } from '../../onnx/read-model.js';
import type { Dim } from '../../onnx/types.js';
import { writeModel } from '../../onnx/write-model.js';
import { loadCalibrationDir, type CalibrationMethod } from '../../quantize/calibrate.js';
import type { PassReport } from '../../quantize/common.js';
import { FP16_DEFAULT_OP_BLOCK_LIST } from '../../quantize/fp16.js';
import type { Int8Format, TargetEp } from '../../quantize/int8.js';
import type { MixedDetails } from '../../quantize/mixed.js';
import { optimize, type PassSpec } from '../../quantize/optimize.js';
import { checkModelPlacement } from '../../profiler/placement-probe.js';
import { TARGET_PROVIDER, offEpNodes, type PlacementCheck } from '../../analysis/placement.js';
import { out } from '../state.js';

interface OptimizeFlags {
  output: string;
  fp16?: boolean;
  keepIoTypes?: boolean;
  outputTail: boolean;
  gridChain: boolean;
  opBlockList?: string;
  nodeBlockList?: string;
  int8?: 'dynamic' | 'static';
  targetEp: TargetEp;
  int8Format: Int8Format;
  perTensor?: boolean;
  calib?: string;
  calibMethod: CalibrationMethod;
  percentile: string;
  wo?: string;
  blockSize: string;
  symmetric?: boolean;
  resolution?: string;
  input: string[];
  mixed?: string;
  mixedEp?: string;
  maxError: string;
  target: 'fp16' | 'int8';
  calibInputs?: string;
  externalData?: string | boolean;
  decodeLoop?: boolean;
  placementCheck: boolean;
  report?: string;
  json?: boolean;
}

function num(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name}: expected a number, got '${v}'`);
  return n;
}

function list(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
}

function parseInputs(items: string[]): Record<string, Dim[]> | undefined {
  if (!items.length) return undefined;
  const r: Record<string, Dim[]> = {};
  for (const item of items) {
    const eq = item.lastIndexOf('=');
    if (eq < 1) throw new UsageError(`--input: expected NAME=D0,D1,… (e.g. x=1,3,192,192), got '${item}'`);
    r[item.slice(0, eq)] = item.slice(eq + 1).split(/[,x]/).map((d) => num('input', d));
  }
  return r;
}

function parseSize(v: string): number | [number, number] {
  const parts = v.split(/[x,]/).map((s) => num('resolution', s));
  if (parts.length === 1) return parts[0] as number;
  if (parts.length === 2) return [parts[0] as number, parts[1] as number];
  throw new UsageError(`--resolution: expected SIZE or HxW, got '${v}'`);
}

/** Builds the pass list from the flags (exported for tests). */
export function passesFromFlags(f: OptimizeFlags, loadModelInputs: () => Parameters<typeof loadCalibrationDir>[1]): PassSpec[] {
  const passes: PassSpec[] = [];
  const inputs = parseInputs(f.input);
  if (f.resolution !== undefined || inputs) passes.push({ pass: 'resolution', options: { ...(f.resolution !== undefined ? { size: parseSize(f.resolution) } : {}), ...(inputs ? { inputs } : {}) } });
  const opBlock = list(f.opBlockList);
  const fp16Options = { keepIoTypes: !!f.keepIoTypes, ...(f.outputTail === false ? { keepOutputTail: false } : {}), ...(f.gridChain === false ? { keepGridChain: false } : {}), ...(opBlock ? { opBlockList: opBlock } : {}), ...(f.nodeBlockList ? { nodeBlockList: list(f.nodeBlockList) ?? [] } : {}), inPlace: true };
  if (f.mixed !== undefined) {
    if (f.mixed !== 'auto') throw new UsageError(`--mixed: only 'auto' is supported, got '${f.mixed}'`);
    const samples = f.calibInputs ? loadCalibrationDir(f.calibInputs, loadModelInputs()) : undefined;
    passes.push({ pass: 'mixed', options: { target: f.target, maxError: num('max-error', f.maxError), ...(samples ? { samples } : {}), fp16: { ...fp16Options, inPlace: false }, int8: { targetEp: 'cpu' }, ep: f.mixedEp === 'cuda' ? 'cuda' : 'cpu' } });
  } else if (f.fp16) passes.push({ pass: 'fp16', options: fp16Options });
  if (f.int8 === 'dynamic') passes.push({ pass: 'int8-dynamic', options: { targetEp: f.targetEp, format: f.int8Format, perChannel: !f.perTensor } });
  else if (f.int8 === 'static') {
    if (!f.calib) throw new UsageError('--int8 static needs --calib <dir> (calibration inputs: .json or .bin files, see docs)');
    passes.push({
      pass: 'int8-static',
      options: { targetEp: f.targetEp, perChannel: !f.perTensor, samples: loadCalibrationDir(f.calib, loadModelInputs()), calibration: { method: f.calibMethod, percentile: num('percentile', f.percentile) } },
    });
  } else if (f.int8 !== undefined) throw new UsageError(`--int8: expected dynamic or static, got '${String(f.int8)}'`);
  if (f.wo !== undefined) {
    const bits = num('wo', f.wo);
    if (bits !== 4 && bits !== 8) throw new UsageError(`--wo: expected 4 or 8, got '${f.wo}'`);
    passes.push({ pass: 'wo', options: { bits, blockSize: num('block-size', f.blockSize), asymmetric: !f.symmetric } });
  }
  // Last: the loop is built around the (rewritten) decode step.
  if (f.decodeLoop) passes.push({ pass: 'decode-loop' });
  if (!passes.length) throw new UsageError('no pass given: use --fp16, --int8 dynamic|static, --wo 4|8, --resolution, --input, --mixed auto or --decode-loop');
  return passes;
}

const mb = (b: number): string => `${(b / 2 ** 20).toFixed(2)} MiB`;

function summarizeReport(r: PassReport): string {
  const s = r.stats;
  const parts: string[] = [];
  const pick = (k: string, label: string): void => {
    if (s[k] !== undefined) parts.push(`${label} ${s[k]}`);
  };
  pick('nodesConverted', 'nodes converted');
  pick('nodesQuantized', 'nodes quantized');
  pick('nodesKept', 'kept fp32');
  pick('castsInserted', 'Casts inserted');
  pick('castsRemoved', 'Casts removed');
  pick('clampedValues', 'values clamped');
  pick('gridsRegenerated', 'grids regenerated');
  for (const [k, v] of Object.entries(s)) if (k.startsWith('rewritten.')) parts.push(`${k.slice(10)} rewritten ${v}`);
  pick('evaluations', 'evaluations');
  if (r.pass === 'decode-loop') parts.push(`${s.layers} layers, ${s.stepNodes} step nodes + ${s.nodesAdded} sampler/loop nodes`);
  if (r.pass === 'mixed' && r.details) {
    const d = r.details as unknown as MixedDetails;
    parts.push(`rel L2 ${d.plainError.relL2.toExponential(2)} → ${d.finalError.relL2.toExponential(2)} (budget ${d.maxError})`);
  }
  return `  ${r.pass}: ${parts.join(', ') || 'done'}`;
}

/** One line about a pass's placement check (undefined when it was not run). */
export function placementLine(pass: string, c: PlacementCheck | undefined): string | undefined {
  if (!c || c.status === 'skipped') return undefined;
  const provider = TARGET_PROVIDER[c.target];
  if (c.target === 'cpu') return `  placement after ${pass}: clean (CPU target)`;
  const shape = c.offEp.length - offEpNodes(c).length;
  const note = shape ? `; ${shape} integer shape node(s) on the CPU by ORT's design` : '';
  if (c.status === 'clean') return `  placement after ${pass}: clean, ${c.nodes} nodes on ${provider}${note}`;
  return `  placement after ${pass}: OFF EP, ${offEpNodes(c).length} of ${c.nodes} nodes not on ${provider} (see warnings)${note}`;
}

export function optimizeCommand(): Command {
  return new Command('optimize')
    .description('rewrite a model: fp16, int8 (dynamic/static), weight-only MatMulNBits, resolution, mixed precision, decode loop')
    .argument('<in>', 'input .onnx model')
    .requiredOption('-o, --output <file>', 'output .onnx model')
    .option('--fp16', 'float32 → float16 weights and activations')
    .option('--keep-io-types', 'keep float32 graph inputs/outputs (Casts at the boundary)')
    .option('--no-output-tail', 'with --keep-io-types: also lower the elementwise/data-movement nodes that only feed outputs (kept float32 by default)')
    .option('--no-grid-chain', "compute a kept GridSample's grid in float16 and cast it (default: the grid chain stays float32)")
    .option('--op-block-list <ops>', `op types kept in float32, comma-separated (default: ${FP16_DEFAULT_OP_BLOCK_LIST.slice(0, 12).join(',')},…)`)
    .option('--node-block-list <names>', 'node names kept in float32, comma-separated')
    .addOption(new Option('--int8 <mode>', 'int8 quantization').choices(['dynamic', 'static']))
    .addOption(new Option('--target-ep <ep>', 'execution provider the variant is for (picks the int8 format; cuda: placement is checked after every rewrite)').choices(['cuda', 'cpu']).default('cuda'))
    .option('--no-placement-check', 'do not check after every rewrite where the nodes run on the target EP')
    .addOption(new Option('--int8-format <format>', 'auto = QDQ for cuda, QOperator for cpu').choices(['auto', 'qdq', 'qoperator']).default('auto'))
    .option('--per-tensor', 'one weight scale per tensor instead of per channel')
    .option('--calib <dir>', 'calibration inputs for --int8 static (.json / .bin files)')
    .addOption(new Option('--calib-method <method>', 'activation range method').choices(['minmax', 'percentile', 'entropy']).default('minmax'))
    .option('--percentile <p>', 'percentile for --calib-method percentile', '99.99')
    .option('--wo <bits>', 'weight-only MatMulNBits with 4 or 8 bits')
    .option('--block-size <n>', 'MatMulNBits block size', '32')
    .option('--symmetric', 'MatMulNBits without zero points')
    .option('--resolution <size>', 'run at another input size: SIZE or HxW for every image input')
    .option('--input <name=shape>', 'new shape of one input, e.g. x=1,3,192,192 (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--mixed <mode>', "mixed precision search ('auto')")
    .option('--mixed-ep <ep>', 'mixed: execution provider that measures sensitivity (use the target: cuda shows real float16 arithmetic)', 'cpu')
    .option('--max-error <e>', 'mixed: output relative L2 budget', '0.01')
    .addOption(new Option('--target <t>', 'mixed: what to lower to').choices(['fp16', 'int8']).default('fp16'))
    .option('--calib-inputs <dir>', 'mixed: inputs to measure on (default: seeded random inputs)')
    .option('--decode-loop', "XTTS gpt_decode: generate a chunk of tokens per call (a Loop around the step and XTTS's sampler; runs after the other passes)")
    .option('--external-data [bytes]', 'store tensors ≥ bytes (default 1024) in <out>.data')
    .option('--report <file>', 'write the pass reports (mixed: per-node scores) as JSON')
    .option('--json', 'print the summary as JSON')
    .action(async (input: string, f: OptimizeFlags) => {
      const t0 = performance.now();
      const loaded = readModel(input);
      const before = countParameters(loaded.model.graph);
      const sizeBefore = loaded.fileBytes + [...loaded.externalFiles.values()].reduce((a, b) => a + b, 0);
      const passes = passesFromFlags(f, () => loaded.model);
      const tRead = performance.now();
      const { model, reports } = await optimize(loaded.model, passes, f.placementCheck ? { placement: (m) => checkModelPlacement(m, f.targetEp) } : {});
      const tPass = performance.now();
      const threshold = f.externalData === undefined ? undefined : f.externalData === true ? 1024 : num('external-data', String(f.externalData));
      const w = writeModel(model, f.output, threshold === undefined ? {} : { externalDataThreshold: threshold });
      const t1 = performance.now();
      const after = countParameters(model.graph);
      const sizeAfter = w.modelBytes + w.externalBytes;
      const warnings = reports.flatMap((r) => r.warnings);
      if (f.report) writeFileSync(f.report, `${JSON.stringify({ input, output: f.output, reports }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`);
      const summary = {
        input,
        output: w.path,
        passes: reports.map((r) => r.pass),
        stats: Object.fromEntries(reports.map((r) => [r.pass, r.stats])),
        warnings,
        placement: reports.flatMap((r) => (r.placement ? [{ pass: r.pass, ...r.placement }] : [])),
        sizeBefore,
        sizeAfter,
        weightBytesBefore: before.bytes,
        weightBytesAfter: after.bytes,
        timeMs: { read: tRead - t0, passes: tPass - tRead, write: t1 - tPass, total: t1 - t0 },
      };
      if (f.json) {
        out.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      out.write(`optimize ${input} → ${w.path}\n`);
      out.write(`passes: ${summary.passes.join(' → ')}\n`);
      for (const r of reports) {
        out.write(`${summarizeReport(r)}\n`);
        const line = placementLine(r.pass, r.placement);
        if (line) out.write(`${line}\n`);
      }
      const skipped = reports.find((r) => r.placement?.status === 'skipped')?.placement;
      if (skipped) out.write(`placement check skipped: ${skipped.reason ?? 'not run'}\n`);
      out.write(`size: ${mb(sizeBefore)} → ${mb(sizeAfter)} (weights ${mb(before.bytes)} → ${mb(after.bytes)})\n`);
      out.write(`time: ${(summary.timeMs.total / 1000).toFixed(2)} s (read ${(summary.timeMs.read / 1000).toFixed(2)}, passes ${(summary.timeMs.passes / 1000).toFixed(2)}, write ${(summary.timeMs.write / 1000).toFixed(2)})\n`);
      if (warnings.length) {
        out.write(`warnings (${warnings.length}):\n`);
        for (const x of warnings) out.write(`  [${x.pass}] ${x.code}${x.node ? ` (${x.node})` : ''}: ${x.message}\n`);
      }
      if (f.report) out.write(`report: ${f.report}\n`);
    });
}
