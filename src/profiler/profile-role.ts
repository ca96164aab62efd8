/**
 * One role of `workbench profile`, in named phases: inputs, the end-to-end pass, the node pass (CUPTI or
 * sync-launch on CUDA), the kept traces, node times, the node and op-type tables, coverage, method and memory.
 * Each phase reads the RoleState and returns what it found; warnings are added in phase order.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { costOf as defaultCostOf } from '../analysis/node-cost.js';
import { RuntimeError } from '../errors.js';
import { dataTypeName } from '../onnx/dtype.js';
import { readModel } from '../onnx/read-model.js';
import type { Graph, Node } from '../onnx/types.js';
import { cudaEnvFor, describeSessionConfig, resolveBackend, type ExecutionProvider, type SessionConfig } from '../runtime/index.js';
import { aggregateTrace, nodeKey, type TraceAggregate } from './aggregate.js';
import { attributeCapture, type CuptiAttribution } from './cupti/attribute-capture.js';
import { readCuptiCapture, type CuptiCapture } from './cupti/capture.js';
import { cuptiCoverage, type CuptiCoverage } from './cupti/coverage.js';
import { cuptiEnv } from './cupti/find-library.js';
import { attachKernels, kernelsByNode, nodeContributionUs, nodeGpuTimeUs } from './cupti/node-times.js';
import { totalFlags } from './flags.js';
import { watchGpuMemory, type GpuMemoryReport } from '../core/gpu-memory.js';
import { hostCoverage, type HostCoverage } from './host-coverage.js';
import { emptyOverrides, overridesForRole, planInputs, type InputPlanEntry } from './inputs.js';
import { indexGraphNodes } from './node-costs.js';
import { nodeRow } from './node-row.js';
import { runPass, type PassJob, type PassResult } from './passes.js';
import type { GpuTimePlan, ProfileOptions, RoleTarget } from './profile-options.js';
import type { DeviceInfo, MethodInfo, NodeRow, OpTypeRow, RoleProfile } from './profile-report.js';
import { scaleStats, timeStats, type TimeStats } from '../core/stats.js';
import { readTrace, type ParsedTrace, type TraceNodeEvent } from './trace.js';
import { aliasRenamedNodes } from './trace-names.js';
import { runPassInChild } from './worker.js';

const METHOD_TEXT: Record<MethodInfo['nodeTime'], string> = {
  host: "CPU EP: each node's _kernel_time is its compute on the host (ORT profiling trace).",
  'sync-launch':
    'CUDA EP: the node pass ran in a child process with CUDA_LAUNCH_BLOCKING=1, so every kernel launch is synchronous ' +
    "and each node's host-measured _kernel_time covers its GPU work (plus launch latency, without overlap). " +
    'The end-to-end time is a separate pass without profiling and without launch blocking.',
  cupti: "CUDA EP with CUPTI: per-node time is the sum of the node's Kernel events (GPU timestamps) from the ORT trace.",
};

const CUPTI_INJECTION_TEXT =
  "CUDA EP with CUPTI (injection library libcupti_trace.so, no launch blocking): each node's time is the GPU time " +
  '(CUPTI timestamps) of the kernels, copies and memsets it launched; each GPU record is tied to its launch call by ' +
  'correlationId and the launch call to the node whose _kernel_time interval contains it, after aligning the CUPTI clock ' +
  'with the ORT trace (profiler/cupti/). CPU nodes keep their host time. Coverage sums per node max(host launch time, ' +
  'GPU time) and compares it with the end-to-end median of a separate pass without profiling or CUPTI.';

/** Op types ORT inserts itself (NCHWc layout reorders, device copies): trace-only by nature. */
const ORT_INSERTED_OPS = /^(ReorderInput|ReorderOutput|MemcpyFromHost|MemcpyToHost)$/;

type RoleOptions = ProfileOptions & { ep: ExecutionProvider; runs: number; warmup: number };

