/**
 * `npm run fuzz -- --count N [--seed S] [--workers W] [--timeout MS] [--case I]`: the CLI fuzz target.
 * Mutated seed models (flipped bytes, truncations, spliced files, huge varints) go through inspect,
 * convert and optimize --fp16, in-process through the CLI's entry (`execute`), in a pool of worker
 * threads: a case that runs past --timeout is a hang, and its thread is terminated and replaced (a
 * synchronous loop cannot be interrupted in-process). Writes bench/results/fuzz.json; exits 1 when a
 * case crashed, hung, left output or modified its input.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fuzzInput, runFuzzCase, type FuzzCaseResult, type FuzzFailure } from '../src/fuzz/fuzz-case.js';
import { buildFuzzSeeds } from '../src/fuzz/seeds.js';

interface Job {
  seed: number;
  seedsDir: string;
  workDir: string;
}
type ToWorker = { index: number } | { stop: true };
type FromWorker = { started: number; command: string } | { done: FuzzCaseResult };

async function workerMain(job: Job): Promise<void> {
  const seeds = buildFuzzSeeds(job.seedsDir);
  const port = parentPort;
  if (!port) return;
  port.on('message', (m: ToWorker) => {
    if ('stop' in m) {
      port.close();
      return;
    }
    void runFuzzCase(seeds, job.seed, m.index, job.workDir, (command) => port.postMessage({ started: m.index, command } satisfies FromWorker)).then((r) =>
      port.postMessage({ done: r } satisfies FromWorker),
    );
  });
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`error: --${name}: expected a non-negative integer, got '${process.argv[i + 1] ?? ''}'\n`);
    process.exit(2);
  }
  return v;
}

interface Totals {
  cases: number;
  runs: number;
  exit0: number;
  exit2: number;
  crashes: number;
  hangs: number;
  partialOutputs: number;
  modifiedInputs: number;
}

async function mainThread(): Promise<void> {
  const count = arg('count', 1000);
  const seed = arg('seed', 1);
  const timeoutMs = arg('timeout', 20_000);
  const only = process.argv.includes('--case') ? arg('case', 0) : undefined;
  const workers = Math.max(1, Math.min(arg('workers', Math.max(1, availableParallelism())), count));
  const root = mkdtempSync(join(tmpdir(), 'wb-fuzz-'));
  const indices = only !== undefined ? [only] : Array.from({ length: count }, (_, i) => i);
  const totals: Totals = { cases: 0, runs: 0, exit0: 0, exit2: 0, crashes: 0, hangs: 0, partialOutputs: 0, modifiedInputs: 0 };
  const byMutation: Record<string, number> = {};
  const failures: FuzzFailure[] = [];
  const self = fileURLToPath(import.meta.url);
  // The main thread knows each case's seed and mutation too, to name a case whose thread hung or died.
  const seeds = buildFuzzSeeds(join(root, 'seeds-main'));
  const describe = (index: number): Pick<FuzzFailure, 'index' | 'seed' | 'mutation'> => {
    const c = fuzzInput(seeds, seed, index);
    return { index, seed: c.seed.name, mutation: c.mutation };
  };
  const t0 = performance.now();
  let next = 0;
  const record = (r: FuzzCaseResult): void => {
    totals.cases++;
    byMutation[r.mutation] = (byMutation[r.mutation] ?? 0) + 1;
    for (const x of r.runs) {
      totals.runs++;
      if (x.code === 0) totals.exit0++;
      else if (x.code === 2) totals.exit2++;
    }
    for (const f of r.failures) {
      if (f.kind === 'crash') totals.crashes++;
      else if (f.kind === 'partial-output') totals.partialOutputs++;
      else if (f.kind === 'modified-input') totals.modifiedInputs++;
      failures.push(f);
    }
  };
  const lane = (id: number): Promise<void> =>
    new Promise((resolveLane) => {
      const start = (): void => {
        const w = new Worker(self, { workerData: { seed, seedsDir: join(root, `seeds-${id}`), workDir: join(root, `case-${id}`) } satisfies Job });
        let current: { index: number; command: string } | undefined;
        let timer: NodeJS.Timeout | undefined;
        const feed = (): void => {
          if (next >= indices.length) {
            w.postMessage({ stop: true } satisfies ToWorker);
            void w.terminate().then(() => resolveLane());
            return;
          }
          const index = indices[next++] as number;
          current = { index, command: 'start' };
          w.postMessage({ index } satisfies ToWorker);
        };
        w.on('message', (m: FromWorker) => {
          if ('started' in m) {
            current = { index: m.started, command: m.command };
            clearTimeout(timer);
            timer = setTimeout(() => {
              // A hang: record it, replace the thread, go on with the next case.
              totals.cases++;
              totals.hangs++;
              failures.push({
                ...describe(m.started),
                command: m.command,
                kind: 'hang',
                code: -1,
                detail: `no result after ${timeoutMs} ms (rerun with --case ${m.started})`,
              });
              w.removeAllListeners('message');
              void w.terminate().then(start);
            }, timeoutMs);
            return;
          }
          clearTimeout(timer);
          record(m.done);
          if (totals.cases % 500 === 0) process.stderr.write(`fuzz: ${totals.cases}/${indices.length} cases, ${failures.length} failures\n`);
          feed();
        });
        w.on('error', (e) => {
          clearTimeout(timer);
          totals.cases++;
          totals.crashes++;
          failures.push({ ...describe(current?.index ?? 0), command: current?.command ?? '?', kind: 'crash', code: -1, detail: `worker died: ${e.message}` });
          start();
        });
        w.once('online', feed);
      };
      start();
    });
  await Promise.all(Array.from({ length: workers }, (_, i) => lane(i)));
  const seconds = (performance.now() - t0) / 1000;
  const result = {
    schemaVersion: 1,
    bench: 'fuzz',
    createdAt: new Date().toISOString(),
    settings: { count: indices.length, seed, workers, timeoutMs, commands: ['inspect --json', 'convert -o', 'optimize -o --fp16'] },
    totals,
    byMutation,
    seconds,
    casesPerSecond: totals.cases / seconds,
    failures: failures.slice(0, 200),
  };
  mkdirSync('bench/results', { recursive: true });
  const file = only !== undefined ? join(root, 'fuzz-case.json') : 'bench/results/fuzz.json';
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(
    `fuzz: ${totals.cases} cases (${totals.runs} runs: ${totals.exit0} exit 0, ${totals.exit2} exit 2) in ${seconds.toFixed(1)} s on ${workers} threads: ` +
      `${totals.crashes} crashes, ${totals.hangs} hangs, ${totals.partialOutputs} partial outputs, ${totals.modifiedInputs} modified inputs → ${file}\n`,
  );
  for (const f of failures.slice(0, 10)) process.stderr.write(`  case ${f.index} (${f.seed}, ${f.mutation}) ${f.command}: ${f.kind}: ${f.detail}\n`);
  process.exitCode = failures.length ? 1 : 0;
}

if (isMainThread) await mainThread();
else await workerMain(workerData as Job);
