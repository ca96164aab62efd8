/**
 * The CI gate: resolves the baseline and the candidate (results.jsonl, a sweep folder, run.json, a run
 * folder, manifest.json or — for the candidate — one model file that replaces a role of the baseline's
 * manifest), runs what is missing (repeated, for noise-aware timing), and checks the thresholds.
 * Anything that keeps the gate from running throws a WorkbenchError (exit 2); failed thresholds are
 * reported in the GateReport (exit 1 is the CLI's business).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { ALL_ROLES, type Manifest, type Role, type RoleSpec } from '../models/manifest.js';
import { readManifestJson, tensorSpecOf } from '../models/manifest-io.js';
import { guardOutputs } from '../onnx/output-guard.js';
import { readModel } from '../onnx/read-model.js';
import { compareRuns, readRun } from '../runner/compare-runs.js';
import { readRunManifest, rolesForRun } from '../runner/validate-manifest.js';
import { metricsOfRuns, qualityMetricsOf } from '../sweep/pipeline-driver.js';
import { readResults, RESULTS_FILE } from '../sweep/result-store.js';
import type { RunMetrics, SweepDriver } from '../sweep/types.js';
import { gateChecks, GATE_SCHEMA_VERSION, type GateReport, type GateThresholds } from './gate-checks.js';

export interface GateOptions {
  baseline: string;
  candidate: string;
  /** The role a candidate model file replaces (inferred from its file name or I/O names when omitted). */
  role?: string;
  thresholds: GateThresholds;
  repeats: number;
  ep: 'cpu' | 'cuda';
  steps?: number;
  seed: number;
  text?: string;
  /** Where the gate writes its runs and the candidate's manifest. */
  workDir: string;
  driver: SweepDriver;
  log?: (s: string) => void;
}

export const GATE_DEFAULTS = { repeats: 3, seed: 1, workDir: 'reports/gate' } as const;

type InputKind = 'results' | 'run' | 'manifest' | 'model';

interface Resolved {
  kind: InputKind;
  path: string;
}

/** What a path is: a sweep's results, a run, a manifest or a model file. */
export function classifyInput(p: string, what: string): Resolved {
  const path = resolve(p);
  if (!existsSync(path)) throw new UsageError(`--${what}: ${p}: no such file or folder`);
  if (statSync(path).isDirectory()) {
    for (const [file, kind] of [
      [RESULTS_FILE, 'results'],
      ['run.json', 'run'],
      ['manifest.json', 'manifest'],
    ] as const)
      if (existsSync(join(path, file))) return { kind, path: kind === 'run' ? path : join(path, file) };
    throw new UsageError(`--${what}: ${p}: a folder without ${RESULTS_FILE}, run.json or manifest.json`);
  }
  if (path.endsWith('.jsonl')) return { kind: 'results', path };
  if (path.endsWith('.onnx')) return { kind: 'model', path };
  if (path.endsWith('.json')) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new UsageError(`--${what}: ${p}: not valid JSON (${(e as Error).message})`);
    }
    const o = json as { kind?: unknown; roles?: unknown };
    if (o.kind === 'workbench.run') return { kind: 'run', path: dirname(path) };
    if (typeof o.roles === 'object' && o.roles !== null) return { kind: 'manifest', path };
    throw new UsageError(`--${what}: ${p}: neither a run.json (kind workbench.run) nor a manifest (roles)`);
  }
  throw new UsageError(`--${what}: ${p}: expected results.jsonl, run.json, manifest.json, a model .onnx or a folder with one of them`);
}

/** The role a model file plays: --role, else a role name in its file name, else a role with the same input names. */
export function inferRole(modelPath: string, manifest: Manifest, inputNames: readonly string[], explicit?: string): Role {
  if (explicit !== undefined) {
    if (!ALL_ROLES.includes(explicit as Role)) throw new UsageError(`--role: unknown role '${explicit}'. Should be one of: ${ALL_ROLES.join(', ')}.`);
    if (!manifest.roles[explicit as Role]) throw new UsageError(`--role: the baseline manifest has no role '${explicit}'`);
    return explicit as Role;
  }
  const name = basename(modelPath).toLowerCase();
  const byName = ALL_ROLES.filter((r) => manifest.roles[r] && name.includes(r)).sort((a, b) => b.length - a.length)[0];
  if (byName) return byName;
  const key = [...inputNames].sort().join(',');
  const byIo = ALL_ROLES.filter((r) => {
    const spec = manifest.roles[r];
    return spec && Object.keys(spec.inputs).sort().join(',') === key;
  });
  if (byIo.length === 1 && byIo[0]) return byIo[0];
  throw new UsageError(
    `cannot tell which role ${modelPath} replaces (${byIo.length ? `inputs match ${byIo.join(', ')}` : 'no role name in the file name and no role with its input names'}); pass --role`,
  );
}

