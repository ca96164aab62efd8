/**
 * The examples of docs/SCALE.md: the Kubernetes manifests validate against the Kubernetes schema
 * (kubernetes-models) and the GitHub workflow has the structure the docs rely on (no workflow JSON schema
 * is installed, so the structure is asserted). Then both are run here as far as a CPU allows: each pod's or
 * matrix job's own arguments and environment go to the real CLI (in-process, fake driver), paths mapped
 * into a temporary folder, and the merge step's arguments join what they wrote.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readResults } from '../../src/sweep/result-store.js';
import { expandVariants, DEFAULT_SWEEP_SPEC, parseSweepSpec } from '../../src/sweep/spec.js';
import { repoRoot } from './helpers/bundle-cli.js';
import { createFakeDriver } from './helpers/fake-driver.js';

type Obj = Record<string, unknown>;
const docs = (file: string): Obj[] => parseAllDocuments(readFileSync(join(repoRoot, file), 'utf8')).map((d) => d.toJSON() as Obj);
const at = (o: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((x, k) => (x as Record<string | number, unknown> | undefined)?.[k], o);

/** Runs the CLI in-process with the fake driver and `env` set for the call; returns the exit code. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<number> {
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, env);
  const write = process.stderr.write.bind(process.stderr);
  const out = process.stdout.write.bind(process.stdout);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await main(['node', 'workbench', ...args], { sweep: { createDriver: () => createFakeDriver() } });
  } finally {
    process.stderr.write = write;
    process.stdout.write = out;
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('examples/k8s', () => {
  const sweep = docs('examples/k8s/sweep-job.yaml');
  const merge = docs('examples/k8s/merge-job.yaml');
  const job = sweep.find((d) => d.kind === 'Job') as Obj;
  const mergeJob = merge[0] as Obj;

  it('validates against the Kubernetes schema', () => {
    for (const d of [...sweep, ...merge]) {
      if (d.kind === 'Job') new Job(d as ConstructorParameters<typeof Job>[0]).validate();
      else if (d.kind === 'ConfigMap') new ConfigMap(d as ConstructorParameters<typeof ConfigMap>[0]).validate();
      else if (d.kind === 'PersistentVolumeClaim') new PersistentVolumeClaim(d as ConstructorParameters<typeof PersistentVolumeClaim>[0]).validate();
      else throw new Error(`unexpected kind ${String(d.kind)}`);
    }
    // The validator does catch mistakes (a string where an integer belongs).
    expect(() =>
      new Job({ ...job, spec: { ...(job.spec as Obj), completions: 'four' } } as unknown as ConstructorParameters<typeof Job>[0]).validate(),
    ).toThrow();
  });

  it('is an Indexed Job with one GPU per pod, the count passed as JOB_COMPLETIONS, and a shared volume', () => {
    expect(at(job, 'spec', 'completionMode')).toBe('Indexed');
    const completions = at(job, 'spec', 'completions');
    expect(at(job, 'spec', 'parallelism')).toBe(completions);
    const c = at(job, 'spec', 'template', 'spec', 'containers', 0) as Obj;
    expect(at(c, 'resources', 'limits', 'nvidia.com/gpu')).toBe(1);
    expect((c.env as { name: string; value: string }[]).find((e) => e.name === 'JOB_COMPLETIONS')?.value).toBe(String(completions));
    expect(c.args).toEqual(expect.arrayContaining(['--shard', 'auto', '--resume', '--ep', 'cuda']));
    const pvc = sweep.find((d) => d.kind === 'PersistentVolumeClaim') as Obj;
    for (const j of [job, mergeJob])
      expect(at(j, 'spec', 'template', 'spec', 'volumes', 0, 'persistentVolumeClaim', 'claimName')).toBe(at(pvc, 'metadata', 'name'));
    expect(at(pvc, 'spec', 'accessModes')).toEqual(['ReadWriteMany']);
  });

  it('runs: each pod its shard, then the merge job joins them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-k8s-'));
    const cm = sweep.find((d) => d.kind === 'ConfigMap') as Obj;
    mkdirSync(join(dir, 'spec'));
    writeFileSync(join(dir, 'spec', 'sweep.json'), at(cm, 'data', 'sweep.json') as string);
    const spec = parseSweepSpec(JSON.parse(at(cm, 'data', 'sweep.json') as string));
    const map = (a: string): string => a.replace(/^\/(data|spec)\//, `${dir}/$1/`);
    const c = at(job, 'spec', 'template', 'spec', 'containers', 0) as { args: string[]; env: { name: string; value: string }[] };
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
    // The fake driver runs on the CPU; everything else is the pod's own arguments.
    const args = c.args.map(map).map((a, i, all) => (all[i - 1] === '--ep' ? 'cpu' : a));
    for (let i = 0; i < Number(at(job, 'spec', 'completions')); i++) expect(await cli(args, { ...env, JOB_COMPLETION_INDEX: String(i) })).toBe(0);
    const m = at(mergeJob, 'spec', 'template', 'spec', 'containers', 0, 'args') as string[];
    expect(await cli(m.map(map))).toBe(0);
    const merged = readResults(join(map(m[m.length - 1] as string), 'results.jsonl')).results;
    expect(merged.map((r) => r.id)).toEqual(expandVariants(spec).map((v) => v.id));
  });
});

describe('examples/github', () => {
  const wf = parse(readFileSync(join(repoRoot, 'examples/github/sweep-matrix.yml'), 'utf8')) as Obj;
  const sweepJob = at(wf, 'jobs', 'sweep') as Obj;
  const mergeJob = at(wf, 'jobs', 'merge') as Obj;
  type Step = { uses?: string; run?: string; with?: Record<string, string> };
  const steps = (j: Obj): Step[] => j.steps as Step[];

  it('has a shard matrix, the shard variables, artifacts up and down, and a merge job that needs the matrix', () => {
    expect(at(wf, 'on')).toBeDefined();
    const shards = at(sweepJob, 'strategy', 'matrix', 'shard') as number[];
    expect(shards).toEqual(shards.map((_, i) => i));
    expect(at(sweepJob, 'env')).toEqual({ WORKBENCH_SHARD_INDEX: '${{ matrix.shard }}', WORKBENCH_SHARD_COUNT: '${{ strategy.job-total }}' });
    for (const j of [sweepJob, mergeJob]) {
      expect(typeof j['runs-on']).toBe('string');
      for (const s of steps(j)) expect(Boolean(s.uses) !== Boolean(s.run)).toBe(true);
    }
    const up = steps(sweepJob).find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(up?.with?.name).toBe('sweep-shard-${{ matrix.shard }}');
    expect(mergeJob.needs).toBe('sweep');
    const down = steps(mergeJob).find((s) => s.uses?.startsWith('actions/download-artifact@'));
    expect(down?.with?.pattern).toBe('sweep-shard-*');
  });

  it('runs: each matrix job its shard, the artifacts laid out as download-artifact does, then the merge', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-gha-'));
    const words = (run: string): string[] =>
      run
        .trim()
        .split(/\s+/)
        .map((w) => w.replace(/^'(.*)'$/, '$1'));
    const sweepRun = words(steps(sweepJob).find((s) => s.run?.includes(' sweep '))?.run ?? '');
    const mergeRun = words(steps(mergeJob).find((s) => s.run?.includes(' report merge '))?.run ?? '');
    expect(sweepRun.slice(0, 2)).toEqual(['node', 'bin/workbench.js']);
    expect(mergeRun.slice(0, 2)).toEqual(['node', 'bin/workbench.js']);
    const shards = at(sweepJob, 'strategy', 'matrix', 'shard') as number[];
    const download = steps(mergeJob).find((s) => s.uses?.startsWith('actions/download-artifact@'))?.with?.path ?? '';
    for (const shard of shards) {
      const runner = join(dir, `runner-${shard}`);
      const args = sweepRun.slice(2).map((a, i, all) => (all[i - 1] === '--out' ? join(runner, a) : a));
      expect(await cli(args, { WORKBENCH_SHARD_INDEX: String(shard), WORKBENCH_SHARD_COUNT: String(shards.length) })).toBe(0);
      // upload-artifact keeps the files below their common folder; download-artifact puts each artifact in <path>/<name>/.
      const out = args[args.indexOf('--out') + 1] as string;
      for (const f of ['results.jsonl', 'sweep.json']) cpSync(join(out, f), join(dir, 'merge-runner', download, `sweep-shard-${shard}`, f));
    }
    const margs = mergeRun.slice(2).map((a, i, all) => (a.startsWith(`${download}/`) || all[i - 1] === '-o' ? join(dir, 'merge-runner', a) : a));
    expect(await cli(margs)).toBe(0);
    const merged = readResults(join(dir, 'merge-runner', 'merged', 'results.jsonl')).results;
    expect(merged.map((r) => r.id)).toEqual(expandVariants(DEFAULT_SWEEP_SPEC).map((v) => v.id));
  });
});

describe('examples/sweeps', () => {
  it("h200-best-path.json: the round-8 best path, round 7's, round 6's and its control (the avatar per utterance) validate and expand", () => {
    const file = join(repoRoot, 'examples/sweeps/h200-best-path.json');
    const spec = parseSweepSpec(JSON.parse(readFileSync(file, 'utf8')), file);
    const planned = expandVariants(spec);
    // The FP32 baseline plus the four variants.
    expect(planned.map((v) => v.baseline)).toEqual([true, false, false, false, false]);
    const [best, round7, round6, perUtterance] = planned.slice(1);
    // Round 8's: round 7's with HuBERT under a CUDA graph and the vocoder beside the GPT.
    expect(best?.settings?.vocoderOverlap).toBe(true);
    expect(best?.settings?.providerOptions?.hubert?.enable_cuda_graph).toBe('1');
    expect(round7?.settings?.vocoderOverlap).toBe(false);
    expect(round7?.settings?.providerOptions?.hubert?.enable_cuda_graph).toBeUndefined();
    // Round 7's: every role but the renderer on high-priority streams; otherwise round 6's.
    for (const v of [best, round7]) {
      const po = v?.settings?.providerOptions ?? {};
      for (const role of ['gpt_decode', 'gpt_prefill', 'hifigan', 'hubert', 'lmdm'] as const) expect(po[role]?.stream_priority, role).toBe('high');
      expect(po.renderer?.stream_priority).toBeUndefined();
    }
    expect(round6?.settings?.providerOptions?.gpt_decode?.stream_priority).toBeUndefined();
    for (const v of [best, round7, round6]) {
      expect(v?.settings?.avatarCache).toBe(true);
      expect(v?.settings?.shapeSessions).toEqual({ hifigan: 5 });
    }
    expect(perUtterance?.settings?.avatarCache).toBe(false);
    expect(perUtterance?.settings?.shapeSessions).toEqual({ hifigan: 5 });
    expect(new Set([best?.id, round7?.id, round6?.id, perUtterance?.id]).size).toBe(4);
  });
});
