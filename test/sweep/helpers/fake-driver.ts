/**
 * A fast, deterministic SweepDriver for tests of the sweep machinery (resume, shards, progress): metrics
 * follow from the variant's passes (fp16 halves the decoder time, lower resolution shrinks render, ...).
 * It keeps the real driver's contract (test/sweep/driver-contract.test.ts): run.json in the run folder, one
 * ORT-format trace per role under `profile/` when profiling, and each run setting recorded in
 * `metrics.settings` by the effect that models it (FAKE_EFFECTS).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PIPELINE_SETTINGS_DEFAULTS, type PipelineSettings, type SettingKey } from '../../../src/runner/pipeline-settings.js';
import { PROFILE_DIR } from '../../../src/runner/run-result.js';
import { summarizeRunProfile } from '../../../src/sweep/profile-summary.js';
import type { PassSpec, PlannedVariant, RunMetrics, RunRequest, SweepDriver } from '../../../src/sweep/types.js';

export interface FakeDriverOptions {
  /** Milliseconds each run sleeps (so a child process can be killed mid-sweep). */
  delayMs?: number;
  /** Variant names whose build throws. */
  failBuild?: string[];
  profile?: boolean;
}

function factor(passes: PassSpec[] | undefined): number {
  let f = 1;
  for (const p of passes ?? []) {
    if (p.pass === 'fp16') f *= 0.6;
    else if (p.pass === 'int8') f *= 0.5;
    else if (p.pass === 'wo') f *= p.bits === 4 ? 0.55 : 0.7;
    else if (p.pass === 'resolution') f *= (p.outputSize / 128) ** 2;
    else if (p.pass === 'mixed') f *= 0.7;
  }
  return f;
}

export function metricsFor(v: Pick<PlannedVariant, 'passes' | 'spec' | 'baseline'>, steps: number, profile = false): RunMetrics {
  const star = factor(v.passes['*']);
  const f = (role: string): number => star * factor(v.passes[role as keyof typeof v.passes]);
  const roles = [
    { role: 'gpt_decode', calls: 60, seconds: 0.2 * f('gpt_decode') },
    { role: 'hifigan', calls: 1, seconds: 0.05 * f('hifigan') },
    { role: 'hubert', calls: 12, seconds: 0.04 * f('hubert') },
    { role: 'lmdm', calls: steps * 2, seconds: 0.03 * steps * f('lmdm') },
    { role: 'warp_network', calls: 75, seconds: 0.15 * f('warp_network') },
    { role: 'decoder', calls: 75, seconds: 0.3 * f('decoder') },
  ];
  const sum = (names: string[]): number => roles.filter((r) => names.includes(r.role)).reduce((a, r) => a + r.seconds, 0);
  const audioSeconds = 3;
  const tts = sum(['gpt_decode', 'hifigan']);
  const ditto = sum(['hubert', 'lmdm', 'warp_network', 'decoder']);
  const wall = tts + ditto;
  const loss = v.baseline ? 0 : (1 - star) * 20 + (v.passes.decoder?.some((p) => p.pass === 'resolution') ? 8 : 0) + (steps < 4 ? 3 : 0);
  const m: RunMetrics = {
    audioSeconds,
    wallSeconds: wall,
    rtf: wall / audioSeconds,
    ttffSeconds: tts * 0.4,
    stages: [
      // Ditto starts with the first audio (40% into the TTS, as the first frame below) and ends the run.
      { stage: 'tts', seconds: tts, rtf: tts / audioSeconds, startSeconds: 0, endSeconds: tts },
      { stage: 'ditto', seconds: ditto, rtf: ditto / audioSeconds, startSeconds: tts * 0.4, endSeconds: wall },
    ],
    roles,
    memory: { peakRssBytes: Math.round((300 + 200 * star) * 2 ** 20), modelBytes: Math.round(100 * star * 2 ** 20) },
    samples: { rtf: [wall / audioSeconds], stageSeconds: { tts: [tts], ditto: [ditto] } },
  };
  if (!v.baseline)
    m.quality = {
      framePsnrMean: 60 - loss,
      framePsnrWorst: 55 - loss,
      ssimMean: 1 - loss / 200,
      ssimWorst: 1 - loss / 150,
      audioSnr: 40 - loss,
      logMelDistance: loss / 50,
      motionError: loss / 1000,
    };
  if (profile)
    m.profile = {
      opTypes: roles.flatMap((r) => [
        { role: r.role, opType: 'MatMul', seconds: r.seconds * 0.5 },
        { role: r.role, opType: r.role === 'decoder' || r.role === 'warp_network' ? 'Conv' : 'Add', seconds: r.seconds * 0.4 },
        { role: r.role, opType: 'Cast', seconds: r.seconds * 0.1 },
      ]),
      topOps: roles.map((r, i) => ({
        role: r.role,
        node: `/${r.role}/MatMul_${i}`,
        opType: 'MatMul',
        seconds: r.seconds / r.calls,
        intensity: 2 + i * 10,
        flops: 1e9 * (1 + i),
        bound: i > 2 ? ('compute' as const) : ('memory' as const),
      })),
      peakFlops: 1e11,
      peakBandwidth: 2e10,
    };
  return m;
}

