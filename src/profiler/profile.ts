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
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { ManifestError, RuntimeError, UsageError } from '../errors.js';
import type { RoleSpec } from '../models/manifest.js';
import { readManifestJson } from '../models/manifest-io.js';
import { diagnoseCuda, onnxruntimeVersion, type ExecutionProvider, type SessionConfig } from '../runtime/index.js';
import { providerOptionsForRole } from '../runner/pipeline-settings.js';
import { CUPTI_LIB_NAME, findCuptiLibrary } from './cupti/find-library.js';
import { detectGpus, findDevicePeaks, type DevicePeaks } from '../core/devices.js';
import type { GpuTimePlan, ProfileOptions, RoleTarget } from './profile-options.js';
import { PROFILE_SCHEMA_VERSION, type DeviceInfo, type ProfileReport } from './profile-report.js';
import { profileRole } from './profile-role.js';
import { parseSessionOptions } from './session-options.js';

export type { GpuTimeMode, ProfileOptions } from './profile-options.js';

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
  const env = process.env.WB_CUPTI_LIB ? `WB_CUPTI_LIB=${process.env.WB_CUPTI_LIB} is not a file` : 'WB_CUPTI_LIB unset';
  return { requested, fallback: `no ${CUPTI_LIB_NAME} (${env}; ${BUILD_HINT})` };
}

/** Reads a manifest and lists its roles with resolved model paths. */
export function loadManifestRoles(file: string, only?: readonly string[]): RoleTarget[] {
  const m = readManifestJson(file);
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
  for (const r of only ?? []) {
    if (!all.some(([k]) => k === r)) throw new ManifestError(file, `roles.${r}`, `no such role (has ${all.map(([k]) => k).join(', ')})`);
  }
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
    if (!peaks) throw new UsageError(`--device ${override}: unknown device (see src/core/devices.ts)`);
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
      'onnxruntime-node 1.29 cannot bind CUDA outputs to device memory (IO binding is WebGPU-only), ' +
        'so end-to-end times include host<->device copies of inputs and outputs.',
    ],
  };
  if (ep === 'cuda' && !device.peaks) {
    report.notes.push(`no peak figures for '${device.name}': roofline fields are null; pass --device <id> to choose a table entry`);
  }
  for (const t of targets) {
    o.log?.(`profiling ${t.role}: ${t.modelPath}`);
    const po = providerOptionsForRole(o.providerOptions ?? {}, t.role);
    const roleConfig: SessionConfig = Object.keys(po).length ? { ...config, providerOptions: po } : config;
    report.roles.push(await profileRole(t, { ...o, ep, runs, warmup }, roleConfig, device, gpuPlan));
  }
  return report;
}