/** What every phase of profileRole reads: the role, its options and session, and the warnings so far. */
interface RoleState {
  t: RoleTarget;
  o: RoleOptions;
  config: SessionConfig;
  device: DeviceInfo;
  gpuPlan?: GpuTimePlan;
  /** Whether the passes run in child processes. */
  child: boolean;
  /** Where the passes write ORT's trace (removed at the end). */
  traceDir: string;
  /** Warnings of the role, in the order the phases add them. */
  warnings: string[];
}

/** The node pass: its result, the CUPTI capture when the injection library ran and gave a usable one. */
interface NodePass {
  pass: PassResult & { traceFile: string };
  capture?: CuptiCapture;
  cuptiFile: string;
  fallback?: string;
}

/** The node pass read back: the trace, how node time was measured, the attribution and the aggregate. */
interface NodeTimes {
  trace: ParsedTrace;
  nodeTime: MethodInfo['nodeTime'];
  att?: CuptiAttribution;
  agg: TraceAggregate;
}

/** The coverage of the per-node sum against the end-to-end (or model_run) time. */
interface Coverage {
  e2eStats: TimeStats;
  cuptiCov?: CuptiCoverage;
  perNodeSumMs: number;
  hostCov?: HostCoverage;
  ratio: number;
}

/** Profiles one role: end-to-end pass, node pass, then the report's rows, coverage, method and memory. */
export async function profileRole(t: RoleTarget, o: RoleOptions, config: SessionConfig, device: DeviceInfo, gpuPlan?: GpuTimePlan): Promise<RoleProfile> {
  const warnings: string[] = [];
  const { graph, plan } = roleInputs(t, o, warnings);
  const child = o.childProcess === 'always' || (o.childProcess !== 'never' && o.ep === 'cuda');
  const traceDir = mkdtempSync(join(tmpdir(), 'wb-profile-trace-'));
  const st: RoleState = { t, o, config, device, ...(gpuPlan ? { gpuPlan } : {}), child, traceDir, warnings };
  try {
    const base: Omit<PassJob, 'kind'> = { modelPath: t.modelPath, config, plan, warmup: o.warmup, runs: o.runs, traceDir };
    const { e2e, gpuMem } = await endToEndPass(st, base);
    const np = await nodePass(st, base);
    const trace = readTrace(np.pass.traceFile);
    const keptTrace = keepTraces(st, np);
    const times = nodeTimes(st, np, trace);
    const { rows, opTypes, sumOfMediansUs } = nodeTables(st, graph, times);
    const cov = coverageOf(st, times, np, e2e);
    const method = methodOf(st, times, np, cov.cuptiCov);
    const { deviceMem, tracePeak } = deviceMemory(st, times.agg, gpuMem);
    const { agg } = times;
    const inChild = child ? ' (child process' + (o.ep === 'cuda' ? ', no launch blocking)' : ')') : '';
    return {
      role: t.role,
      model: t.modelPath,
      session: { config, applied: describeSessionConfig(config, { ...process.env, ...cudaEnvFor(config) }, resolveBackend(config.backend)) },
      inputs: plan.map((p: InputPlanEntry) => ({ name: p.name, type: p.type, dims: p.dims, fill: p.fill, ...(p.note ? { note: p.note } : {}) })),
      method,
      endToEnd: {
        description: `median wall time of session.run() without profiling${inChild}, host to host, after ${e2e.warmup} warm-up runs`,
        warmup: e2e.warmup,
        time: cov.e2eStats,
        sessionCreateMs: e2e.sessionCreateMs,
      },
      profiledRun: { modelRun: scaleStats(agg.runStats, 1e-3), wall: timeStats(np.pass.timesMs.slice(np.pass.warmup)) },
      coverage: {
        perNodeSumMs: cov.perNodeSumMs,
        endToEndMs: cov.e2eStats.median,
        ratio: cov.ratio,
        withinTenPercent: Number.isFinite(cov.ratio) && Math.abs(cov.ratio - 1) <= 0.1,
        against: cov.hostCov ? 'model_run' : 'end-to-end',
        ...(cov.hostCov ? { modelRunMs: cov.hostCov.modelRunMs } : {}),
        note: coverageNote(times.nodeTime, cov.cuptiCov),
        sumOf: cov.cuptiCov ? 'contribution' : 'node-time',
        ...(cov.cuptiCov ? { cupti: cov.cuptiCov } : {}),
      },
      nodes: rows,
      opTypes,
      flags: totalFlags(
        rows.map((r) => ({ name: r.name, flags: r.flags, medianMs: r.time.median })),
        sumOfMediansUs / 1000,
      ),
      memory: {
        device: deviceMem,
        host: { endToEnd: e2e.host, nodes: np.pass.host, ...(o.ep === 'cpu' && tracePeak !== undefined ? { cpuArenaPeakBytes: tracePeak } : {}) },
      },
      trace: {
        events: trace.eventCount,
        kernelEvents: trace.hasKernelEvents,
        indexFormat: trace.indexFormat,
        possiblyTruncated: trace.possiblyTruncated,
        ...(keptTrace ? { file: keptTrace } : {}),
      },
      totals: {
        flops: rows.reduce((s, r) => s + r.flops * r.executionsPerRun, 0),
        bytes: rows.reduce((s, r) => s + (r.bytesRead + r.bytesWritten) * r.executionsPerRun, 0),
        params: rows.reduce((s, r) => s + r.parameterBytes, 0),
      },
      warnings,
    };
  } finally {
    rmSync(traceDir, { recursive: true, force: true });
  }
}

