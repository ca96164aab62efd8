/**
 * `workbench profile`: profiles a model, or every role of a manifest with its pipeline shapes, and returns
 * the typed ProfileReport (profile.json). Per role: an end-to-end pass without profiling (median `run()` time
 * after warm-up) and a node pass with ORT profiling; on CUDA both run in child processes. The node pass's GPU
 * time ('--gpu-time'): 'cupti' = the CUPTI injection library native/cupti-trace/libcupti_trace.so records every
 * kernel/copy and the launch calls, attributed to nodes in profiler/cupti/ (no launch blocking); 'sync-launch' = the
 * pass runs with CUDA_LAUNCH_BLOCKING=1 and each node's host time covers its kernels. 'auto' = cupti when the
 * library is found ($WB_CUPTI_LIB or native/cupti-trace/), else sync-launch. A trace that already carries
 * ORT's own CUPTI `Kernel` events is read as 'cupti' too.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { costOf as defaultCostOf } from '../analysis/node-cost.js';
import { ManifestError, RuntimeError, UsageError } from '../errors.js';
import type { Manifest, RoleSpec } from '../models/manifest.js';
import { dataTypeName } from '../onnx/dtype.js';
import { readModel } from '../onnx/read-model.js';
import type { Graph, Node } from '../onnx/types.js';
import {
  cudaEnvFor,
  describeSessionConfig,
  diagnoseCuda,
  onnxruntimeVersion,
  resolveBackend,
  type Backend,
  type ExecutionProvider,
  type SessionConfig,
} from '../runtime/index.js';
import { aggregateTrace, nodeKey, type NodeAggregate } from './aggregate.js';
import { attributeCapture } from './cupti/attribute-capture.js';
import { readCuptiCapture, type CuptiCapture } from './cupti/capture.js';
import { cuptiCoverage } from './cupti/coverage.js';
import { CUPTI_LIB_NAME, cuptiEnv, findCuptiLibrary } from './cupti/find-library.js';
import { attachKernels, kernelsByNode, nodeContributionUs, nodeGpuTimeUs } from './cupti/node-times.js';
import { computePeakFor, detectGpus, findDevicePeaks, type DevicePeaks } from './devices.js';
import { flagsOf, totalFlags } from './flags.js';
import { watchGpuMemory, type GpuMemoryReport } from './gpu-memory.js';
import { emptyOverrides, overridesForRole, planInputs, type InputOverrides, type InputPlanEntry } from './inputs.js';
import { costTracedNode, indexGraphNodes, type CostFn } from './node-costs.js';
import { aliasRenamedNodes } from './trace-names.js';
import { hostCoverage } from './host-coverage.js';
import { runPass, type PassJob, type PassResult } from './passes.js';
import {
  PROFILE_SCHEMA_VERSION,
  type DeviceInfo,
  type MethodInfo,
  type NodeRow,
  type OpTypeRow,
  type ProfileReport,
  type RoleProfile,
} from './profile-report.js';
import { rooflinePoint } from './roofline.js';
import { parseSessionOptions } from './session-options.js';
import { providerOptionsForRole, type RoleProviderOptions } from '../runner/pipeline-settings.js';
import { scaleStats, timeStats } from './stats.js';
import { readTrace, type TraceNodeEvent, type TraceShape } from './trace.js';
import { runPassInChild, type WorkerLaunch } from './worker.js';

export interface ProfileOptions {
  /** A model file or a manifest (.json). */
  target: string;
  ep?: ExecutionProvider;
  /** Counted runs (default 20). */
  runs?: number;
  /** Warm-up runs, excluded from every statistic (default 5 on CUDA: cuDNN autotuning; 3 on the CPU). */
  warmup?: number;
  inputs?: InputOverrides;
  /** `key=value` session options. */
  sessionOptions?: readonly string[];
  /** Runtime backend of the sessions (default node). */
  backend?: Backend;
  /** CUDA EP provider options per role ('*' = all; a single model is role '*'). */
  providerOptions?: RoleProviderOptions;
  seed?: number;
  /** Manifest roles to profile (default all). */
  roles?: readonly string[];
  /** Run passes in child processes: 'auto' = on CUDA only. */
  childProcess?: 'auto' | 'always' | 'never';
  launch?: WorkerLaunch;
  costOf?: CostFn;
  /** Device peaks to use instead of the detected GPU (an id of DEVICE_PEAKS). */
  device?: string;
  /** Copy each role's ORT trace here (`<role>.trace.json`, and `<role>.cupti.jsonl` under cupti). */
  keepTraceDir?: string;
  /** CUDA EP: how to get GPU time per node (default 'auto': cupti when the injection library is found). */
  gpuTime?: GpuTimeMode;
  /** The CUPTI injection library (default: $WB_CUPTI_LIB, else native/cupti-trace/libcupti_trace.so). */
  cuptiLibrary?: string;
  log?: (line: string) => void;
}

