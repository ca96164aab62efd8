/**
 * `workbench optimize <in.onnx> -o <out.onnx> [passes…]`: rewrites a model (resolution, fp16, int8 dynamic
 * or static, weight-only MatMulNBits, mixed precision) and prints a summary: passes run, nodes converted,
 * Casts inserted/removed, warnings, size before/after and time taken. The pass flags, their defaults and the
 * order passes run in (resolution → pad channels → fp16 | mixed → int8 → wo → batch → diffusion loop → decode loop) come from
 * the pass registry (src/quantize/registry.ts); this file owns only the command's own flags. For a CUDA target (`--target-ep cuda`, the default) every
 * rewrite is followed by a placement check: a session on the CUDA EP, one run, and each node's provider
 * from the profiling trace; nodes that fell off the EP are a warning naming them. Without a usable CUDA EP
 * the check is skipped with one line saying so.
 */
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { countParameters } from '../../onnx/graph-utils.js';
import { guardOutputs, modelOutputFiles } from '../../onnx/output-guard.js';
import { readModel } from '../../onnx/read-model.js';
import type { Model } from '../../onnx/types.js';
import { writeModel } from '../../onnx/write-model.js';
import type { PassReport } from '../../quantize/common.js';
import { INT8_DYNAMIC_DEFAULTS, type TargetEp } from '../../quantize/int8.js';
import { DECODE_LOOP_NAME } from '../../quantize/decode-loop.js';
import { MIXED_NAME, type MixedDetails } from '../../quantize/mixed.js';
import { optimize } from '../../quantize/optimize.js';
import { FlagReader, parseNumberFlag, type AnyPassDef, type AnyPassSpec } from '../../quantize/pass-def.js';
import { PASS_REGISTRY, type PassList, type PassStat } from '../../quantize/registry.js';
import { checkModelPlacement } from '../../profiler/placement-probe.js';
import { TARGET_PROVIDER, offEpNodes, type PlacementCheck } from '../../analysis/placement.js';
import { out } from '../state.js';

/** The command's own flags; each pass's flags are read through its registry entry (FlagReader). */
interface OptimizeFlags {
  output: string;
  targetEp: TargetEp;
  externalData?: string | boolean;
  placementCheck: boolean;
  report?: string;
  json?: boolean;
}

/** Builds the pass list from the flags, in registry order (exported for tests). */
export function passesFromFlags(
  f: Readonly<Record<string, unknown>> & { targetEp: TargetEp },
  loadModel: () => Model,
  registry: PassList = PASS_REGISTRY,
): AnyPassSpec[] {
  const reader = new FlagReader(f);
  const ctx = { loadModel, targetEp: f.targetEp };
  const passes: AnyPassSpec[] = [];
  for (const def of registry) {
    const options = def.cli.fromFlags(reader, ctx);
    if (options !== undefined) passes.push({ pass: def.name, options });
  }
  if (!passes.length) {
    const usage = registry.map((d) => d.cli.usage);
    throw new UsageError(`no pass given: use ${usage.slice(0, -1).join(', ')} or ${usage.at(-1) ?? ''}`);
  }
  return passes;
}

/** Adds a pass's flags to the command (defaults and choices as its descriptor gives them). */
function addPassFlags(cmd: Command, def: AnyPassDef): void {
  for (const flag of def.cli.flags) {
    const o = new Option(flag.flags, flag.description);
    if (flag.choices) o.choices(flag.choices);
    if (flag.repeatable) o.argParser((v: string, acc: string[] | undefined) => [...(acc ?? []), v]).default([] as string[]);
    else if (flag.default !== undefined) o.default(flag.default);
    cmd.addOption(o);
  }
}

/** The "Passes" section of `optimize --help`: each registered pass with its one-line summary. */
function passesHelp(registry: PassList): string {
  const width = Math.max(...registry.map((d) => d.name.length));
  return `\nPasses (src/quantize/registry.ts), applied in this order:\n${registry.map((d) => `  ${d.name.padEnd(width)}  ${d.summary}`).join('\n')}\n`;
}

