/**
 * `workbench project <profile.json | run.json | results.jsonl> --to l4 [--to a100-80gb] [--from h100-sxm]`:
 * per-node roofline projection of measured profiles to other GPUs, a projected RTF and memory fit, all
 * labelled as projections with the validated error band. `workbench project validate --from-profile a.json
 * --measured b.json [--record src/projection/validation.json]` measures that band.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { readPeaksFiles } from '../../projection/device-side.js';
import { projectProfile, type ProjectOptions } from '../../projection/project-profile.js';
import { annotateResults, projectResults, RESULTS_MODEL, type NamedProfile } from '../../projection/project-results.js';
import { readManifestIfPresent, readProfile, readProjectionInput } from '../../projection/read-input.js';
import { renderProjectionConsole, renderProjectionHtml } from '../../projection/render-projection.js';
import type { ProjectionReport } from '../../projection/types.js';
import { recordValidation, renderValidation, validateProjection } from '../../projection/validate-projection.js';
import { out } from '../state.js';
import { optionalNumberFlag } from '../../core/number-flag.js';

interface ProjectFlags {
  to: string[];
  from?: string;
  out?: string;
  html: boolean;
  peaks: string[];
  measuredPeaks: boolean;
  manifest?: string;
  profile: string[];
  audioSeconds?: string;
  steps?: string;
  annotate?: string;
  top: string;
  json?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function num(name: string, v: string | undefined, integer = false): number | undefined {
  return optionalNumberFlag(`--${name}`, v, integer ? 'positive integer' : 'positive number', 'value-expected');
}

function writeOutputs(report: ProjectionReport, f: { out?: string; html: boolean }): string[] {
  if (!f.out) return [];
  mkdirSync(dirname(f.out), { recursive: true });
  writeFileSync(f.out, `${JSON.stringify(report, null, 1)}\n`);
  const written = [f.out];
  if (f.html) {
    const html = f.out.replace(/\.json$/i, '') + '.html';
    try {
      writeFileSync(html, renderProjectionHtml(report));
      written.push(html);
    } catch (e) {
      // The JSON is the result; the page needs notebooks-html/ and plotly beside the CLI.
      out.error(`warning: ${html} not written: ${(e as Error).message}\n`);
    }
  }
  return written;
}

function validateCommand(): Command {
  return new Command('validate')
    .description("compare a projection from GPU A's profile with GPU B's measured profile of the same models (relative error per role and end to end)")
    .requiredOption('--from-profile <file>', 'profile.json measured on GPU A')
    .requiredOption('--measured <file>', 'profile.json of the same manifest measured on GPU B')
    .option('--to <id>', "GPU B's id when its profile recorded no peaks")
    .option('--from <id>', "GPU A's id instead of the one its profile recorded")
    .option('--manifest <file>', 'manifest for the call rates (default: the profile target when present)')
    .option('--peaks <file>', 'device-peaks JSON of A or B, repeatable', collect)
    .option('--out <file>', 'write the validation JSON here')
    .option('--record <file>', 'append the result to this validation.json (src/projection/validation.json)')
    .option('--json', 'print the JSON')
    .action((_local: unknown, cmd: Command) => {
      // Options this command shares with `project` (--to, --from, --out, ...) are parsed by the parent, so read both.
      const g = cmd.optsWithGlobals<{
        fromProfile: string;
        measured: string;
        to?: string | string[];
        from?: string;
        manifest?: string;
        peaks?: string[];
        out?: string;
        record?: string;
        json?: boolean;
      }>();
      const to = Array.isArray(g.to) ? g.to[0] : g.to;
      const f = { ...g, peaks: g.peaks ?? [] };
      const a = readProfile(f.fromProfile);
      const b = readProfile(f.measured);
      const manifest = readManifestIfPresent(f.manifest ?? (a.targetKind === 'manifest' ? a.target : undefined));
      const r = validateProjection(a, b, {
        fromFile: f.fromProfile,
        measuredFile: f.measured,
        ...(to ? { to } : {}),
        ...(f.from ? { from: f.from } : {}),
        ...(manifest ? { manifest } : {}),
        peaksFiles: readPeaksFiles(f.peaks),
      });
      if (f.out) {
        mkdirSync(dirname(f.out), { recursive: true });
        writeFileSync(f.out, `${JSON.stringify(r, null, 2)}\n`);
      }
      out.write(f.json ? `${JSON.stringify(r, null, 2)}\n` : renderValidation(r));
      if (f.record) {
        const v = recordValidation(f.record, r.entry);
        out.write(`recorded in ${f.record} (${v.validations.length} validation(s))\n`);
      }
      if (f.out) out.write(`wrote ${f.out}\n`);
    });
}

export function projectCommand(): Command {
  const c = new Command('project')
    .description(
      'project a profile (or a run, or sweep results) measured on one GPU to other GPUs: per-node roofline, RTF, memory fit (PROJECTED, with error band)',
    )
    .argument('[input]', 'profile.json, run.json, or results.jsonl / a sweep folder')
    .option('--to <gpu>', 'target GPU id or name (l4, t4, a10, a100-40gb, a100-80gb, h100-pcie, h100-sxm, h200), repeatable', collect, [] as string[])
    .option('--from <gpu>', 'source GPU id (default: the peaks the profile recorded)')
    .option('--out <file>', 'write projection.json here (and projection.html beside it)')
    .option('--no-html', 'skip the HTML page')
    .option('--peaks <file>', 'device-peaks JSON of a GPU (launch overheads; measured peaks when both sides have one), repeatable', collect, [] as string[])
    .option('--no-measured-peaks', 'use datasheet peaks even when both sides were measured')
    .option('--manifest <file>', 'the manifest the profile was taken of (call rates, pipeline config); default: the profile target / run manifest when present')
    .option(
      '--profile <file>',
      'profile.json of the same models on the source GPU (needed for run.json and results input), repeatable',
      collect,
      [] as string[],
    )
    .option('--audio-seconds <s>', 'utterance length that once-per-utterance roles are spread over (default 10)')
    .option('--steps <n>', "DDIM steps (default the manifest's)")
    .option('--annotate <file>', 'results input: write the results with metrics.projections filled (for `workbench report`)')
    .option('--top <n>', 'top nodes per target in the console output', '8')
    .option('--json', 'print projection.json instead of the summary');
  c.addCommand(validateCommand());
  return c.action((input: string | undefined, f: ProjectFlags) => {
    if (!input) throw new UsageError('project: give a profile.json, run.json or results.jsonl (or: project validate --from-profile a.json --measured b.json)');
    if (!f.to.length) throw new UsageError('project: give at least one --to <gpu> (e.g. --to l4)');
    const input0 = readProjectionInput(input);
    const base: Omit<ProjectOptions, 'manifest' | 'run'> = {
      targets: f.to,
      ...(f.from ? { from: f.from } : {}),
      peaksFiles: readPeaksFiles(f.peaks),
      useMeasuredPeaks: f.measuredPeaks,
      ...(num('audio-seconds', f.audioSeconds) !== undefined ? { audioSeconds: num('audio-seconds', f.audioSeconds) as number } : {}),
      ...(num('steps', f.steps, true) !== undefined ? { steps: num('steps', f.steps, true) as number } : {}),
    };
    const given = readManifestIfPresent(f.manifest);
    if (f.manifest && !given) throw new UsageError(`--manifest ${f.manifest}: no such manifest`);
    let report: ProjectionReport;
    if (input0.kind === 'profile') {
      const p = input0.profile;
      const manifest = given ?? readManifestIfPresent(p.targetKind === 'manifest' ? p.target : undefined);
      report = projectProfile(p, { ...base, ...(manifest ? { manifest } : {}), input: { file: input, kind: 'profile' } });
    } else {
      if (!f.profile.length)
        throw new UsageError(
          `project: a ${input0.kind === 'run' ? 'run.json' : 'results'} input carries no per-node data: pass --profile <profile.json> of the same models on the source GPU`,
        );
      const profiles: NamedProfile[] = f.profile.map((file) => ({ file, profile: readProfile(file) }));
      if (input0.kind === 'run') {
        const p = (profiles[0] as NamedProfile).profile;
        const manifest =
          given ?? readManifestIfPresent(input0.run.config.manifest) ?? readManifestIfPresent(p.targetKind === 'manifest' ? p.target : undefined);
        report = projectProfile(p, { ...base, ...(manifest ? { manifest } : {}), run: input0.run, input: { file: input, kind: 'run' } });
      } else {
        const { variants, projections } = projectResults(input0.results, profiles, {
          ...base,
          manifestFor: (p) => given ?? readManifestIfPresent(p.targetKind === 'manifest' ? p.target : undefined),
        });
        const first = projections.get((profiles[0] as NamedProfile).file) ?? [...projections.values()][0];
        if (!first) throw new UsageError(`${input}: no ok variant to project`);
        report = { ...first, input: { file: input, kind: 'results' }, variants, method: [...first.method, `Sweep results: ${RESULTS_MODEL}.`] };
        if (f.annotate) {
          mkdirSync(dirname(f.annotate), { recursive: true });
          writeFileSync(
            f.annotate,
            annotateResults(input0.results, variants)
              .map((r) => JSON.stringify(r))
              .join('\n') + '\n',
          );
        }
      }
    }
    const written = writeOutputs(report, f);
    out.write(f.json ? `${JSON.stringify(report, null, 1)}\n` : renderProjectionConsole(report, Number(f.top) || 0));
    if (written.length) out.write(`wrote ${written.join(' and ')}\n`);
    if (f.annotate && input0.kind === 'results') out.write(`wrote ${f.annotate} (results with metrics.projections)\n`);
  });
}