/** Phase 1: the graph (when readable) and the input plan: the manifest's contract (pipeline shapes) or the graph's inputs. */
function roleInputs(t: RoleTarget, o: RoleOptions, warnings: string[]): { graph?: Graph; plan: InputPlanEntry[] } {
  let graph: Graph | undefined;
  try {
    graph = readModel(t.modelPath, { loadExternalData: false, verify: false }).model.graph;
  } catch (e) {
    if (!t.spec) throw e;
    warnings.push(`could not read the model graph (${(e as Error).message}); costs from the trace only`);
  }
  const overrides = overridesForRole(o.inputs ?? emptyOverrides(), t.role);
  const declared = t.spec ? Object.entries(t.spec.inputs).map(([name, s]) => ({ name, type: s.type, shape: s.shape })) : graph ? graphInputs(graph) : [];
  const dims = { ...(t.spec?.profileDims ?? {}), ...overrides.dims };
  const { plan, warnings: w } = planInputs(declared, { ...overrides, dims }, o.seed ?? 1, t.role);
  warnings.push(...w);
  return { ...(graph ? { graph } : {}), plan };
}

/** Phase 2: the end-to-end pass (no profiling, no launch blocking), watching GPU memory of a CUDA child. */
async function endToEndPass(st: RoleState, base: Omit<PassJob, 'kind'>): Promise<{ e2e: PassResult; gpuMem?: GpuMemoryReport }> {
  const { o, config } = st;
  if (!st.child) return { e2e: await runPass({ ...base, kind: 'e2e' }) };
  let gpuMem: GpuMemoryReport | undefined;
  let watch: ReturnType<typeof watchGpuMemory> | undefined;
  let e2e: PassResult;
  try {
    e2e = await runPassInChild(
      { ...base, kind: 'e2e' },
      {
        env: { ...cudaEnvFor(config), CUDA_LAUNCH_BLOCKING: '0' },
        ...(o.launch ? { launch: o.launch } : {}),
        onSpawn: (pid) => {
          if (o.ep === 'cuda') watch = watchGpuMemory(pid);
        },
      },
    );
  } finally {
    const w2 = watch as ReturnType<typeof watchGpuMemory> | undefined;
    if (w2) gpuMem = await w2.stop();
  }
  return { e2e, ...(gpuMem ? { gpuMem } : {}) };
}

/**
 * Phase 3: the node pass. CUPTI: without launch blocking, with the injection library; its capture is read after
 * the child exits (the library writes it at exit). Under auto, a capture that is missing or empty falls back to
 * sync-launch.
 */
