#!/usr/bin/env node
// Measures a vitest run the way the README states it: wall time, CPU time (user + sys of the whole process
// tree, from /usr/bin/time), and peak tree RSS (the sum of the RSS of vitest and every worker it forks,
// sampled every 0.5 s; one process's "maximum resident set size" misses the concurrent workers).
// Per-file durations come from vitest's JSON reporter. Writes one JSON file and prints a summary.
//
//   node scripts/test-footprint.mjs [--out bench/results/test-footprint.json] [-- <vitest args>]
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const own = dash < 0 ? argv : argv.slice(0, dash);
const vitestArgs = dash < 0 ? [] : argv.slice(dash + 1);
const outIdx = own.indexOf('--out');
const out = outIdx >= 0 ? own[outIdx + 1] : 'bench/results/test-footprint.json';

const scratch = mkdtempSync(join(tmpdir(), 'test-footprint-'));
const timeFile = join(scratch, 'time.txt');
const jsonFile = join(scratch, 'vitest.json');
const durFile = join(scratch, 'durations.json');

/** RSS in KiB of `root` and all its descendants, and those processes (pid, RSS, command). */
function treeRss(root) {
  let text;
  try {
    text = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' });
  } catch {
    return { kib: 0, procs: [] };
  }
  const kids = new Map();
  const info = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [pid, ppid, kib] = [Number(m[1]), Number(m[2]), Number(m[3])];
    info.set(pid, { kib, args: m[4] });
    if (!kids.has(ppid)) kids.set(ppid, []);
    kids.get(ppid).push(pid);
  }
  let kib = 0;
  const procs = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop();
    const i = info.get(p);
    if (i) {
      kib += i.kib;
      procs.push({ pid: p, rssMiB: Math.round(i.kib / 1024), command: i.args.slice(0, 160) });
    }
    for (const c of kids.get(p) ?? []) stack.push(c);
  }
  return { kib, procs };
}

const t0 = Date.now();
const child = spawn(
  '/usr/bin/time',
  [
    '-f',
    '%U %S %e',
    '-o',
    timeFile,
    'npx',
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${jsonFile}`,
    '--reporter=./scripts/vitest-file-durations.mjs',
    ...vitestArgs,
  ],
  { stdio: 'inherit', env: { ...process.env, WB_FILE_DURATIONS: durFile } },
);
let peakKiB = 0;
let peakAt = { seconds: 0, processes: [] };
const timer = setInterval(() => {
  const { kib, procs } = treeRss(child.pid);
  if (kib > peakKiB) {
    peakKiB = kib;
    peakAt = { seconds: +((Date.now() - t0) / 1000).toFixed(1), processes: procs.filter((p) => p.rssMiB >= 20).sort((a, b) => b.rssMiB - a.rssMiB) };
  }
}, 500);
const code = await new Promise((res) => child.on('exit', (c) => res(c ?? 1)));
clearInterval(timer);
const wallS = (Date.now() - t0) / 1000;

const [userS, sysS] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
let files = [];
let tests = { total: 0, passed: 0, failed: 0, skipped: 0 };
try {
  const r = JSON.parse(readFileSync(jsonFile, 'utf8'));
  tests = { total: r.numTotalTests, passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + (r.numTodoTests ?? 0) };
  files = r.testResults
    .map((f) => ({
      file: relative(process.cwd(), f.name),
      seconds: +((f.endTime - f.startTime) / 1000).toFixed(2),
      slowest: [...f.assertionResults]
        .sort((a, b) => (b.duration ?? 0) - (a.duration ?? 0))
        .slice(0, 3)
        .map((a) => ({ name: a.fullName, seconds: +((a.duration ?? 0) / 1000).toFixed(2) })),
    }))
    .sort((a, b) => b.seconds - a.seconds);
  // Whole-file durations (hooks and collection included) replace the JSON reporter's tests-only figure.
  const whole = new Map(JSON.parse(readFileSync(durFile, 'utf8')).map((d) => [d.file, d]));
  for (const f of files) Object.assign(f, whole.get(f.file) ?? {});
  files.sort((a, b) => b.seconds - a.seconds);
} catch (e) {
  console.error(`test-footprint: no JSON report (${e.message})`);
}
const result = {
  when: new Date().toISOString(),
  exitCode: code,
  wallSeconds: +wallS.toFixed(1),
  cpuSeconds: { user: userS, sys: sysS, total: +(userS + sysS).toFixed(1) },
  peakTreeRssMiB: Math.round(peakKiB / 1024),
  // The processes of the tree when the peak was sampled (20 MiB and up): which workers and children made it.
  peakAt,
  loadAverageAtEnd: execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim(),
  tests,
  files,
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(
  `\ntest-footprint: exit ${code}, wall ${result.wallSeconds} s, CPU ${result.cpuSeconds.total} s (user ${userS} + sys ${sysS}), peak tree RSS ${result.peakTreeRssMiB} MiB → ${out}`,
);
for (const f of files.slice(0, 15)) console.log(`  ${f.seconds.toFixed(1).padStart(7)} s  ${f.file}`);
process.exitCode = code;