/** A minimal ORT trace of `role`: one model_run with a MatMul and an Add node. */
function fakeTrace(role: string, seconds: number): unknown[] {
  const us = Math.max(2, Math.round(seconds * 1e6));
  const node = (name: string, op: string, ts: number, dur: number) => ({
    cat: 'Node',
    pid: 1,
    tid: 1,
    ph: 'X',
    ts,
    dur,
    name: `${name}_kernel_time`,
    args: { op_name: op, provider: 'CPUExecutionProvider', node_index: '0' },
  });
  return [
    { cat: 'Session', pid: 1, tid: 1, ph: 'X', ts: 0, dur: us + 2, name: 'model_run', args: {} },
    node(`/${role}/MatMul_0`, 'MatMul', 1, Math.round(us * 0.6)),
    node(`/${role}/Add_0`, 'Add', 1 + Math.round(us * 0.6), Math.round(us * 0.4)),
  ];
}

/**
 * How the fake acts on each run setting: the typed record makes a new setting a compile error here until
 * the fake models it, and each effect records the value it used, as the runner's stages do.
 */
const FAKE_EFFECTS: { [K in SettingKey]: (m: RunMetrics, v: PipelineSettings[K], outDir: string) => void } = {
  workers: (m, v) => {
    if (v > 1) m.workers = [{ workers: v, rtf: m.rtf * (1 + 0.25 * (v - 1)), throughput: (v * m.audioSeconds) / (m.wallSeconds * (1 + 0.25 * (v - 1))) }];
  },
  // The fake's timings do not model these two; they are taken as given.
  session: () => undefined,
  vocoderBucket: (m, v) => {
    if (v > 0 && m.quality?.audioSnr !== undefined) m.quality.audioSnr -= 1;
  },
  overlap: () => undefined,
  // The same audio, the vocoder beside the GPT: the fake's timings do not model it; taken as given.
  vocoderOverlap: () => undefined,
  // Same frames, earlier: the fake's timings do not model it; taken as given.
  renderOverlap: () => undefined,
  // The avatar prepared once: the fake has no conditioning or source stage to skip; taken as given.
  avatarCache: () => undefined,
  // Backends and provider options change timings the fake does not model; taken as given.
  backend: () => undefined,
  providerOptions: () => undefined,
  // More sessions per role: the fake's timings do not model the per-shape cost they save; taken as given.
  shapeSessions: () => undefined,
  warmup: (m, v) => {
    if (v) m.warmupSeconds = m.wallSeconds * 1.5;
  },
  // Fewer, larger render calls: faster render, later first frame (a batch must be done before its first frame).
  renderGraph: (m, v) => {
    if (v !== false) m.rtf *= 0.9;
  },
  renderBatch: (m, v) => {
    if (v > 1 && m.ttffSeconds !== undefined) m.ttffSeconds += (v - 1) * 0.04;
  },
  diffusionLoop: (m, v) => {
    if (v) m.rtf *= 0.95;
  },
  profile: (m, v, outDir) => {
    if (!v) return;
    mkdirSync(join(outDir, PROFILE_DIR), { recursive: true });
    const traces: Record<string, string> = {};
    for (const r of m.roles) {
      traces[r.role] = join(PROFILE_DIR, `${r.role}.json`);
      writeFileSync(join(outDir, traces[r.role] as string), JSON.stringify(fakeTrace(r.role, r.seconds / Math.max(1, r.calls))));
    }
    m.profile = summarizeRunProfile(outDir, { dir: PROFILE_DIR, traces, warmupCalls: {} });
  },
};

function applySettings(m: RunMetrics, s: PipelineSettings, outDir: string): void {
  const applied: Partial<Record<SettingKey, unknown>> = {};
  for (const k of Object.keys(FAKE_EFFECTS) as SettingKey[]) {
    (FAKE_EFFECTS[k] as (m: RunMetrics, v: unknown, outDir: string) => void)(m, s[k], outDir);
    applied[k] = structuredClone(s[k]);
  }
  m.settings = applied as Partial<PipelineSettings>;
}

export function createFakeDriver(o: FakeDriverOptions = {}): SweepDriver & { runs: string[] } {
  const runs: string[] = [];
  /** Passes by built manifest path, so `run` knows what the variant rewrote. */
  const built = new Map<string, PlannedVariant['passes']>();
  return {
    runs,
    async baselineManifest() {
      return '/fake/manifest.json';
    },
    async buildVariant(_base, v) {
      if (o.failBuild?.includes(v.name)) throw new Error(`fake build failure for ${v.name}`);
      const m = `/fake/variants/${v.id}/manifest.json`;
      built.set(m, v.passes);
      return m;
    },
    async run(req: RunRequest) {
      req.onStage?.('run');
      if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
      runs.push(req.outDir.split('/').pop() ?? '');
      mkdirSync(req.outDir, { recursive: true });
      // The device the sweep asked for, so --devices tests can see it reached the run.
      writeFileSync(join(req.outDir, 'run.json'), JSON.stringify(req.deviceId !== undefined ? { deviceId: req.deviceId } : {}));
      const baseline = !req.baselineRunDir;
      const m = metricsFor({ passes: built.get(req.manifestPath) ?? {}, spec: {}, baseline }, req.steps ?? 4, o.profile ?? false);
      applySettings(m, req.settings ?? PIPELINE_SETTINGS_DEFAULTS, req.outDir);
      return m;
    },
    env(ep) {
      return { ep, node: process.version, ortVersion: 'fake', cpus: 2 };
    },
  };
}