async function nodePass(st: RoleState, base: Omit<PassJob, 'kind'>): Promise<NodePass> {
  const { o, config, gpuPlan, t } = st;
  const syncLaunchPass = (): Promise<PassResult> =>
    st.child
      ? runPassInChild(
          { ...base, kind: 'nodes' },
          {
            env: { ...cudaEnvFor(config), ...(o.ep === 'cuda' ? { CUDA_LAUNCH_BLOCKING: '1' } : {}) },
            ...(o.launch ? { launch: o.launch } : {}),
          },
        )
      : runPass({ ...base, kind: 'nodes' });
  let capture: CuptiCapture | undefined;
  let fallback = gpuPlan?.fallback;
  let pass: PassResult;
  const cuptiFile = join(st.traceDir, 'cupti.jsonl');
  if (gpuPlan?.library) {
    pass = await runPassInChild(
      { ...base, kind: 'nodes' },
      {
        env: { ...cudaEnvFor(config), ...cuptiEnv(gpuPlan.library, cuptiFile) },
        ...(o.launch ? { launch: o.launch } : {}),
      },
    );
    let why: string | undefined;
    try {
      capture = readCuptiCapture(cuptiFile);
      if (capture.errors.length) why = `the injection library reported: ${capture.errors.join('; ')}`;
      else if (!capture.activities.some((a) => a.kind === 'kernel')) why = 'the capture holds no kernels';
      else if (!capture.apis.length) why = 'the capture holds no launch calls';
    } catch (e) {
      why = (e as Error).message;
    }
    if (why) {
      capture = undefined;
      if (gpuPlan.requested === 'cupti') throw new RuntimeError(o.ep, `${t.modelPath}: --gpu-time cupti: ${why}`);
      fallback = `CUPTI capture unusable (${why}); reran the node pass with sync-launch`;
      st.warnings.push(fallback);
      pass = await syncLaunchPass();
    }
  } else pass = await syncLaunchPass();
  const traceFile = pass.traceFile;
  if (!traceFile) {
    throw new RuntimeError(o.ep, `${t.modelPath}: ONNX Runtime wrote no profiling trace (looked for ort-trace-${pass.pid}_*.json in ${st.traceDir})`);
  }
  return { pass: { ...pass, traceFile }, cuptiFile, ...(capture ? { capture } : {}), ...(fallback !== undefined ? { fallback } : {}) };
}

/** Phase 4: copies the trace (and the CUPTI capture with its clock marks) to --keep-trace; returns the kept trace. */
function keepTraces(st: RoleState, np: NodePass): string | undefined {
  const dir = st.o.keepTraceDir;
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  const keptTrace = join(dir, `${st.t.role}.trace.json`);
  copyFileSync(np.pass.traceFile, keptTrace);
  if (np.capture) {
    copyFileSync(np.cuptiFile, join(dir, `${st.t.role}.cupti.jsonl`));
    if (np.pass.clockMarks) writeFileSync(join(dir, `${st.t.role}.clock-marks.json`), JSON.stringify(np.pass.clockMarks));
  }
  return keptTrace;
}

/** Phase 5: attributes the CUPTI capture to its nodes, and aggregates node times. */
function nodeTimes(st: RoleState, np: NodePass, trace: ParsedTrace): NodeTimes {
  const { o, warnings } = st;
  const { capture } = np;
  const nodeTime: MethodInfo['nodeTime'] = o.ep === 'cpu' ? 'host' : trace.hasKernelEvents || capture ? 'cupti' : 'sync-launch';
  const att = capture && !trace.hasKernelEvents ? attributeCapture(trace, capture, np.pass.clockMarks) : undefined;
  if (att) attachKernels(att);
  const agg = aggregateTrace(trace, {
    warmupRuns: o.warmup,
    timeSource: nodeTime === 'cupti' ? 'kernel' : 'node',
    ...(att ? { timeOf: (e: TraceNodeEvent) => nodeGpuTimeUs(e, att) } : {}),
  });
  if (trace.possiblyTruncated) warnings.push("the trace reached ORT's 1,000,000-event cap: later runs may be missing; use fewer --runs");
  if (o.ep === 'cuda' && !trace.nodes.some((n) => n.provider === 'CUDAExecutionProvider'))
    warnings.push('no node ran on CUDAExecutionProvider although --ep cuda was asked for');
  return { trace, nodeTime, ...(att ? { att } : {}), agg };
}

