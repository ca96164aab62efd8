/**
 * `workbench run`: the XTTS-v2 → Ditto pipeline end to end (or N concurrent renderers with --workers),
 * writing the wav, frames and a typed run.json to --out; --baseline compares against an earlier run.
 */
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { ALL_ROLES, MANIFEST_ROLES, type Role } from '../../models/manifest.js';
import { join } from 'node:path';
import { CALIBRATION_SUBDIR } from '../../runner/input-recorder.js';
import { DEVICE_MEMORY_SAMPLING, type DeviceMemorySampling } from '../../runner/memory.js';
import { formatDb } from '../../runner/quality.js';
import type { RunOptions } from '../../runner/prepare-run.js';
import { runPipeline } from '../../runner/run-pipeline.js';
import { runWorkerPool, type PoolResult } from '../../runner/worker-pool.js';
import type { RunResult } from '../../runner/run-result.js';
import { DEFAULT_TEXT } from '../../sweep/pipeline-driver.js';
import { out } from '../state.js';
import type { Backend } from '../../runtime/index.js';
import { parseSetting, SettingsError, type RoleProviderOptions } from '../../runner/pipeline-settings.js';
import { roleProviderOptionsArg } from '../provider-options-flag.js';
import { nonNegativeFlag, parseNumberFlag } from '../../core/number-flag.js';

interface RunFlags {
  manifest: string;
  variant?: string;
  roleFile: string[];
  text?: string;
  audio?: string;
  refVoice?: string;
  image?: string;
  ep: 'cpu' | 'cuda';
  steps: string;
  workers: string;
  seed: string;
  out: string;
  baseline?: string;
  stageTimeout?: string;
  loadTimeout?: string;
  threads: string;
  vocoderBucket: string;
  deviceMemory: DeviceMemorySampling;
  warmup?: boolean;
  overlap?: boolean;
  vocoderOverlap?: boolean;
  renderOverlap?: boolean;
  avatarCache?: boolean;
  renderGraph?: string | boolean;
  renderBatch: string;
  diffusionLoop?: boolean | string;
  recordInputs?: string;
  recordDir?: string;
  recordEvery: string;
  recordMax: string;
  json?: boolean;
  backend: Backend;
  providerOptions: RoleProviderOptions;
  shapeSessions?: string;
}

function parseRoleFiles(list: string[]): Partial<Record<Role, string>> {
  const r: Partial<Record<Role, string>> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const role = item.slice(0, eq) as Role;
    if (eq < 1 || !MANIFEST_ROLES.includes(role)) {
      throw new UsageError(`--role-file: expected ROLE=FILE with ROLE one of ${MANIFEST_ROLES.join(', ')}, got '${item}'`);
    }
    r[role] = item.slice(eq + 1);
  }
  return r;
}

/** `--diffusion-loop [unrolled]` → PipelineSettings.diffusionLoop. */
function diffusionLoopFlag(v: boolean | string | undefined): boolean | 'unrolled' {
  if (v === undefined || v === false) return false;
  if (v === true) return true;
  if (v === 'unrolled') return 'unrolled';
  throw new UsageError(`--diffusion-loop: expected no value or 'unrolled', got '${v}'`);
}

/** `--shape-sessions hifigan=5,decoder=2` → PipelineSettings.shapeSessions (checked by its settings parser). */
function parseShapeSessions(text: string): Partial<Record<Role, number>> {
  const obj: Record<string, unknown> = {};
  for (const item of text.split(',').map((x) => x.trim())) {
    const m = /^([a-z_]+)=(\d+)$/.exec(item);
    if (!m) throw new UsageError(`--shape-sessions: expected ROLE=N[,ROLE=N...], got '${item}'`);
    obj[m[1] as string] = Number(m[2]);
  }
  try {
    return parseSetting('shapeSessions', obj, '--shape-sessions', 'shapeSessions');
  } catch (e) {
    if (e instanceof SettingsError)
      throw new UsageError(`--shape-sessions: ${e.field.replace(/^shapeSessions\.?/, '')}: ${e.message.replace(/^.*?: .*?: /, '')}`);
    throw e;
  }
}