export type GpuTimeMode = 'auto' | 'cupti' | 'sync-launch';

/** The GPU-time method a profile on CUDA will use: the library for cupti, or why it falls back. */
interface GpuTimePlan {
  requested: GpuTimeMode;
  library?: string;
  fallback?: string;
}

const BUILD_HINT = `build it on the GPU machine with 'bash native/cupti-trace/build.sh' and point WB_CUPTI_LIB at it`;

function planGpuTime(o: ProfileOptions, child: boolean): GpuTimePlan {
  const requested = o.gpuTime ?? 'auto';
  if (!['auto', 'cupti', 'sync-launch'].includes(requested)) throw new UsageError(`--gpu-time ${requested}: auto, cupti or sync-launch`);
  if (requested === 'sync-launch') return { requested };
  if (!child) {
    if (requested === 'cupti') throw new UsageError('--gpu-time cupti needs the node pass in a child process (drop --child-process never)');
    return { requested, fallback: 'passes run in this process (--child-process never): no CUPTI injection' };
  }
  if (o.cuptiLibrary) {
    const p = resolve(o.cuptiLibrary);
    if (!existsSync(p)) throw new UsageError(`CUPTI library ${p} does not exist; ${BUILD_HINT}`);
    return { requested, library: p };
  }
  const found = findCuptiLibrary();
  if (found.path) return { requested, library: found.path };
  if (requested === 'cupti') throw new UsageError(`--gpu-time cupti: ${CUPTI_LIB_NAME} not found (tried ${found.tried.join(', ')}); ${BUILD_HINT}`);
  return { requested, fallback: `no ${CUPTI_LIB_NAME} (${process.env.WB_CUPTI_LIB ? `WB_CUPTI_LIB=${process.env.WB_CUPTI_LIB} is not a file` : 'WB_CUPTI_LIB unset'}; ${BUILD_HINT})` };
}

interface RoleTarget {
  role: string;
  modelPath: string;
  spec?: RoleSpec;
}

/** Reads a manifest and lists its roles with resolved model paths. */
export function loadManifestRoles(file: string, only?: readonly string[]): RoleTarget[] {
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  } catch (e) {
    throw new ManifestError(file, 'file', `cannot read the manifest (${(e as Error).message})`);
  }
  if (!m || typeof m !== 'object' || !m.roles || typeof m.roles !== 'object') throw new ManifestError(file, 'roles', 'missing');
  const base = dirname(resolve(file));
  const all = Object.entries(m.roles) as [string, RoleSpec | undefined][];
  const out: RoleTarget[] = [];
  for (const [role, spec] of all) {
    if (!spec) continue;
    if (only && only.length && !only.includes(role)) continue;
    if (typeof spec.file !== 'string') throw new ManifestError(file, `roles.${role}.file`, 'missing');
    out.push({ role, modelPath: resolve(base, spec.file), spec });
  }
  if (only) for (const r of only) if (!all.some(([k]) => k === r)) throw new ManifestError(file, `roles.${r}`, `no such role (has ${all.map(([k]) => k).join(', ')})`);
  if (out.length === 0) throw new ManifestError(file, 'roles', 'no roles to profile');
  return out;
}