/** Phase 6: costs, roofline and flags per node, the CUPTI columns, and the op-type table. */
function nodeTables(st: RoleState, graph: Graph | undefined, times: NodeTimes): { rows: NodeRow[]; opTypes: OpTypeRow[]; sumOfMediansUs: number } {
  const { o, device, warnings } = st;
  const { agg } = times;
  const graphNodes = graph ? indexGraphNodes(graph) : new Map<string, Node>();
  const graphOps = new Set<string>();
  for (const n of graphNodes.values()) graphOps.add(n.opType);
  // Names ORT gave the nodes it rewrote (NCHWc convs, scale fusions) mapped back to the model's nodes.
  if (graph) aliasRenamedNodes(graph, agg.nodes, graphNodes);
  const costFn = o.costOf ?? defaultCostOf;
  // Shares are of the node time summed over every counted run: they add up to 1 and none can pass it. (A
  // median over the sum of medians can: under load a different node spikes in each run.)
  const totalNodeUs = agg.nodes.reduce((s, n) => s + n.perRunUs.reduce((a, b) => a + b, 0), 0);
  const shareOf = (perRunUs: readonly number[]): number => (totalNodeUs > 0 ? perRunUs.reduce((a, b) => a + b, 0) / totalNodeUs : 0);
  const sumOfMediansUs = agg.nodes.reduce((s, n) => s + n.stats.median, 0);
  const rows = agg.nodes.map((n) => nodeRow(n, graphNodes, graphOps, costFn, o.ep, device, shareOf(n.perRunUs)));
  if (times.att) addCuptiColumns(rows, times, times.att, o.warmup);
  // ORT inserts layout reorders and copies that no model has: expected, not worth a warning. The rest (fusions
  // of several model nodes, e.g. Gelu from Erf/Div/Mul/Add) is said once per role with its op types.
  const orphan = rows.filter((r) => r.costSource === 'trace-only' && !ORT_INSERTED_OPS.test(r.opType));
  if (graph && orphan.length) {
    const ops = [...new Set(orphan.map((r) => r.opType))].sort();
    warnings.push(
      `${orphan.length} of ${rows.length} traced nodes (${ops.join(', ')}) are ORT fusions of several model nodes, ` +
        'with no one model node to map back to; they were costed from the trace alone',
    );
  }
  const opTypes: OpTypeRow[] = agg.opTypes.map((op) => {
    const members = rows.filter((r) => r.opType === op.opType);
    const flops = members.reduce((s, r) => s + r.flops * r.executionsPerRun, 0);
    const bytes = members.reduce((s, r) => s + (r.bytesRead + r.bytesWritten) * r.executionsPerRun, 0);
    const ms = op.stats.median / 1000;
    return {
      opType: op.opType,
      providers: op.providers,
      nodes: op.nodes,
      time: scaleStats(op.stats, 1e-3),
      share: shareOf(op.perRunUs),
      flops,
      bytes,
      achievedFlops: ms > 0 && flops > 0 ? flops / (ms / 1000) : null,
    };
  });
  return { rows, opTypes, sumOfMediansUs };
}

/** Host time and contribution beside the GPU time, copies and kernels, per row (CUPTI attribution only). */
function addCuptiColumns(rows: NodeRow[], times: NodeTimes, att: CuptiAttribution, warmupRuns: number): void {
  const { trace, agg } = times;
  const host = new Map(aggregateTrace(trace, { warmupRuns, timeSource: 'node' }).nodes.map((n) => [n.key, n] as const));
  const contrib = new Map(aggregateTrace(trace, { warmupRuns, timeOf: (e) => nodeContributionUs(e, att) }).nodes.map((n) => [n.key, n] as const));
  const kernels = kernelsByNode(trace, att, agg.countedRuns, nodeKey);
  const copies = new Map<string, number>();
  const counted = new Set(agg.countedRuns);
  for (const [e, g] of att.byNode) {
    if (!counted.has(e.run)) continue;
    const k = nodeKey(e);
    copies.set(k, (copies.get(k) ?? 0) + g.activities.filter((a) => a.kind !== 'kernel').length / agg.countedRuns.length);
  }
  agg.nodes.forEach((n, i) => {
    const row = rows[i] as NodeRow;
    const h = host.get(n.key);
    const c = contrib.get(n.key);
    if (h) row.hostTime = scaleStats(h.stats, 1e-3);
    if (c) row.contribution = scaleStats(c.stats, 1e-3);
    const cp = copies.get(n.key);
    if (cp) row.copiesPerRun = cp;
    const ks = kernels.get(n.key);
    if (ks?.length) row.gpuKernels = ks;
  });
}