function badRenderGraph(v: string): never {
  throw new UsageError(`--render-graph: expected no value or 'baked', got '${v}'`);
}

const fmt = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined ? '-' : Number.isFinite(x) ? x.toFixed(digits) : String(x));

export function runCommand(): Command {
  return new Command('run')
    .description('run the XTTS-v2 → Ditto pipeline: wav, frames and run.json (timings, RTF, memory, quality vs a baseline)')
    .option('--manifest <file>', 'pipeline manifest', 'models/reference/tiny/manifest.json')
    .option('--variant <name>', 'label recorded in run.json')
    .option(
      '--role-file <role=file>',
      'run a role from another model file (repeatable; how a variant is run)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--text <text>', `text to speak (default, without --audio: "${DEFAULT_TEXT}", the sweep's utterance)`)
    .option('--audio <wav>', 'drive the avatar with this WAV instead of TTS')
    .option('--ref-voice <wav>', 'reference voice (default: a synthetic 3 s voice)')
    .option('--image <png>', 'source face image (default: a synthetic face)')
    .addOption(new Option('--ep <ep>', 'execution provider').choices(['cpu', 'cuda']).default('cpu'))
    .option('--steps <n>', 'DDIM sampling steps', '50')
    .option('--workers <n>', 'concurrent renderers sharing one TTS (1 = a single pipeline run)', '1')
    .option('--seed <n>', 'seed for sampling and diffusion noise', '0')
    .option('--out <dir>', 'run directory', 'runs/latest')
    .option('--baseline <dir>', 'an earlier run to compare quality against')
    .option('--stage-timeout <ms>', 'limit per stage step (a stalled worker is reported and terminated)')
    .option('--load-timeout <ms>', 'limit per session load')
    .option('--threads <n>', 'CPU intra-op threads (0 = ORT default)', '0')
    .option(
      '--vocoder-bucket <tokens>',
      "pad each HiFi-GAN call to a multiple of this many tokens (0 = exact lengths, as XTTS; every new length re-runs cuDNN's search on CUDA)",
      '0',
    )
    .option('--overlap', 'let Ditto render each audio chunk while the TTS makes the next (same outputs; stage times then overlap)')
    .option('--vocoder-overlap', "with --overlap: the TTS's streaming vocoder calls run while the GPT decodes on (same audio)")
    .option('--render-overlap', 'let Ditto render finished frames in the background while it samples the next LMDM window (same frames)')
    .option(
      '--avatar-cache',
      "prepare the avatar once per loaded sessions: the voice's conditioning and Ditto's source features are reused after their first use (with --warmup, the timed run reuses the warm-up's)",
    )
    .option(
      '--warmup',
      'run the pipeline once untimed on the loaded sessions first: the timed run is the steady state (run.json keeps the first pass as warmupMs)',
    )
    .addOption(
      new Option(
        '--device-memory <mode>',
        "CUDA EP: how GPU memory is sampled: 'stream' (one nvidia-smi -lms process), 'poll' (a spawn every 250 ms, stalls this process ~25 ms per GB of RSS), 'off'",
      )
        .choices([...DEVICE_MEMORY_SAMPLING])
        .default('stream'),
    )
    .option('--render-graph [baked]', "render with stitch + warp + decoder composed into one graph ('baked': this run's source features inside)")
    .option('--render-batch <n>', 'frames per render call (a frame is out when its batch is done)', '1')
    .option(
      '--diffusion-loop [mode]',
      "LMDM's DDIM sampling as one call per window: an ONNX Loop, or 'unrolled' (straight-line steps a CUDA graph can capture)",
    )
    .option('--record-inputs <roles>', "write these roles' inputs as calibration samples (comma-separated, e.g. lmdm) for optimize --calib / --calib-inputs")
    .option('--record-dir <dir>', 'where --record-inputs writes (default <out>/calib); one folder per role')
    .option('--record-every <n>', 'record every n-th call of a role', '1')
    .option('--record-max <n>', 'samples per role at most', '32')
    .addOption(
      new Option(
        '--backend <backend>',
        'runtime backend: node (onnxruntime-node), native (the addon over the C API; device-resident tensors), auto (native where built)',
      )
        .choices(['node', 'native', 'auto'])
        .default('node'),
    )
    .option(
      '--provider-options <[role:]k=v,...>',
      'CUDA EP provider options (native backend), for every role or one role with a role: prefix (repeatable)',
      roleProviderOptionsArg,
      {} as RoleProviderOptions,
    )
    .option(
      '--shape-sessions <role=n,...>',
      'sessions per role, each kept on the input shapes it ran last (e.g. hifigan=5: streaming HiFi-GAN stops re-preparing its convs for every new length)',
    )
    .option('--json', 'print the result JSON')
    .action(async (f: RunFlags) => {
      const o = runOptionsOf(f);
      if ((o.settings?.workers ?? 1) > 1) {
        if (o.recordInputs) throw new UsageError('--record-inputs records a single pipeline run; use it with --workers 1');
        const r = await runWorkerPool(o);
        if (f.json) return out.write(`${JSON.stringify(r, null, 2)}\n`);
        return printPool(r, f.out);
      }
      const r = await runPipeline(o);
      if (f.json) return out.write(`${JSON.stringify(r, null, 2)}\n`);
      printRun(r, f.out);
    });
}

