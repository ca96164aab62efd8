/**
 * The runner's ORT sessions, one per role, instrumented: every call is timed and counted, float16 I/O of a
 * variant is converted at the boundary, and each role's first-call outputs are kept as a fingerprint
 * (statistics plus an evenly strided sample) so a quality regression can be traced to the role that
 * caused it.
 */
import { median } from '../core/stats.js';
import { hostTensorToFloat32 } from '../runtime/index.js';
import { isAbsolute, join, resolve } from 'node:path';
import { float16ToFloat32, float32ToFloat16 } from '../onnx/dtype.js';
import type { Manifest, Role } from '../models/manifest.js';
import {
  createSession,
  cudaGraphEnabled,
  toHost,
  type BoundRunOptions,
  type BoundRunResult,
  type DeviceTensor,
  type HostTensor,
  type OutputTarget,
  type PreparedRun,
  type Session,
  type SessionConfig,
  type SessionIO,
  type Tensor,
} from '../runtime/index.js';
import { StageError } from '../core/input-error.js';
import { UsageError } from '../errors.js';
import type { InputRecorder } from './input-recorder.js';
import { withTimeout } from './stage-timer.js';
import { providerOptionsForRole, type RoleProviderOptions } from './pipeline-settings.js';
import { ShapePool } from './shape-pool.js';

/** Values kept per output in a fingerprint. */
export const FINGERPRINT_SAMPLES = 4096;

export interface TensorFingerprint {
  dims: number[];
  type: string;
  mean: number;
  std: number;
  absMax: number;
  l2: number;
  /** Every `stride`-th value (from 0), at most FINGERPRINT_SAMPLES, as base64 float32 little-endian. */
  stride: number;
  sample: string;
}

export type RoleFingerprint = Record<string, TensorFingerprint>;

export interface RoleCallStats {
  calls: number;
  /** Model steps, counted only for a role that runs several per call (countSteps). */
  steps?: number;
  totalMs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /**
   * Bound calls only (their backend reports its own run time): the slowest run as the backend timed it, and
   * the longest time a call spent outside it (waiting for a thread, the event loop, downloads settled in JS).
   * A slow call whose run was fast waited; one whose run was slow met the GPU busy.
   */
  maxRunMs?: number;
  maxWaitMs?: number;
}

export function fingerprint(t: HostTensor): TensorFingerprint {
  const x = hostTensorToFloat32(t);
  let sum = 0;
  let sq = 0;
  let absMax = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    sum += v;
    sq += v * v;
    absMax = Math.max(absMax, Math.abs(v));
  }
  const n = Math.max(1, x.length);
  const mean = sum / n;
  const stride = Math.max(1, Math.ceil(x.length / FINGERPRINT_SAMPLES));
  const sample = new Float32Array(Math.ceil(x.length / stride));
  for (let i = 0, j = 0; i < x.length; i += stride, j++) sample[j] = x[i] as number;
  return {
    dims: [...t.dims],
    type: t.type,
    mean,
    std: Math.sqrt(Math.max(0, sq / n - mean * mean)),
    absMax,
    l2: Math.sqrt(sq),
    stride,
    sample: Buffer.from(sample.buffer, sample.byteOffset, sample.byteLength).toString('base64'),
  };
}