const mb = (b: number): string => `${(b / 2 ** 20).toFixed(2)} MiB`;

/** One line per pass: its counters, read by name (PassStat: a name no registered pass counts does not compile). */
function summarizeReport(r: PassReport<PassStat>): string {
  const s = r.stats;
  const parts: string[] = [];
  const pick = (k: PassStat, label: string): void => {
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
  if (r.pass === DECODE_LOOP_NAME) parts.push(`${s.layers} layers, ${s.stepNodes} step nodes + ${s.nodesAdded} sampler/loop nodes`);
  if (r.pass === MIXED_NAME && r.details) {
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

/** The command; its pass flags and the Passes help section come from `registry` (tests add passes to it). */
export function optimizeCommand(registry: PassList = PASS_REGISTRY): Command {
  const cmd = new Command('optimize')
    .description('rewrite a model: fp16, int8 (dynamic/static), weight-only MatMulNBits, resolution, mixed precision, decode loop')
    .argument('<in>', 'input .onnx model')
    .requiredOption('-o, --output <file>', 'output .onnx model');
  for (const def of registry) addPassFlags(cmd, def);
  return cmd
    .addOption(
      new Option('--target-ep <ep>', 'execution provider the variant is for (picks the int8 format; cuda: placement is checked after every rewrite)')
        .choices(['cuda', 'cpu'])
        .default(INT8_DYNAMIC_DEFAULTS.targetEp),
    )
    .option('--no-placement-check', 'do not check after every rewrite where the nodes run on the target EP')
    .option('--external-data [bytes]', 'store tensors ≥ bytes (default 1024) in <out>.data')
    .option('--report <file>', 'write the pass reports (mixed: per-node scores) as JSON')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', passesHelp(registry))
    .action(async (input: string, f: OptimizeFlags) => {
      const t0 = performance.now();
      const threshold = f.externalData === undefined ? undefined : f.externalData === true ? 1024 : parseNumberFlag('external-data', String(f.externalData));
      const outputs = [...modelOutputFiles(f.output), ...(f.report ? [{ path: f.report, what: '--report' }] : [])];
      // Before reading and running passes: a refused output costs nothing. Again after reading, against the external data.
      guardOutputs(outputs, [input]);
      const loaded = readModel(input);
      guardOutputs(outputs, loaded.files);
      const before = countParameters(loaded.model.graph);
      const sizeBefore = loaded.fileBytes + [...loaded.externalFiles.values()].reduce((a, b) => a + b, 0);
      const passes = passesFromFlags(f as OptimizeFlags & Record<string, unknown>, () => loaded.model, registry);
      const tRead = performance.now();
      const placement = f.placementCheck ? { placement: (m: Model) => checkModelPlacement(m, f.targetEp) } : {};
      const { model, reports } = await optimize(loaded.model, passes, { ...placement, registry });
      const tPass = performance.now();
      const w = writeModel(model, f.output, { inputs: loaded.files, ...(threshold === undefined ? {} : { externalDataThreshold: threshold }) });
      const t1 = performance.now();
      const after = countParameters(model.graph);
      const sizeAfter = w.modelBytes + w.externalBytes;
      const warnings = reports.flatMap((r) => r.warnings);
      if (f.report)
        writeFileSync(
          f.report,
          `${JSON.stringify({ input, output: f.output, reports }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`,
        );
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
      out.write(
        `time: ${(summary.timeMs.total / 1000).toFixed(2)} s (read ${(summary.timeMs.read / 1000).toFixed(2)}, passes ${(summary.timeMs.passes / 1000).toFixed(2)}, write ${(summary.timeMs.write / 1000).toFixed(2)})\n`,
      );
      if (warnings.length) {
        out.write(`warnings (${warnings.length}):\n`);
        for (const x of warnings) out.write(`  [${x.pass}] ${x.code}${x.node ? ` (${x.node})` : ''}: ${x.message}\n`);
      }
      if (f.report) out.write(`report: ${f.report}\n`);
    });
}