/** Phase 7: the per-node sum against the end-to-end median (GPU) or each profiled run's model_run (CPU). */
function coverageOf(st: RoleState, times: NodeTimes, np: NodePass, e2e: PassResult): Coverage {
  const { trace, att, agg, nodeTime } = times;
  const e2eStats = timeStats(e2e.timesMs.slice(e2e.warmup));
  const cuptiCov = att && np.capture ? cuptiCoverage(trace, att, agg.countedRuns, e2eStats.median, np.capture) : undefined;
  const perNodeSumMs = cuptiCov ? cuptiCov.contributionSumMs : agg.perNodeSum.median / 1000;
  // CPU: coverage within the profiled runs (host-coverage.ts); GPU methods keep the separate unprofiled pass.
  const hostCov = nodeTime === 'host' ? hostCoverage(trace, agg.countedRuns) : undefined;
  const ratio = hostCov ? hostCov.ratio : e2eStats.median > 0 ? perNodeSumMs / e2eStats.median : Number.NaN;
  if (hostCov?.overlapping) {
    st.warnings.push(
      'node events overlapped in time (nodes ran in parallel): the per-node sum is not a part of the run, ' +
        'so no coverage ratio is given, and shares are of the summed node time',
    );
  }
  return { e2eStats, ...(cuptiCov ? { cuptiCov } : {}), perNodeSumMs, ...(hostCov ? { hostCov } : {}), ratio };
}

/** Phase 8: how node time was measured, and the CUPTI alignment's warnings. */
function methodOf(st: RoleState, times: NodeTimes, np: NodePass, cuptiCov: CuptiCoverage | undefined): MethodInfo {
  const { gpuPlan, warnings } = st;
  const { att, agg, nodeTime } = times;
  const method: MethodInfo = {
    nodeTime,
    description: att ? CUPTI_INJECTION_TEXT : METHOD_TEXT[nodeTime],
    warmupRuns: agg.warmupRuns,
    countedRuns: agg.countedRuns.length,
    launchBlocking: np.pass.env.CUDA_LAUNCH_BLOCKING === '1',
    childProcess: st.child,
    runsFrom: agg.runsFrom,
  };
  if (gpuPlan) method.requestedGpuTime = gpuPlan.requested;
  if (nodeTime === 'cupti') method.gpuTimeSource = att ? 'cupti-injection' : 'ort-kernel-events';
  if (att && gpuPlan?.library) method.cuptiLibrary = gpuPlan.library;
  if (np.fallback && !att) method.fallback = np.fallback;
  if (cuptiCov) {
    const al = cuptiCov.alignment;
    if (al.validFraction < 0.95) {
      warnings.push(
        `CUPTI alignment: only ${(al.validFraction * 100).toFixed(1)}% of the launch calls inside runs fall inside a device node ` +
          "or the run's input/output-copy phases; per-node GPU times may be misattributed",
      );
    }
    if (al.plateaus > 1) warnings.push(`CUPTI alignment: ${al.plateaus} equally good clock offsets; the widest was used`);
    if (Math.abs(al.clockDriftUs) > 100) {
      warnings.push(`CUPTI clock moved against CLOCK_MONOTONIC by ${al.clockDriftUs.toFixed(0)} µs during the pass (a clock step?)`);
    }
    if (cuptiCov.records.dropped > 0) warnings.push(`CUPTI dropped ${cuptiCov.records.dropped} activity records`);
    for (const n of al.notes) warnings.push(`CUPTI alignment: ${n}`);
  }
  return method;
}