/** The device the profile ran on and the peaks its roofline uses. */
export function describeDevice(ep: ExecutionProvider, config: SessionConfig, override?: string): DeviceInfo {
  const tf32 = ep === 'cuda' && config.useTf32 !== false;
  if (ep === 'cpu') {
    const c = cpus();
    return { kind: 'cpu', name: `${c[0]?.model ?? 'CPU'} (${c.length} logical cores)`, detectedBy: 'os.cpus()', tf32: false };
  }
  const gpus = detectGpus();
  const g = gpus[config.deviceId ?? 0];
  let peaks: DevicePeaks | undefined = g?.peaks;
  let detectedBy = g ? 'nvidia-smi --query-gpu=name,memory.total' : 'nvidia-smi unavailable';
  if (override) {
    peaks = findDevicePeaks(override);
    if (!peaks) throw new UsageError(`--device ${override}: unknown device (see src/profiler/devices.ts)`);
    detectedBy += `; peaks from --device ${override}`;
  }
  const d: DeviceInfo = { kind: 'gpu', name: g?.name ?? peaks?.name ?? 'unknown GPU', detectedBy, tf32 };
  if (g) d.memoryBytes = g.memoryMiB * 1024 * 1024;
  if (peaks) {
    const { match: _m, ...rest } = peaks;
    d.peaks = rest;
  }
  return d;
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

function nullableShapes(s: (TraceShape | undefined)[]): ({ type: string; dims: number[] } | null)[] {
  return s.map((x) => (x ? { type: x.type, dims: x.dims } : null));
}

const METHOD_TEXT: Record<MethodInfo['nodeTime'], string> = {
  host: 'CPU EP: each node\'s _kernel_time is its compute on the host (ORT profiling trace).',
  'sync-launch':
    'CUDA EP: the node pass ran in a child process with CUDA_LAUNCH_BLOCKING=1, so every kernel launch is synchronous and each node\'s host-measured _kernel_time covers its GPU work (plus launch latency, without overlap). The end-to-end time is a separate pass without profiling and without launch blocking.',
  cupti: 'CUDA EP with CUPTI: per-node time is the sum of the node\'s Kernel events (GPU timestamps) from the ORT trace.',
};

const CUPTI_INJECTION_TEXT =
  'CUDA EP with CUPTI (injection library libcupti_trace.so, no launch blocking): each node\'s time is the GPU time (CUPTI timestamps) of the kernels, copies and memsets it launched; each GPU record is tied to its launch call by correlationId and the launch call to the node whose _kernel_time interval contains it, after aligning the CUPTI clock with the ORT trace (profiler/cupti/). CPU nodes keep their host time. Coverage sums per node max(host launch time, GPU time) and compares it with the end-to-end median of a separate pass without profiling or CUPTI.';

/** Profiles a model or a manifest. */
export async function profileTarget(o: ProfileOptions): Promise<ProfileReport> {
  const ep = o.ep ?? 'cpu';
  if (ep === 'cuda') {
    const why = diagnoseCuda();
    if (why) throw new RuntimeError('cuda', `--ep cuda cannot run: ${why}`);
  }
  const runs = o.runs ?? 20;
  const warmup = o.warmup ?? (ep === 'cuda' ? 5 : 3);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs ${runs}: at least 1`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new UsageError(`--warmup ${warmup}: a non-negative integer`);
  const config = parseSessionOptions(o.sessionOptions ?? [], { ep, ...(o.backend ? { backend: o.backend } : {}) });
  const isManifest = /\.json$/i.test(o.target);
  const targets: RoleTarget[] = isManifest ? loadManifestRoles(o.target, o.roles) : [{ role: 'model', modelPath: resolve(o.target) }];
  const device = describeDevice(ep, config, o.device);
  const child = o.childProcess === 'always' || (o.childProcess !== 'never' && ep === 'cuda');
  const gpuPlan = ep === 'cuda' ? planGpuTime(o, child) : undefined;
  if (gpuPlan?.library) o.log?.(`GPU time per node: CUPTI injection library ${gpuPlan.library}`);
  else if (gpuPlan) o.log?.(`GPU time per node: sync-launch${gpuPlan.fallback ? ` (${gpuPlan.fallback})` : ''}`);
  const report: ProfileReport = {
    schemaVersion: PROFILE_SCHEMA_VERSION,
    tool: 'workbench profile',
    createdAt: new Date().toISOString(),
    target: o.target,
    targetKind: isManifest ? 'manifest' : 'model',
    onnxruntime: onnxruntimeVersion(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    requestedEp: ep,
    device,
    roles: [],
    notes: [
      'Times in ms, sizes in bytes, rates per second. Statistics exclude the warm-up runs.',
      'onnxruntime-node 1.29 cannot bind CUDA outputs to device memory (IO binding is WebGPU-only), so end-to-end times include host<->device copies of inputs and outputs.',
    ],
  };
  if (ep === 'cuda' && !device.peaks) report.notes.push(`no peak figures for '${device.name}': roofline fields are null; pass --device <id> to choose a table entry`);
  for (const t of targets) {
    o.log?.(`profiling ${t.role}: ${t.modelPath}`);
    const po = providerOptionsForRole(o.providerOptions ?? {}, t.role);
    const roleConfig: SessionConfig = Object.keys(po).length ? { ...config, providerOptions: po } : config;
    report.roles.push(await profileRole(t, { ...o, ep, runs, warmup }, roleConfig, device, gpuPlan));
  }
  return report;
}

async function profileRole(t: RoleTarget, o: ProfileOptions & { ep: ExecutionProvider; runs: number; warmup: number }, config: SessionConfig, device: DeviceInfo, gpuPlan?: GpuTimePlan): Promise<RoleProfile> {
  const warnings: string[] = [];
  let graph: Graph | undefined;
  try {
    graph = readModel(t.modelPath, { loadExternalData: false, verify: false }).model.graph;
  } catch (e) {
    if (!t.spec) throw e;
    warnings.push(`could not read the model graph (${(e as Error).message}); costs from the trace only`);
  }
  // Inputs: the manifest's contract (pipeline shapes) or the graph's inputs.
  const overrides = overridesForRole(o.inputs ?? emptyOverrides(), t.role);
  const declared = t.spec
    ? Object.entries(t.spec.inputs).map(([name, s]) => ({ name, type: s.type, shape: s.shape }))
    : graph
      ? graphInputs(graph)
      : [];
  const dims = { ...(t.spec?.profileDims ?? {}), ...overrides.dims };
  const { plan, warnings: w } = planInputs(declared, { ...overrides, dims }, o.seed ?? 1, t.role);
  warnings.push(...w);

  const child = o.childProcess === 'always' || (o.childProcess !== 'never' && o.ep === 'cuda');
  const traceDir = mkdtempSync(join(tmpdir(), 'wb-profile-trace-'));
  try {
    const base: Omit<PassJob, 'kind'> = { modelPath: t.modelPath, config, plan, warmup: o.warmup, runs: o.runs, traceDir };
    let gpuMem: GpuMemoryReport | undefined;
    let e2e: PassResult;
    if (child) {
      let watch: ReturnType<typeof watchGpuMemory> | undefined;
      try {
        e2e = await runPassInChild({ ...base, kind: 'e2e' }, {
          env: { ...cudaEnvFor(config), CUDA_LAUNCH_BLOCKING: '0' },
          ...(o.launch ? { launch: o.launch } : {}),
          onSpawn: (pid) => {
            if (o.ep === 'cuda') watch = watchGpuMemory(pid);
          },
        });
      } finally {
        const w2 = watch as ReturnType<typeof watchGpuMemory> | undefined;
        if (w2) gpuMem = await w2.stop();
      }
    } else e2e = await runPass({ ...base, kind: 'e2e' });
    const syncLaunchPass = (): Promise<PassResult> =>
      child
        ? runPassInChild({ ...base, kind: 'nodes' }, {
          env: { ...cudaEnvFor(config), ...(o.ep === 'cuda' ? { CUDA_LAUNCH_BLOCKING: '1' } : {}) },
          ...(o.launch ? { launch: o.launch } : {}),
        })
        : runPass({ ...base, kind: 'nodes' });
    // CUPTI: the node pass without launch blocking, with the injection library; its capture is read after the
    // child exits (the library writes it at exit). Under auto, a capture that is missing or empty falls back.
    let capture: CuptiCapture | undefined;
    let fallback = gpuPlan?.fallback;
    let nodesPass: PassResult;
    const cuptiFile = join(traceDir, 'cupti.jsonl');
    if (gpuPlan?.library) {
      nodesPass = await runPassInChild({ ...base, kind: 'nodes' }, {
        env: { ...cudaEnvFor(config), ...cuptiEnv(gpuPlan.library, cuptiFile) },
        ...(o.launch ? { launch: o.launch } : {}),
      });
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
        warnings.push(fallback);
        nodesPass = await syncLaunchPass();
      }
    } else nodesPass = await syncLaunchPass();
    if (!nodesPass.traceFile) throw new RuntimeError(o.ep, `${t.modelPath}: ONNX Runtime wrote no profiling trace (looked for ort-trace-${nodesPass.pid}_*.json in ${traceDir})`);
    const trace = readTrace(nodesPass.traceFile);
    let keptTrace: string | undefined;
    if (o.keepTraceDir) {
      mkdirSync(o.keepTraceDir, { recursive: true });
      keptTrace = join(o.keepTraceDir, `${t.role}.trace.json`);
      copyFileSync(nodesPass.traceFile, keptTrace);
      if (capture) {
        copyFileSync(cuptiFile, join(o.keepTraceDir, `${t.role}.cupti.jsonl`));
        if (nodesPass.clockMarks) writeFileSync(join(o.keepTraceDir, `${t.role}.clock-marks.json`), JSON.stringify(nodesPass.clockMarks));
      }
    }
    const nodeTime: MethodInfo['nodeTime'] = o.ep === 'cpu' ? 'host' : trace.hasKernelEvents || capture ? 'cupti' : 'sync-launch';
    const att = capture && !trace.hasKernelEvents ? attributeCapture(trace, capture, nodesPass.clockMarks) : undefined;
    if (att) attachKernels(att);
    const agg = aggregateTrace(trace, {
      warmupRuns: o.warmup,
      timeSource: nodeTime === 'cupti' ? 'kernel' : 'node',
      ...(att ? { timeOf: (e: TraceNodeEvent) => nodeGpuTimeUs(e, att) } : {}),
    });
    if (trace.possiblyTruncated) warnings.push('the trace reached ORT\'s 1,000,000-event cap: later runs may be missing; use fewer --runs');
    if (o.ep === 'cuda' && !trace.nodes.some((n) => n.provider === 'CUDAExecutionProvider'))
      warnings.push('no node ran on CUDAExecutionProvider although --ep cuda was asked for');

    // Costs, roofline and flags per node.
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
    if (att) {
      // Host time and contribution beside the GPU time, per row.
      const host = new Map(aggregateTrace(trace, { warmupRuns: o.warmup, timeSource: 'node' }).nodes.map((n) => [n.key, n] as const));
      const contrib = new Map(aggregateTrace(trace, { warmupRuns: o.warmup, timeOf: (e) => nodeContributionUs(e, att) }).nodes.map((n) => [n.key, n] as const));
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
    // ORT inserts layout reorders and copies that no model has: expected, not worth a warning. The rest (fusions
    // of several model nodes, e.g. Gelu from Erf/Div/Mul/Add) is said once per role with its op types.
    const orphan = rows.filter((r) => r.costSource === 'trace-only' && !ORT_INSERTED_OPS.test(r.opType));
    if (graph && orphan.length) {
      const ops = [...new Set(orphan.map((r) => r.opType))].sort();
      warnings.push(`${orphan.length} of ${rows.length} traced nodes (${ops.join(', ')}) are ORT fusions of several model nodes, with no one model node to map back to; they were costed from the trace alone`);
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

    const e2eTimes = e2e.timesMs.slice(e2e.warmup);
    const e2eStats = timeStats(e2eTimes);
    const cuptiCov = att && capture ? cuptiCoverage(trace, att, agg.countedRuns, e2eStats.median, capture) : undefined;
    const perNodeSumMs = cuptiCov ? cuptiCov.contributionSumMs : agg.perNodeSum.median / 1000;
    // CPU: coverage within the profiled runs (host-coverage.ts); GPU methods keep the separate unprofiled pass.
    const hostCov = nodeTime === 'host' ? hostCoverage(trace, agg.countedRuns) : undefined;
    const ratio = hostCov ? hostCov.ratio : e2eStats.median > 0 ? perNodeSumMs / e2eStats.median : Number.NaN;
    if (hostCov?.overlapping) warnings.push('node events overlapped in time (nodes ran in parallel): the per-node sum is not a part of the run, so no coverage ratio is given, and shares are of the summed node time');
    const method: MethodInfo = {
      nodeTime,
      description: att ? CUPTI_INJECTION_TEXT : METHOD_TEXT[nodeTime],
      warmupRuns: agg.warmupRuns,
      countedRuns: agg.countedRuns.length,
      launchBlocking: nodesPass.env.CUDA_LAUNCH_BLOCKING === '1',
      childProcess: child,
      runsFrom: agg.runsFrom,
    };
    if (gpuPlan) method.requestedGpuTime = gpuPlan.requested;
    if (nodeTime === 'cupti') method.gpuTimeSource = att ? 'cupti-injection' : 'ort-kernel-events';
    if (att && gpuPlan?.library) method.cuptiLibrary = gpuPlan.library;
    if (fallback && !att) method.fallback = fallback;
    if (cuptiCov) {
      const al = cuptiCov.alignment;
      if (al.validFraction < 0.95) warnings.push(`CUPTI alignment: only ${(al.validFraction * 100).toFixed(1)}% of the launch calls inside runs fall inside a device node or the run's input/output-copy phases; per-node GPU times may be misattributed`);
      if (al.plateaus > 1) warnings.push(`CUPTI alignment: ${al.plateaus} equally good clock offsets; the widest was used`);
      if (Math.abs(cuptiCov.alignment.clockDriftUs) > 100) warnings.push(`CUPTI clock moved against CLOCK_MONOTONIC by ${cuptiCov.alignment.clockDriftUs.toFixed(0)} µs during the pass (a clock step?)`);
      if (cuptiCov.records.dropped > 0) warnings.push(`CUPTI dropped ${cuptiCov.records.dropped} activity records`);
      for (const n of al.notes) warnings.push(`CUPTI alignment: ${n}`);
    }
    const coverageNote = nodeTime === 'host'
      ? 'Ratio = per run, Σ node time / that run\'s model_run (same runs, so machine load cancels), median over runs. The rest of run() is ORT\'s executor and input/output handling; the end-to-end time, from a separate unprofiled pass, also holds the JS tensor conversion.'
      : nodeTime === 'sync-launch'
        ? 'Launch blocking adds per-kernel launch latency and removes CPU/GPU overlap: a ratio above 1 means launch-bound nodes (many small kernels); below 1, time outside nodes (copies, executor).'
        : cuptiCov
          ? `Per-node sum = Σ max(host launch time, GPU time) per node (${cuptiCov.bound}: device nodes' host launch time ${cuptiCov.hostLaunchSumMs.toFixed(3)} ms vs GPU time ${cuptiCov.nodeGpuSumMs.toFixed(3)} ms). Σ node GPU time / GPU busy time = ${cuptiCov.attributionRatio.toFixed(3)} (attribution check). Run-level GPU work outside nodes (input/output copies): ${cuptiCov.runLevelGpuMs.toFixed(3)} ms; with it the ratio is ${cuptiCov.ratioWithRunLevel.toFixed(3)}. The rest of run() is the JS tensor conversion and ORT's executor.`
          : 'Kernel time excludes launch gaps between kernels; a ratio well below 1 means the GPU idles between launches.';

    // Memory: the trace's mem_* fields (the allocator of each node's provider), else nvidia-smi.
    const devProvider = o.ep === 'cuda' ? 'CUDAExecutionProvider' : 'CPUExecutionProvider';
    let tracePeak: number | undefined;
    for (const n of agg.nodes) {
      if (n.provider !== devProvider) continue;
      const p = n.mem.mem_in_use_peak ?? n.mem.mem_bytes_in_use;
      if (p !== undefined) tracePeak = Math.max(tracePeak ?? 0, p);
    }
    // On the CPU the trace's mem_* fields are ORT's CPU arena: host memory, not a device's. No device figure.
    const deviceMem: RoleProfile['memory']['device'] = o.ep === 'cpu'
      ? { peakBytes: null, source: 'unavailable' }
      : tracePeak !== undefined
      ? { peakBytes: tracePeak, source: 'trace', traceArenaPeakBytes: tracePeak }
      : gpuMem?.source === 'nvidia-smi'
        ? { peakBytes: gpuMem.peakBytes ?? gpuMem.allProcessesPeakBytes ?? null, source: 'nvidia-smi' }
        : { peakBytes: null, source: 'unavailable' };
    if (gpuMem) deviceMem.nvidiaSmi = gpuMem;

    const profile: RoleProfile = {
      role: t.role,
      model: t.modelPath,
      session: { config, applied: describeSessionConfig(config, { ...process.env, ...cudaEnvFor(config) }, resolveBackend(config.backend)) },
      inputs: plan.map((p: InputPlanEntry) => ({ name: p.name, type: p.type, dims: p.dims, fill: p.fill, ...(p.note ? { note: p.note } : {}) })),
      method,
      endToEnd: {
        description: `median wall time of session.run() without profiling${child ? ' (child process' + (o.ep === 'cuda' ? ', no launch blocking)' : ')') : ''}, host to host, after ${e2e.warmup} warm-up runs`,
        warmup: e2e.warmup,
        time: e2eStats,
        sessionCreateMs: e2e.sessionCreateMs,
      },
      profiledRun: { modelRun: scaleStats(agg.runStats, 1e-3), wall: timeStats(nodesPass.timesMs.slice(nodesPass.warmup)) },
      coverage: {
        perNodeSumMs,
        endToEndMs: e2eStats.median,
        ratio,
        withinTenPercent: Number.isFinite(ratio) && Math.abs(ratio - 1) <= 0.1,
        against: hostCov ? 'model_run' : 'end-to-end',
        ...(hostCov ? { modelRunMs: hostCov.modelRunMs } : {}),
        note: coverageNote,
        sumOf: cuptiCov ? 'contribution' : 'node-time',
        ...(cuptiCov ? { cupti: cuptiCov } : {}),
      },
      nodes: rows,
      opTypes,
      flags: totalFlags(rows.map((r) => ({ name: r.name, flags: r.flags, medianMs: r.time.median })), sumOfMediansUs / 1000),
      memory: { device: deviceMem, host: { endToEnd: e2e.host, nodes: nodesPass.host, ...(o.ep === 'cpu' && tracePeak !== undefined ? { cpuArenaPeakBytes: tracePeak } : {}) } },
      trace: { events: trace.eventCount, kernelEvents: trace.hasKernelEvents, indexFormat: trace.indexFormat, possiblyTruncated: trace.possiblyTruncated, ...(keptTrace ? { file: keptTrace } : {}) },
      totals: {
        flops: rows.reduce((s, r) => s + r.flops * r.executionsPerRun, 0),
        bytes: rows.reduce((s, r) => s + (r.bytesRead + r.bytesWritten) * r.executionsPerRun, 0),
        params: rows.reduce((s, r) => s + r.parameterBytes, 0),
      },
      warnings,
    };
    return profile;
  } finally {
    rmSync(traceDir, { recursive: true, force: true });
  }
}