export function decodeSample(fp: TensorFingerprint): Float32Array {
  const b = Buffer.from(fp.sample, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export interface LoadRolesOptions {
  manifest: Manifest;
  /** The manifest's folder (role files are relative to it). */
  manifestDir: string;
  roles: readonly Role[];
  session: SessionConfig;
  /** CUDA EP provider options per role ('*' = every role), merged into `session` per role. */
  providerOptions?: RoleProviderOptions;
  /** Role → model file replacing the manifest's (a variant); relative paths resolve from the cwd. */
  overrides?: Partial<Record<Role, string>>;
  /** Per-session load limit; a load past it rejects with StageError('load', 'timeout'). */
  loadTimeoutMs?: number;
  /** Writes chosen roles' feeds as calibration samples (see input-recorder.ts). */
  recorder?: InputRecorder;
  /** Profile every role with ORT: each role's trace goes to `<profileDir>/<role>_<date>.json` until {@link RoleSessions.endProfiling}. */
  profileDir?: string;
  /**
   * Sessions per role, each kept on the input shapes it ran last (src/runner/shape-pool.ts); 1 or absent = one.
   * Ignored with `profileDir` (a role's trace comes from one session).
   */
  shapeSessions?: Partial<Record<Role, number>>;
}

export function roleFile(o: Pick<LoadRolesOptions, 'manifest' | 'manifestDir' | 'overrides'>, role: Role): string {
  const over = o.overrides?.[role];
  if (over) return resolve(over);
  const spec = o.manifest.roles[role];
  if (!spec) throw new StageError('load', 'error', `manifest has no role '${role}'`);
  return isAbsolute(spec.file) ? spec.file : join(o.manifestDir, spec.file);
}

/** The element types the runner's device buffers hold (src/runner/device-io.ts). */
const DEVICE_IO_TYPES: ReadonlySet<string> = new Set(['float32', 'int64', 'uint8']);

/**
 * Why a role's calls cannot be bound on the device, in words (undefined: they can): no native session, an input
 * recorder attached (it needs host feeds), or an input or output of a type the device buffers do not hold.
 */
export function deviceBindBlocker(s: Pick<Session, 'backend' | 'inputMetadata' | 'outputMetadata'> | undefined, recording: boolean): string | undefined {
  if (recording) return 'an input recorder is attached (it needs host feeds)';
  if (!s) return 'no session is loaded';
  if (s.backend !== 'native') return `backend '${s.backend}' (device buffers need the native backend)`;
  const io = [...s.inputMetadata.map((m) => ['input', m] as const), ...s.outputMetadata.map((m) => ['output', m] as const)];
  const odd = io.find(([, m]) => m.type !== undefined && !DEVICE_IO_TYPES.has(m.type));
  if (odd)
    return `${odd[0]} '${odd[1].name}' is ${odd[1].type}; device buffers hold float32, int64 and uint8 (an fp16 or mixed pass with keepIo: true keeps float32 I/O)`;
  return undefined;
}

export class RoleSessions {
  private readonly times = new Map<Role, number[]>();
  /** Bound calls: [the backend's own run time, the rest of the wall time] per call. */
  private readonly runSplits = new Map<Role, [number, number][]>();
  private readonly steps = new Map<Role, number>();
  private recording = true;
  /** Device buffers kept for the sessions' lifetime, by role, name, type and dims (deviceBuffer). */
  private readonly buffers = new Map<string, DeviceTensor>();
  /** What `memo` made, by owner object and key. */
  private readonly memos = new WeakMap<object, Map<string, Promise<unknown>>>();
  /** Prepared runs (prepareBound) by role and key, with what they bind. */
  private readonly prepared = new Map<string, { names: string; tensors: DeviceTensor[]; run: PreparedRun }>();
  /** Small runner-made graphs beside a role (helperSession), by key. */
  private readonly helpers = new Map<string, Promise<Session>>();
  readonly fingerprints: Partial<Record<Role, RoleFingerprint>> = {};
  readonly files: Partial<Record<Role, string>> = {};
  loadMs = 0;

  private constructor(
    private readonly sessions: Map<Role, Session>,
    private readonly recorder: InputRecorder | undefined,
    /** Roles with several sessions (LoadRolesOptions.shapeSessions); `sessions` holds each one's first. */
    private readonly pools: Map<Role, ShapePool>,
  ) {}

  static async load(o: LoadRolesOptions): Promise<RoleSessions> {
    const t0 = performance.now();
    const map = new Map<Role, Session>();
    const pools = new Map<Role, ShapePool>();
    const opened: Session[] = [];
    const files: Partial<Record<Role, string>> = {};
    try {
      for (const role of o.roles) {
        const file = roleFile(o, role);
        files[role] = file;
        const count = o.profileDir ? 1 : (o.shapeSessions?.[role] ?? 1);
        const replicas: Session[] = [];
        for (let i = 0; i < count; i++) {
          const s = await openRoleSession(o, role, file);
          opened.push(s);
          replicas.push(s);
        }
        map.set(role, replicas[0] as Session);
        if (count > 1) pools.set(role, new ShapePool(replicas));
      }
    } catch (e) {
      for (const s of opened) await s.release().catch(() => undefined);
      throw e;
    }
    const rs = new RoleSessions(map, o.recorder, pools);
    Object.assign(rs.files, files);
    rs.loadMs = performance.now() - t0;
    return rs;
  }

  /** Which session of a role's shape pool owns which input shapes (empty: the role has one session). */
  shapeRouting(role: Role): Record<string, number> {
    return this.pools.get(role)?.routing() ?? {};
  }

  /** The session that runs a call: the role's one, or its shape pool's pick for these feeds. */
  private sessionFor(role: Role, feeds: Record<string, { dims: readonly number[] }>): Session {
    const pool = this.pools.get(role);
    const s = pool ? pool.pick(feeds) : this.sessions.get(role);
    if (!s) throw new StageError(role, 'error', `no session loaded for role '${role}'`);
    return s;
  }

  /** The backend that serves the sessions: 'native' only when every role's session is native. */
  get servedBackend(): 'node' | 'native' {
    const all = [...this.allSessions()];
    return all.length > 0 && all.every((x) => x.backend === 'native') ? 'native' : 'node';
  }

  /** The loaded session of a role (runtime interface), for stages that bind device tensors. */
  session(role: Role): Session | undefined {
    return this.sessions.get(role);
  }

  has(role: Role): boolean {
    return this.sessions.has(role);
  }

  /** The graph input names of a loaded role (empty when the role is not loaded). */
  inputNames(role: Role): readonly string[] {
    return this.sessions.get(role)?.inputNames ?? [];
  }

  /** The graph inputs (names, types, shapes) of a loaded role (empty when the role is not loaded). */
  inputMetadata(role: Role): readonly SessionIO[] {
    return this.sessions.get(role)?.inputMetadata ?? [];
  }

  /**
   * Runs a role; float32 feeds become float16 where the session wants float16, outputs come back float32 —
   * except those `keepFloat16` names, which stay float16 so they can be fed back as they are (a KV cache
   * of a float16-I/O GPT: converting ~120 MB each way per token in JavaScript made its decode 3× slower).
   * `fingerprintView` maps the first call's outputs to what gets fingerprinted (a decode loop's first step,
   * comparable with a one-step graph's outputs).
   */
  async run(
    role: Role,
    feeds: Record<string, HostTensor>,
    keepFloat16?: (output: string) => boolean,
    fingerprintView?: (out: Record<string, HostTensor>) => Record<string, HostTensor>,
  ): Promise<Record<string, HostTensor>> {
    const s = this.sessionFor(role, feeds);
    // A host run under CUDA graph capture always fails in the backend; say which role and why it is not bound.
    if (cudaGraphEnabled(s.config)) {
      const why = deviceBindBlocker(s, this.recorder !== undefined) ?? 'its stage has no device path';
      throw new UsageError(`${role}: enable_cuda_graph needs every call on device buffers, and this role runs on the host path: ${why}`);
    }
    if (this.recording) this.recorder?.record(role, feeds);
    const f: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      const want = s.inputMetadata.find((m) => m.name === name)?.type;
      if (want === 'float16' && t.type === 'float32') f[name] = { type: 'float16', dims: t.dims, data: float32ToFloat16(t.data as Float32Array) };
      else if (want === 'float32' && t.type === 'float16') f[name] = { type: 'float32', dims: t.dims, data: float16ToFloat32(t.data as Uint16Array) };
      else f[name] = t;
    }
    const t0 = performance.now();
    const raw = await s.run(f);
    const dt = performance.now() - t0;
    const out: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(raw))
      out[name] = t.type === 'float16' && !keepFloat16?.(name) ? { type: 'float32', dims: t.dims, data: float16ToFloat32(t.data as Uint16Array) } : t;
    this.recordCall(role, dt, () => (fingerprintView ? fingerprintView(out) : out));
    return out;
  }

  /** Whether an input recorder is attached (recording needs host feeds). */
  hasRecorder(): boolean {
    return this.recorder !== undefined;
  }

  /**
   * Whether `roles` can run with device-resident tensors (src/runner/device-io.ts): every one served by the
   * native backend, with float32 inputs and outputs, and no input recorder (it needs host feeds).
   */
  canBindOnDevice(roles: readonly Role[]): boolean {
    return roles.every((r) => deviceBindBlocker(this.sessions.get(r), this.recorder !== undefined) === undefined);
  }

  /**
   * A bound run (device tensors in and out, see the runtime interface); times and the first call's
   * fingerprint are kept as for {@link run} (device outputs are downloaded for the fingerprint once).
   */
  async runBound(role: Role, feeds: Record<string, Tensor>, outputs: Record<string, OutputTarget>, options?: BoundRunOptions): Promise<Record<string, Tensor>> {
    const s = this.sessionFor(role, feeds);
    return (await this.timed(role, () => s.runBound(feeds, outputs, options))).outputs;
  }

  /**
   * A run of `role` with these device tensors bound once (Session.prepare), timed and fingerprinted as
   * {@link runBound}; `downloads` holds the outputs its options name. Kept under `key` as long as the sessions
   * (the warm-up's binding serves the timed run), made again where the key's tensors changed, and released
   * with the sessions.
   */
  prepareBound(role: Role, key: string, feeds: Record<string, DeviceTensor>, outputs: Record<string, DeviceTensor>): Pick<PreparedRun, 'run'> {
    const k = `${role}\u0000${key}`;
    const names = `${Object.keys(feeds).join(',')}|${Object.keys(outputs).join(',')}`;
    const tensors = [...Object.values(feeds), ...Object.values(outputs)];
    let e = this.prepared.get(k);
    if (!e || e.names !== names || e.tensors.some((t, i) => t !== tensors[i])) {
      e?.run.release();
      e = { names, tensors, run: this.sessionFor(role, feeds).prepare(feeds, outputs) };
      this.prepared.set(k, e);
    }
    const run = e.run;
    return { run: (options) => this.timed(role, () => run.run(options)) };
  }

  /**
   * What `make` gives for `owner` (an avatar's voice or source image) and `key`, made once for these sessions
   * and reused after (PipelineSettings.avatarCache); a failed make is not kept.
   */
  memo<T>(owner: object, key: string, make: () => Promise<T>): Promise<T> {
    let m = this.memos.get(owner);
    if (!m) {
      m = new Map();
      this.memos.set(owner, m);
    }
    const hit = m.get(key) as Promise<T> | undefined;
    if (hit) return hit;
    const made = make();
    m.set(key, made);
    made.catch(() => m.delete(key));
    return made;
  }

  /** One bound call of `role`, recorded as {@link recordCall} (a device output is downloaded for the fingerprint only when the run did not). */
  private async timed(role: Role, call: () => Promise<BoundRunResult>): Promise<BoundRunResult> {
    const t0 = performance.now();
    const r = await call();
    const wall = performance.now() - t0;
    if (Number.isFinite(r.ms)) {
      const splits = this.runSplits.get(role) ?? [];
      splits.push([r.ms, Math.max(0, wall - r.ms)]);
      this.runSplits.set(role, splits);
    }
    this.recordCall(role, wall, () => Object.fromEntries(Object.entries(r.outputs).map(([name, t]) => [name, r.downloads?.[name] ?? toHost(t)])));
    return r;
  }

  /** A call's time, and the fingerprint of its outputs when it is the role's first (`outputs` is read only then). */
  private recordCall(role: Role, ms: number, outputs: () => Record<string, HostTensor>): void {
    const list = this.times.get(role) ?? [];
    list.push(ms);
    this.times.set(role, list);
    if (this.fingerprints[role]) return;
    const fp: RoleFingerprint = {};
    for (const [name, t] of Object.entries(outputs())) fp[name] = fingerprint(t);
    this.fingerprints[role] = fp;
  }

  /** Every session: each role's, and every session of its shape pool. */
  private allSessions(): Set<Session> {
    return new Set([...this.sessions.values(), ...[...this.pools.values()].flatMap((p) => p.sessions)]);
  }

  /**
   * Forgets the calls so far (times, steps and, unless `keepFingerprints`, fingerprints) and, while `recording`
   * is false, records no inputs: a warm-up pass runs with recording off and is then reset, so the stats describe
   * the timed pass only. After a warm-up over the same inputs the runner keeps its fingerprints: the first
   * calls' outputs are the same, and taking them again would time their download (the static-KV GPT's first
   * call alone has 60 cache tensors, ~94 MB at full scale) inside the timed pass.
   */
  resetStats(recording = true, keepFingerprints = false): void {
    this.times.clear();
    this.runSplits.clear();
    this.steps.clear();
    if (!keepFingerprints) for (const k of Object.keys(this.fingerprints)) delete this.fingerprints[k as Role];
    this.recording = recording;
  }

  /**
   * Counts model steps for a role whose one call runs several (a decode loop): stats() then reports them
   * beside the calls, so GPU work per step (profiles, projections) is not mistaken for work per call.
   */
  countSteps(role: Role, n: number): void {
    this.steps.set(role, (this.steps.get(role) ?? 0) + n);
  }

  stats(): Partial<Record<Role, RoleCallStats>> {
    const r: Partial<Record<Role, RoleCallStats>> = {};
    for (const [role, xs] of this.times) {
      const steps = this.steps.get(role);
      r[role] = {
        ...(steps !== undefined ? { steps } : {}),
        calls: xs.length,
        totalMs: xs.reduce((a, b) => a + b, 0),
        medianMs: xs.length ? median(xs) : 0,
        minMs: Math.min(...xs),
        maxMs: Math.max(...xs),
        ...this.splitStats(role),
      };
    }
    return r;
  }

  private splitStats(role: Role): Pick<RoleCallStats, 'maxRunMs' | 'maxWaitMs'> {
    const splits = this.runSplits.get(role);
    if (!splits?.length) return {};
    return { maxRunMs: Math.max(...splits.map(([run]) => run)), maxWaitMs: Math.max(...splits.map(([, wait]) => wait)) };
  }

  /** Ends profiling of every role (sessions loaded with `profileDir`) and returns each role's trace file. */
  endProfiling(): Partial<Record<Role, string>> {
    const out: Partial<Record<Role, string>> = {};
    for (const [role, s] of this.sessions) {
      const file = s.endProfiling();
      if (file) out[role] = file;
    }
    return out;
  }

  /**
   * A device tensor on `role`'s session that lives as long as the sessions: the same name, type and dims give
   * the same tensor (the same address) on every call, in every run on these sessions (the warm-up's and the
   * timed one's). A CUDA graph that ORT captured on its first run replays on the addresses bound then, so
   * every buffer a captured session binds must come from here.
   */
  deviceBuffer(role: Role, name: string, type: HostTensor['type'], dims: readonly number[]): DeviceTensor {
    const key = `${role}\u0000${name}\u0000${type}\u0000${dims.join(',')}`;
    let t = this.buffers.get(key);
    if (!t) {
      const s = this.sessions.get(role);
      if (!s) throw new StageError(role, 'error', `no session loaded for role '${role}'`);
      t = s.allocate(type, dims);
      this.buffers.set(key, t);
    }
    return t;
  }

  /**
   * A session on a small graph the runner makes (e.g. the DDIM update), created once with `like`'s session
   * config (backend, EP, provider options: a CUDA graph there captures here too) and released with the
   * sessions. Its calls are part of `like`'s stage time, not of any role's call statistics.
   */
  helperSession(key: string, like: Role, model: () => Uint8Array): Promise<Session> {
    let s = this.helpers.get(key);
    if (!s) {
      const base = this.sessions.get(like);
      if (!base) throw new StageError(like, 'error', `no session loaded for role '${like}'`);
      s = createSession(model(), base.config);
      this.helpers.set(key, s);
    }
    return s;
  }

  async release(): Promise<void> {
    for (const p of this.prepared.values()) p.run.release();
    this.prepared.clear();
    for (const t of this.buffers.values()) t.release();
    this.buffers.clear();
    for (const h of this.helpers.values()) await h.then((s) => s.release()).catch(() => undefined);
    this.helpers.clear();
    for (const s of this.allSessions()) await s.release().catch(() => undefined);
    this.sessions.clear();
    this.pools.clear();
  }
}