interface Side {
  label: string;
  metrics: RunMetrics;
  manifest: string | undefined;
  runDir: string | undefined;
}

function fromResults(path: string, baseline: boolean): Side {
  const results = readResults(path).results.filter((r) => r.status === 'ok' && r.metrics);
  const pick = baseline ? (results.find((r) => r.baseline) ?? results[0]) : (results.filter((r) => !r.baseline).pop() ?? results[0]);
  if (!pick?.metrics) throw new UsageError(`${path}: no successful ${baseline ? 'baseline ' : ''}result to gate on`);
  return { label: `${path}#${pick.name}`, metrics: pick.metrics, manifest: pick.manifest, runDir: pick.metrics.runDir };
}

function fromRun(dir: string, baselineRunDir: string | undefined): Side {
  const r = readRun(dir);
  const m = metricsOfRuns([r], undefined);
  if (!m.quality && baselineRunDir && resolve(baselineRunDir) !== resolve(dir)) m.quality = qualityMetricsOf(compareRuns(baselineRunDir, dir));
  return { label: join(dir, 'run.json'), metrics: m, manifest: r.config.manifest, runDir: dir };
}

/** Writes a manifest equal to `baseManifest` with `role` played by `model` (I/O specs from the model). */
export function manifestWithRole(
  baseManifest: string,
  role: Role,
  model: string,
  outDir: string,
  ioFromModel: { inputs: RoleSpec['inputs']; outputs: RoleSpec['outputs'] },
): string {
  const base = readManifestJson(baseManifest);
  const baseDir = dirname(resolve(baseManifest));
  mkdirSync(outDir, { recursive: true });
  const roles: Manifest['roles'] = {};
  for (const [r, spec] of Object.entries(base.roles)) if (spec) roles[r as Role] = { ...spec, file: relative(outDir, resolve(baseDir, spec.file)) };
  const old = base.roles[role];
  if (!old) throw new UsageError(`the baseline manifest ${baseManifest} has no role '${role}'`);
  const replaced: RoleSpec = { ...old, file: relative(outDir, resolve(model)), inputs: ioFromModel.inputs, outputs: ioFromModel.outputs };
  delete replaced.sha256;
  delete replaced.params;
  delete replaced.macsPerCall;
  roles[role] = replaced;
  const m: Manifest = { ...base, name: `${base.name}+${basename(model)}`, roles };
  if (base.vocab) m.vocab = relative(outDir, resolve(baseDir, base.vocab));
  const path = join(outDir, 'manifest.json');
  writeFileSync(path, `${JSON.stringify(m, null, 2)}\n`);
  return path;
}

/** The candidate model file's place in the baseline manifest, worked out before anything runs. */
interface CandidateModel {
  role: Role;
  inputs: RoleSpec['inputs'];
  outputs: RoleSpec['outputs'];
  baseManifest: string;
}

/**
 * Checks every input before anything runs or is written: both sides classified, results and runs read,
 * manifests validated, a candidate model read whole and its role worked out. A truncated candidate fails
 * here, not after the baseline has run.
 */