/** The flags as RunOptions (every numeric flag checked, in flag order). */
function runOptionsOf(f: RunFlags): RunOptions {
  const o: RunOptions = {
    manifest: f.manifest,
    ep: f.ep,
    steps: parseNumberFlag('--steps', f.steps, 'integer'),
    seed: parseNumberFlag('--seed', f.seed, 'integer'),
    out: f.out,
    settings: {
      workers: parseNumberFlag('--workers', f.workers, 'integer'),
      session: { intraOpThreads: nonNegativeFlag('--threads', f.threads) },
      vocoderBucket: nonNegativeFlag('--vocoder-bucket', f.vocoderBucket),
      warmup: !!f.warmup,
      overlap: !!f.overlap,
      vocoderOverlap: !!f.vocoderOverlap,
      renderOverlap: !!f.renderOverlap,
      avatarCache: !!f.avatarCache,
      renderGraph:
        f.renderGraph === undefined ? false : f.renderGraph === true ? true : f.renderGraph === 'baked' ? 'baked' : badRenderGraph(String(f.renderGraph)),
      renderBatch: parseNumberFlag('--render-batch', f.renderBatch, 'integer'),
      diffusionLoop: diffusionLoopFlag(f.diffusionLoop),
      backend: f.backend,
      providerOptions: f.providerOptions,
      ...(f.shapeSessions !== undefined ? { shapeSessions: parseShapeSessions(f.shapeSessions) } : {}),
    },
    deviceMemory: f.deviceMemory,
    ...(f.variant !== undefined ? { variant: f.variant } : {}),
    ...(f.roleFile.length ? { roleFiles: parseRoleFiles(f.roleFile) } : {}),
    // Without --text or --audio, the sweep's default utterance: `workbench run` works as the README shows it.
    ...(f.text !== undefined ? { text: f.text } : f.audio === undefined ? { text: DEFAULT_TEXT } : {}),
    ...(f.audio !== undefined ? { audio: f.audio } : {}),
    ...(f.refVoice !== undefined ? { refVoice: f.refVoice } : {}),
    ...(f.image !== undefined ? { image: f.image } : {}),
    ...(f.baseline !== undefined ? { baseline: f.baseline } : {}),
    ...(f.stageTimeout !== undefined ? { stageTimeoutMs: parseNumberFlag('--stage-timeout', f.stageTimeout, 'integer') } : {}),
    ...(f.loadTimeout !== undefined ? { loadTimeoutMs: parseNumberFlag('--load-timeout', f.loadTimeout, 'integer') } : {}),
  };
  if (f.recordInputs !== undefined) {
    const roles = f.recordInputs
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    const bad = roles.find((x) => !ALL_ROLES.includes(x as Role));
    if (bad || !roles.length) throw new UsageError(`--record-inputs: expected roles among ${ALL_ROLES.join(', ')}, got '${f.recordInputs}'`);
    o.recordInputs = {
      dir: f.recordDir ?? join(f.out, CALIBRATION_SUBDIR),
      roles: roles as Role[],
      every: parseNumberFlag('--record-every', f.recordEvery, 'integer'),
      max: parseNumberFlag('--record-max', f.recordMax, 'integer'),
    };
  }
  return o;
}