/** Op types ORT inserts itself (NCHWc layout reorders, device copies): trace-only by nature. */
const ORT_INSERTED_OPS = /^(ReorderInput|ReorderOutput|MemcpyFromHost|MemcpyToHost)$/;

function nodeRow(n: NodeAggregate, graphNodes: Map<string, Node>, graphOps: Set<string>, costFn: CostFn, ep: ExecutionProvider, device: DeviceInfo, share: number): NodeRow {
  const info = {
    name: n.name,
    opType: n.opType,
    inputShapes: n.inputShapes,
    outputShapes: n.outputShapes,
    ...(n.parameterBytes !== undefined ? { parameterBytes: n.parameterBytes } : {}),
    ...(n.activationBytes !== undefined ? { activationBytes: n.activationBytes } : {}),
    ...(n.outputBytes !== undefined ? { outputBytes: n.outputBytes } : {}),
  };
  const c = costTracedNode(info, graphNodes, graphOps, costFn);
  const time = scaleStats(n.stats, 1e-3);
  const execs = n.executionsPerRun || 1;
  const bytes = (c.bytesRead + c.bytesWritten) * execs;
  const flops = c.flops * execs;
  let roofline: NodeRow['roofline'] = null;
  const onDevice = ep === 'cuda' && n.provider === 'CUDAExecutionProvider';
  if (onDevice && device.peaks) {
    const elem = n.inputShapes[0]?.type ?? n.outputShapes[0]?.type ?? 'float';
    const peak = computePeakFor(device.peaks, elem, n.opType, device.tf32);
    const p = rooflinePoint(flops, bytes, time.median / 1000, peak.flops, peak.unit, device.peaks.memoryBandwidth);
    if (p) roofline = { intensity: p.intensity, achievedFlops: p.achievedFlops, achievedBytesPerS: p.achievedBytesPerS, peakFlops: p.peakFlops, peakUnit: p.peakUnit, peakBytesPerS: p.peakBytesPerS, bound: p.bound, fractionOfBound: p.fractionOfBound };
  }
  const row: NodeRow = {
    name: n.name,
    opType: n.opType,
    provider: n.provider,
    inputShapes: nullableShapes(n.inputShapes),
    outputShapes: nullableShapes(n.outputShapes),
    activationBytes: n.activationBytes ?? c.activationBytes,
    parameterBytes: n.parameterBytes ?? c.paramBytes,
    outputBytes: n.outputBytes ?? c.bytesWritten,
    time,
    share,
    executionsPerRun: n.executionsPerRun,
    macs: c.macs,
    flops: c.flops,
    bytesRead: c.bytesRead,
    bytesWritten: c.bytesWritten,
    costSource: c.source,
    fused: c.fused,
    roofline,
    flags: flagsOf({ opType: n.opType, provider: n.provider, inputShapes: n.inputShapes, outputShapes: n.outputShapes, ...(c.perm ? { perm: c.perm } : {}) }, ep),
  };
  if (n.nodeIndex !== undefined) row.nodeIndex = n.nodeIndex;
  if (c.note) row.costNote = c.note;
  if (Object.keys(n.mem).length) row.memory = n.mem;
  if (n.kernelsPerRun) row.kernelsPerRun = n.kernelsPerRun;
  return row;
}
