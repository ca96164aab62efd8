/**
 * `workbench profile <model.onnx | manifest.json>`: per-node GPU/CPU time, FLOPs, bytes and roofline, written
 * to profile.json and profile.html. `--host` reruns it under clinic flame; `--worker` (hidden) is the entry of
 * the child processes that the CUDA passes run in.
 */
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { runHostFlame } from '../../profiler/host-flame.js';
import { parseInputsOption } from '../../profiler/inputs.js';
import { profileTarget } from '../../profiler/profile.js';
import { renderProfileConsole } from '../../profiler/render-console.js';
import { SESSION_OPTION_KEYS } from '../../profiler/session-options.js';
import { runWorkerJob } from '../../profiler/worker.js';
import { writeProfile } from '../../profiler/write-profile.js';
import { out } from '../state.js';
import { optionalNumberFlag } from '../../core/number-flag.js';
import type { Backend } from '../../runtime/index.js';
import type { RoleProviderOptions } from '../../runner/pipeline-settings.js';
import { roleProviderOptionsArg } from '../provider-options-flag.js';

interface ProfileFlags {
  ep: string;
  runs: string;
  warmup?: string;
  inputs?: string;
  sessionOption: string[];
  out: string;
  roles?: string;
  seed: string;
  device?: string;
  keepTrace?: boolean;
  html: boolean;
  json?: boolean;
  host?: boolean;
  top: string;
  childProcess: string;
  gpuTime: string;
  worker?: string;
  backend: Backend;
  providerOptions: RoleProviderOptions;
}

export function profileCommand(): Command {
  return new Command('profile')
    .description('profile a model or every role of a manifest: per-node time, FLOPs, bytes, roofline → profile.json + profile.html')
    .argument('[target]', 'a model (.onnx) or a manifest (.json)')
    .option('--ep <ep>', 'execution provider: cpu or cuda', 'cpu')
    .option('--runs <n>', 'counted runs', '20')
    .option('--warmup <n>', 'warm-up runs, excluded (default 5 on cuda, 3 on cpu)')
    .option('--inputs <spec>', 'input shapes (x:1x3x64x64,N=6480) or a JSON inputs/data file')
    .option(
      '--session-option <key=value>',
      `session option, repeatable (${SESSION_OPTION_KEYS.join('; ')})`,
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--out <dir>', 'output folder', 'profile-out')
    .option('--roles <list>', 'manifest roles to profile, comma-separated (default all)')
    .option('--seed <n>', 'seed of the generated inputs', '1')
    .option('--device <id>', 'device peaks to use for the roofline (e.g. h100-sxm) instead of the detected GPU')
    .option('--keep-trace', 'copy the ORT trace of each role into <out>/traces/')
    .option('--no-html', 'skip profile.html')
    .option('--json', 'print profile.json to stdout instead of the table')
    .option('--top <n>', 'nodes in the console table', '15')
    .option('--host', 'run the profile under clinic flame to see the JavaScript side; prints where the flame graph went')
    .addOption(
      new Option('--child-process <mode>', 'run passes in child processes: auto (cuda only), always, never')
        .choices(['auto', 'always', 'never'])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--gpu-time <method>',
        'cuda: per-node GPU time from CUPTI (injection library; $WB_CUPTI_LIB or native/cupti-trace/libcupti_trace.so), from CUDA_LAUNCH_BLOCKING=1 host times, or auto (cupti when the library is found)',
      )
        .choices(['auto', 'cupti', 'sync-launch'])
        .default('auto'),
    )
    .addOption(
      new Option('--backend <backend>', 'runtime backend: node, native (the addon over the C API), auto').choices(['node', 'native', 'auto']).default('node'),
    )
    .option(
      '--provider-options <[role:]k=v,...>',
      'CUDA EP provider options (native backend), for every role or one role with a role: prefix (repeatable)',
      roleProviderOptionsArg,
      {} as RoleProviderOptions,
    )
    .addOption(new Option('--worker <job>').hideHelp())
    .action(async (target: string | undefined, flags: ProfileFlags) => {
      if (flags.worker) {
        await runWorkerJob(flags.worker);
        return;
      }
      if (!target) throw new UsageError('profile: missing <model.onnx | manifest.json>');
      if (flags.ep !== 'cpu' && flags.ep !== 'cuda') throw new UsageError(`--ep ${flags.ep}: cpu or cuda`);
      if (flags.host) {
        const argv = process.argv.slice(process.argv.indexOf('profile') + 1);
        const html = await runHostFlame(argv, flags.out, (s) => out.error(`${s}\n`));
        out.write(`flame graph: ${html}\n`);
        return;
      }
      const runs = optionalNumberFlag('--runs', flags.runs, 'non-negative integer', 'value-expected');
      const warmup = optionalNumberFlag('--warmup', flags.warmup, 'non-negative integer', 'value-expected');
      const top = optionalNumberFlag('--top', flags.top, 'non-negative integer', 'value-expected') ?? 15;
      const report = await profileTarget({
        target,
        ep: flags.ep,
        ...(runs !== undefined ? { runs } : {}),
        ...(warmup !== undefined ? { warmup } : {}),
        inputs: parseInputsOption(flags.inputs),
        sessionOptions: flags.sessionOption,
        backend: flags.backend,
        providerOptions: flags.providerOptions,
        seed: optionalNumberFlag('--seed', flags.seed, 'non-negative integer', 'value-expected') ?? 1,
        ...(flags.roles
          ? {
              roles: flags.roles
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            }
          : {}),
        childProcess: flags.childProcess as 'auto' | 'always' | 'never',
        gpuTime: flags.gpuTime as 'auto' | 'cupti' | 'sync-launch',
        ...(flags.device ? { device: flags.device } : {}),
        ...(flags.keepTrace ? { keepTraceDir: `${flags.out}/traces` } : {}),
        log: (s) => out.error(`${s}\n`),
      });
      const written = writeProfile(report, flags.out, flags.html);
      if (flags.json) out.write(`${JSON.stringify(report, null, 1)}\n`);
      else out.write(renderProfileConsole(report, top));
      out.write(`wrote ${written.json}${written.html ? ` and ${written.html}` : ''}\n`);
      if (written.htmlError) out.error(`warning: profile.html not written: ${written.htmlError}\n`);
    });
}