/** The coverage block's note: what the ratio means under this method. */
function coverageNote(nodeTime: MethodInfo['nodeTime'], cuptiCov: CuptiCoverage | undefined): string {
  if (nodeTime === 'host') {
    return (
      "Ratio = per run, Σ node time / that run's model_run (same runs, so machine load cancels), median over runs. " +
      "The rest of run() is ORT's executor and input/output handling; the end-to-end time, from a separate unprofiled pass, " +
      'also holds the JS tensor conversion.'
    );
  }
  if (nodeTime === 'sync-launch') {
    return (
      'Launch blocking adds per-kernel launch latency and removes CPU/GPU overlap: a ratio above 1 means launch-bound nodes ' +
      '(many small kernels); below 1, time outside nodes (copies, executor).'
    );
  }
  if (cuptiCov) {
    const c = cuptiCov;
    return (
      `Per-node sum = Σ max(host launch time, GPU time) per node (${c.bound}: device nodes' host launch time ` +
      `${c.hostLaunchSumMs.toFixed(3)} ms vs GPU time ${c.nodeGpuSumMs.toFixed(3)} ms). ` +
      `Σ node GPU time / GPU busy time = ${c.attributionRatio.toFixed(3)} (attribution check). ` +
      `Run-level GPU work outside nodes (input/output copies): ${c.runLevelGpuMs.toFixed(3)} ms; ` +
      `with it the ratio is ${c.ratioWithRunLevel.toFixed(3)}. The rest of run() is the JS tensor conversion and ORT's executor.`
    );
  }
  return 'Kernel time excludes launch gaps between kernels; a ratio well below 1 means the GPU idles between launches.';
}

/** Phase 9: device memory: the trace's mem_* fields (the allocator of each node's provider), else nvidia-smi. */
function deviceMemory(
  st: RoleState,
  agg: TraceAggregate,
  gpuMem: GpuMemoryReport | undefined,
): { deviceMem: RoleProfile['memory']['device']; tracePeak?: number } {
  const { o } = st;
  const devProvider = o.ep === 'cuda' ? 'CUDAExecutionProvider' : 'CPUExecutionProvider';
  let tracePeak: number | undefined;
  for (const n of agg.nodes) {
    if (n.provider !== devProvider) continue;
    const p = n.mem.mem_in_use_peak ?? n.mem.mem_bytes_in_use;
    if (p !== undefined) tracePeak = Math.max(tracePeak ?? 0, p);
  }
  // On the CPU the trace's mem_* fields are ORT's CPU arena: host memory, not a device's. No device figure.
  const deviceMem: RoleProfile['memory']['device'] =
    o.ep === 'cpu'
      ? { peakBytes: null, source: 'unavailable' }
      : tracePeak !== undefined
        ? { peakBytes: tracePeak, source: 'trace', traceArenaPeakBytes: tracePeak }
        : gpuMem?.source === 'nvidia-smi'
          ? { peakBytes: gpuMem.peakBytes ?? gpuMem.allProcessesPeakBytes ?? null, source: 'nvidia-smi' }
          : { peakBytes: null, source: 'unavailable' };
  if (gpuMem) deviceMem.nvidiaSmi = gpuMem;
  return { deviceMem, ...(tracePeak !== undefined ? { tracePeak } : {}) };
}

/** Model inputs from the graph (non-initializer graph inputs), for planning without a session. */
function graphInputs(g: Graph): { name: string; type?: string; shape?: (number | string | undefined)[] }[] {
  const inits = new Set(g.initializers.map((v) => v.name));
  return g.inputs
    .filter((v) => !inits.has(v.name))
    .map((v) => {
      const t = v.tensorType;
      const r: { name: string; type?: string; shape?: (number | string | undefined)[] } = { name: v.name };
      if (t) r.type = dataTypeName(t.elemType);
      if (t?.shape) r.shape = t.shape;
      return r;
    });
}
