/**
 * run.json: the typed RunResult built from what one run measured, whichever way it ran (the whole pipeline in
 * this process, or the TTS here and the first renderer in a worker), and written with its quality against a
 * baseline run.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Role } from '../models/manifest.js';
import { describeSessionConfig, onnxruntimeVersion, resolveBackend, type SessionConfig } from '../runtime/index.js';
import { compareRuns } from './compare-runs.js';
import { peakHostRssBytes } from './memory.js';
import type { SettingsInUse } from './pipeline-settings.js';
import type { PreparedRun, RunOptions } from './prepare-run.js';
import { stringifyWithInfinity } from './quality.js';
import type { RoleCallStats } from './role-sessions.js';
import { RTF_DIRECTION, RUN_SCHEMA_VERSION, type RunConfig, type RunCounts, type RunResult, type RunTiming } from './run-result.js';
import { STREAM_CHUNK_TOKENS } from './tts-stage.js';

/** What a run measured and wrote; optional fields are left out of run.json when absent (a pool run has no warm-up). */
export interface RunRecord {
  roleFiles: Partial<Record<Role, string>>;
  /** The session config the roles ran with (recorded as the applied session options). */
  session: SessionConfig;
  render?: RunConfig['render'];
  diffusionLoop?: boolean;
  audio: Float32Array;
  sampleRate: number;
  video: { frames: number; width: number; height: number };
  counts: Omit<RunCounts, 'diffusionSteps' | 'frames'>;
  timing: Omit<RunTiming, 'rtfDirection' | 'rtf'>;
  roles: Partial<Record<Role, RoleCallStats>>;
  memory: { peakDeviceBytes: number | null; deviceSource: string };
  pngs: string[];
  mp4: string | null;
  profile: RunResult['profile'];
  workers: RunResult['workers'];
  recordedInputs?: RunResult['recordedInputs'];
}

/** The run's label: --variant, else 'custom' with role overrides, else the manifest's name. */
export function runLabel(o: Pick<RunOptions, 'variant' | 'roleFiles'>, p: PreparedRun): string {
  return o.variant ?? (o.roleFiles && Object.keys(o.roleFiles).length ? 'custom' : p.loaded.manifest.name);
}

/** Real-time factors: end to end and per stage (processing seconds / audio seconds). */
function rtfOf(totalMs: number, stagesMs: Record<string, number>, audioSeconds: number): Record<string, number> {
  const rtf: Record<string, number> = { endToEnd: totalMs / 1000 / audioSeconds };
  for (const [k, v] of Object.entries(stagesMs)) rtf[k] = v / 1000 / audioSeconds;
  return rtf;
}

/** The RunResult of a run (quality null: writeRunJson fills it in against the baseline). */
export function runResultOf(o: RunOptions, p: PreparedRun, settings: SettingsInUse, r: RunRecord): RunResult {
  const audioSeconds = r.audio.length / r.sampleRate;
  const { warmupMs, ...timing } = r.timing;
  const backend = settings.applied().backend === 'node' ? 'node' : resolveBackend(settings.requested.backend);
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    kind: 'workbench.run',
    createdAt: new Date().toISOString(),
    config: {
      ep: p.ep,
      steps: p.steps,
      seed: p.seed,
      variant: runLabel(o, p),
      manifest: p.loaded.path,
      manifestSha256: p.loaded.sha256,
      manifestName: p.loaded.manifest.name,
      scale: p.loaded.manifest.scale,
      roleFiles: { ...r.roleFiles },
      text: p.text ?? null,
      audioInput: o.audio ? resolve(o.audio) : null,
      refVoice: o.refVoice ? resolve(o.refVoice) : null,
      image: o.image ? resolve(o.image) : null,
      settings: settings.requested,
      sessionOptions: describeSessionConfig(r.session, process.env, backend),
      streamChunkTokens: o.streamChunkTokens ?? STREAM_CHUNK_TOKENS,
      tokenizer: p.tokenizer?.kind ?? null,
      ...(r.render ? { render: r.render } : {}),
      ...(r.diffusionLoop !== undefined ? { diffusionLoop: r.diffusionLoop } : {}),
      onnxruntimeVersion: onnxruntimeVersion(),
      node: process.version,
    },
    audio: { sampleRate: r.sampleRate, samples: r.audio.length, seconds: audioSeconds },
    video: { fps: p.cfg.fps, frames: r.video.frames, width: r.video.width, height: r.video.height },
    counts: {
      textTokens: r.counts.textTokens,
      audioTokens: r.counts.audioTokens,
      vocoderCalls: r.counts.vocoderCalls,
      hubertChunks: r.counts.hubertChunks,
      lmdmWindows: r.counts.lmdmWindows,
      diffusionSteps: p.steps,
      frames: r.video.frames,
      ...(r.counts.renderCalls !== undefined ? { renderCalls: r.counts.renderCalls } : {}),
    },
    timing: {
      totalMs: timing.totalMs,
      loadMs: timing.loadMs,
      ...(warmupMs !== undefined ? { warmupMs } : {}),
      stagesMs: timing.stagesMs,
      rtfDirection: RTF_DIRECTION,
      rtf: rtfOf(timing.totalMs, timing.stagesMs, audioSeconds),
      timeToFirstAudioMs: timing.timeToFirstAudioMs,
      timeToFirstFrameMs: timing.timeToFirstFrameMs,
      ...(timing.timeline ? { timeline: timing.timeline } : {}),
    },
    roles: r.roles,
    memory: { peakHostRssBytes: peakHostRssBytes(), peakDeviceBytes: r.memory.peakDeviceBytes, deviceSource: r.memory.deviceSource },
    files: { audio: 'audio.wav', frames: 'frames.rgb', motion: 'motion.f32', fingerprints: 'fingerprints.json', pngs: r.pngs, mp4: r.mp4 },
    quality: null,
    appliedSettings: settings.applied(),
    profile: r.profile,
    workers: r.workers,
    ...(r.recordedInputs ? { recordedInputs: r.recordedInputs } : {}),
  };
}

/** Writes run.json; with a baseline, compares against it and writes run.json again with the quality. */
export function writeRunJson(out: string, result: RunResult, baseline: string | undefined): void {
  writeFileSync(join(out, 'run.json'), stringifyWithInfinity(result));
  if (baseline) {
    // compareRuns reads this run's run.json: written first, then again with the quality.
    result.quality = compareRuns(baseline, out);
    writeFileSync(join(out, 'run.json'), stringifyWithInfinity(result));
  }
}