/** One session of a role: the role's provider options merged in, profiling when asked, within the load limit. */
async function openRoleSession(o: LoadRolesOptions, role: Role, file: string): Promise<Session> {
  const po = providerOptionsForRole(o.providerOptions ?? {}, role);
  const withPo: SessionConfig = Object.keys(po).length ? { ...o.session, providerOptions: { ...(o.session.providerOptions ?? {}), ...po } } : o.session;
  const config = o.profileDir ? { ...withPo, enableProfiling: true, profileFilePrefix: join(o.profileDir, role) } : withPo;
  const creating = createSession(file, config);
  // A session that arrives after its load timed out is released as soon as it exists.
  return withTimeout(creating, o.loadTimeoutMs, () => {
    void creating.then(
      (late) => late.release(),
      () => undefined,
    );
    return new StageError(`load.${role}`, 'timeout', `session for ${file} not created after ${o.loadTimeoutMs} ms`);
  });
}

/** Convenience constructors for feeds. */
export const feed = {
  f32(dims: readonly number[], data: Float32Array): HostTensor {
    return { type: 'float32', dims, data };
  },
  i64(dims: readonly number[], values: ArrayLike<number>): HostTensor {
    return { type: 'int64', dims, data: BigInt64Array.from(Array.from(values), (v) => BigInt(v)) };
  },
};

export function floatData(t: HostTensor | undefined, what: string): Float32Array {
  if (!t) throw new StageError(what, 'error', 'missing output');
  // Every HostTensor type converts (float16 decoded, integers and bool as numbers).
  return hostTensorToFloat32(t);
}
