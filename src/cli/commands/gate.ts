/**
 * `workbench gate --baseline <results.jsonl | run.json | dir | manifest> --candidate <model.onnx | manifest.json |
 * results | run.json> [thresholds] [--junit out.xml] [--markdown out.md] [--config workbench.gate.json]`:
 * runs what is missing, compares, prints one line per check and exits 0 (pass), 1 (a threshold failed)
 * or 2 (could not run).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command, Option } from 'commander';
import type { GateThresholds } from '../../gate/gate-checks.js';
import { GATE_CONFIG_FILE, loadGateConfig, parseFraction, parseRoleLimit, type GateConfig } from '../../gate/gate-config.js';
import { renderGateConsole, renderGateJunit, renderGateMarkdown } from '../../gate/render-gate.js';
import { GATE_DEFAULTS, runGate } from '../../gate/run-gate.js';
import { createPipelineDriver } from '../../sweep/pipeline-driver.js';
import { cliState, out } from '../state.js';
import { optionalNumberFlag } from '../../core/number-flag.js';

interface GateFlags {
  baseline: string;
  candidate: string;
  role?: string;
  maxRtf?: string;
  maxRtfRegression?: string;
  minPsnr?: string;
  minSsim?: string;
  maxAudioDistance?: string;
  maxError: string[];
  junit?: string;
  markdown?: string;
  json?: string;
  config?: string;
  repeats?: string;
  ep?: 'cpu' | 'cuda';
  steps?: string;
  seed?: string;
  text?: string;
  workDir: string;
}

/** "--flag: 'x' is not a number" when not a number, then "--flag: expected a positive integer, got 'x'". */
function posInt(flag: string, s: string | undefined): number | undefined {
  num(flag, s);
  return optionalNumberFlag(flag, s, 'positive integer');
}

function num(flag: string, s: string | undefined): number | undefined {
  return optionalNumberFlag(flag, s, 'number', 'is-not');
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export function gateCommand(): Command {
  return new Command('gate')
    .description('CI gate: compare a candidate (model, manifest, results or run) with a baseline; exit 0 pass, 1 threshold failed, 2 could not run')
    .requiredOption('--baseline <path>', 'results.jsonl, run.json, a sweep/run folder or a manifest.json (run here)')
    .requiredOption('--candidate <path>', 'a model .onnx (replaces one role of the baseline manifest), manifest.json, results.jsonl or run.json')
    .option('--role <role>', 'role the candidate model replaces (default: inferred from its file name or input names)')
    .option('--max-rtf <r>', 'candidate end-to-end RTF at most r')
    .option('--max-rtf-regression <p>', "allowed RTF regression, e.g. '5%' (beyond the measured spread)")
    .option('--min-psnr <db>', 'mean frame PSNR vs the baseline at least db')
    .option('--min-ssim <s>', 'mean SSIM vs the baseline at least s')
    .option('--max-audio-distance <d>', 'log-mel distance vs the baseline at most d dB')
    .option('--max-error <role=E>', "a role's output relative L2 at most E (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--junit <file>', 'write JUnit XML (one testcase per check)')
    .option('--markdown <file>', 'write a Markdown summary (a table, for a PR comment)')
    .option('--json <file>', 'write the gate report as JSON')
    .option('--config <file>', `thresholds and run settings (default ./${GATE_CONFIG_FILE} when present)`)
    .option('--repeats <n>', `timed runs per side (default ${GATE_DEFAULTS.repeats})`)
    .addOption(new Option('--ep <ep>', 'execution provider').choices(['cpu', 'cuda']))
    .option('--steps <n>', 'diffusion steps')
    .option('--seed <n>', 'pipeline seed')
    .option('--text <text>', 'text the pipeline speaks')
    .option('--work-dir <dir>', 'where runs and the candidate manifest go', GATE_DEFAULTS.workDir)
    .action(async (f: GateFlags) => {
      const cfgFile = f.config ?? (existsSync(GATE_CONFIG_FILE) ? GATE_CONFIG_FILE : undefined);
      const cfg: GateConfig = cfgFile ? loadGateConfig(cfgFile) : { schemaVersion: 1, thresholds: {} };
      const t: GateThresholds = { ...cfg.thresholds };
      const set = (k: 'maxRtf' | 'minPsnr' | 'minSsim' | 'maxAudioDistance', flag: string, v: string | undefined): void => {
        const n = num(flag, v);
        if (n !== undefined) t[k] = n;
      };
      set('maxRtf', '--max-rtf', f.maxRtf);
      set('minPsnr', '--min-psnr', f.minPsnr);
      set('minSsim', '--min-ssim', f.minSsim);
      set('maxAudioDistance', '--max-audio-distance', f.maxAudioDistance);
      if (f.maxRtfRegression !== undefined) t.maxRtfRegression = parseFraction(f.maxRtfRegression, '--max-rtf-regression');
      if (f.maxError.length) t.maxError = { ...(t.maxError ?? {}), ...Object.fromEntries(f.maxError.map(parseRoleLimit)) };
      const steps = posInt('--steps', f.steps) ?? cfg.steps;
      const text = f.text ?? cfg.text;
      const report = await runGate({
        baseline: f.baseline,
        candidate: f.candidate,
        ...(f.role !== undefined ? { role: f.role } : {}),
        thresholds: t,
        repeats: posInt('--repeats', f.repeats) ?? cfg.repeats ?? GATE_DEFAULTS.repeats,
        ep: f.ep ?? cfg.ep ?? 'cpu',
        ...(steps !== undefined ? { steps } : {}),
        seed: num('--seed', f.seed) ?? cfg.seed ?? GATE_DEFAULTS.seed,
        ...(text !== undefined ? { text } : {}),
        workDir: f.workDir,
        driver: createPipelineDriver(),
        log: (s) => out.error(s),
      });
      out.write(renderGateConsole(report));
      if (f.junit) write(f.junit, renderGateJunit(report));
      if (f.markdown) write(f.markdown, renderGateMarkdown(report));
      if (f.json) write(f.json, `${JSON.stringify(report, null, 2)}\n`);
      if (!report.pass) cliState.exitCode = 1;
    });
}