/** The pool's summary lines. */
function printPool(r: PoolResult, outDir: string): void {
  out.write(
    `workers: ${r.okWorkers}/${r.requestedWorkers} ok, fit ${r.maxWorkersFit}; throughput ${fmt(r.throughputAudioSecondsPerSecond)} audio s/s over ${fmt(r.audioSeconds, 2)} s of audio\n`,
  );
  for (const w of r.workers)
    out.write(
      `  worker ${w.index}: ${w.status}${w.failure ? ` at ${w.failure.stage} (${w.failure.reason}: ${w.failure.message})` : ''}${w.rtf !== null ? `, RTF ${fmt(w.rtf)}` : ''}${w.deviceBytes !== null ? `, device ${(w.deviceBytes / 2 ** 20).toFixed(0)} MiB` : ''}\n`,
    );
  const first = r.workers[0];
  out.write(`wrote ${outDir}/workers.json${first?.status === 'ok' ? ` and ${outDir}/run.json (worker 0: frames, audio, motion)` : ''}\n`);
}

/** The single run's summary lines. */
function printRun(r: RunResult, outDir: string): void {
  const t = r.timing;
  out.write(
    `audio ${fmt(r.audio.seconds, 2)} s, ${r.video.frames} frames ${r.video.width}x${r.video.height}; RTF (processing/audio) end-to-end ${fmt(t.rtf.endToEnd)}, tts ${fmt(t.rtf.tts)}, ditto ${fmt(t.rtf.ditto)}\n`,
  );
  out.write(
    `first audio ${fmt(t.timeToFirstAudioMs, 0)} ms, first frame ${fmt(t.timeToFirstFrameMs, 0)} ms; peak RSS ${(r.memory.peakHostRssBytes / 2 ** 20).toFixed(0)} MiB\n`,
  );
  for (const [role, s] of Object.entries(r.roles))
    out.write(`  ${role.padEnd(20)} ${String(s.calls).padStart(5)} calls  ${fmt(s.totalMs, 1).padStart(9)} ms  median ${fmt(s.medianMs, 2)} ms\n`);
  const q = r.quality;
  if (q) {
    out.write(
      `vs ${q.baseline}: PSNR ${formatDb(q.frames?.psnrMean)} (worst ${formatDb(q.frames?.psnrWorst)}), SSIM ${fmt(q.frames?.ssimMean, 4)} (worst ${fmt(q.frames?.ssimWorst, 4)}), audio SNR ${formatDb(q.audio?.snrDb)}, log-mel ${fmt(q.audio?.logMelDistanceDb, 3)} dB, motion RMSE ${fmt(q.motion?.rmse, 5)}; first divergent role: ${q.firstDivergentRole ?? 'none'}\n`,
    );
    for (const w of q.warnings) out.write(`  warning: ${w}\n`);
  }
  if (r.recordedInputs)
    out.write(
      `calibration samples in ${r.recordedInputs.dir}: ${Object.entries(r.recordedInputs.samples)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}\n`,
    );
  out.write(`wrote ${outDir}/run.json\n`);
}