function checkInputs(o: GateOptions): { b: Resolved; c: Resolved; base?: Side; cand?: Side; model?: CandidateModel } {
  const b = classifyInput(o.baseline, 'baseline');
  const c = classifyInput(o.candidate, 'candidate');
  if (b.kind === 'model') throw new UsageError('--baseline: a model file cannot be a baseline; give results.jsonl, run.json, a run folder or a manifest');
  const base = b.kind === 'results' ? fromResults(b.path, true) : b.kind === 'run' ? fromRun(b.path, undefined) : undefined;
  if (b.kind === 'manifest') readRunManifest(b.path, rolesForRun(true));
  if (c.kind === 'manifest') readRunManifest(c.path, rolesForRun(true));
  if (c.kind === 'run') readRun(c.path);
  const cand = c.kind === 'results' ? fromResults(c.path, false) : undefined;
  if (c.kind !== 'model') return { b, c, ...(base ? { base } : {}), ...(cand ? { cand } : {}) };
  const baseManifest = base ? base.manifest : b.path;
  if (!baseManifest || !existsSync(baseManifest))
    throw new UsageError(
      `the baseline (${base?.label ?? b.path}) names no manifest on this machine, so a model file cannot replace one of its roles; give the baseline as a manifest`,
    );
  // Read whole (weights included): a truncated or corrupt candidate is refused before any run.
  const model = readModel(c.path).model;
  const manifest = readManifestJson(baseManifest);
  const inputs: RoleSpec['inputs'] = {};
  const outputs: RoleSpec['outputs'] = {};
  for (const v of model.graph.inputs) if (!v.initializer && !model.graph.initializers.includes(v)) inputs[v.name] = tensorSpecOf(v);
  for (const v of model.graph.outputs) outputs[v.name] = tensorSpecOf(v);
  const role = inferRole(c.path, manifest, Object.keys(inputs), o.role);
  // The output guard: the candidate's manifest, written into the work folder, may not replace an input.
  guardOutputs([{ path: join(resolve(o.workDir), 'candidate-manifest', 'manifest.json'), what: "the candidate's manifest" }], [baseManifest, c.path]);
  return { b, c, ...(base ? { base } : {}), model: { role, inputs, outputs, baseManifest } };
}

/** Runs the gate and returns its report (pass or fail); throws a WorkbenchError when it cannot run, leaving nothing behind. */
export async function runGate(o: GateOptions): Promise<GateReport> {
  const checked = checkInputs(o);
  const work = resolve(o.workDir);
  // What this call creates, so that a failure removes it again (earlier gates' folders stay).
  const created = [work, ...['baseline', 'candidate', 'candidate-manifest'].map((d) => join(work, d))].filter((d) => !existsSync(d));
  try {
    // The runs make their own folders under `work`: a gate that only compares recorded results leaves none.
    return await runChecked(o, checked, work);
  } catch (e) {
    for (const d of created) rmSync(d, { recursive: true, force: true });
    throw e;
  }
}

async function runChecked(o: GateOptions, checked: ReturnType<typeof checkInputs>, work: string): Promise<GateReport> {
  const log = o.log ?? (() => undefined);
  const { b, c } = checked;
  const run = async (manifestPath: string, name: string, baselineRunDir: string | undefined): Promise<RunMetrics> => {
    log(`gate: running ${name} (${o.repeats}×, ${o.ep})\n`);
    return o.driver.run({
      manifestPath,
      ep: o.ep,
      seed: o.seed,
      ...(o.steps !== undefined ? { steps: o.steps } : {}),
      repeats: o.repeats,
      ...(baselineRunDir ? { baselineRunDir } : {}),
      ...(o.text !== undefined ? { text: o.text } : {}),
      outDir: join(work, name),
      onStage: (s) => log(`gate: ${name}: ${s}\n`),
    });
  };

  let base: Side;
  if (checked.base) base = checked.base;
  else {
    const m = await run(b.path, 'baseline', undefined);
    base = { label: b.path, metrics: m, manifest: b.path, runDir: m.runDir };
  }

  let cand: Side;
  let role: Role | undefined;
  if (checked.model) {
    const cm = checked.model;
    role = cm.role;
    const mp = manifestWithRole(cm.baseManifest, role, c.path, join(work, 'candidate-manifest'), { inputs: cm.inputs, outputs: cm.outputs });
    cand = { label: c.path, metrics: await run(mp, 'candidate', base.runDir), manifest: mp, runDir: undefined };
  } else if (c.kind === 'manifest') cand = { label: c.path, metrics: await run(c.path, 'candidate', base.runDir), manifest: c.path, runDir: undefined };
  else if (checked.cand) cand = checked.cand;
  else cand = fromRun(c.path, base.runDir);

  const checks = gateChecks(base.metrics, cand.metrics, o.thresholds);
  const report: GateReport = {
    schemaVersion: GATE_SCHEMA_VERSION,
    kind: 'gate',
    pass: checks.every((x) => x.status === 'pass'),
    baseline: base.label,
    candidate: cand.label,
    thresholds: o.thresholds,
    checks,
    createdAt: new Date().toISOString(),
  };
  if (role) report.role = role;
  return report;
}
