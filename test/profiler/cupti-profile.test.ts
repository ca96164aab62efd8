/**
 * `profileTarget --ep cuda --gpu-time cupti|auto` wired end to end on the CPU machine: the CUDA check is
 * mocked and the passes run in a fake worker (launch override) that writes what a CUDA node pass would (the
 * synthetic ORT trace, clock marks, and the CUPTI capture at $WB_CUPTI_OUT), so everything after the child
 * (reading the capture, alignment, rows, coverage, method, console) is the real code.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { RuntimeError, UsageError } from '../../src/errors.js';
import { profileTarget } from '../../src/profiler/profile.js';
import { renderProfileConsole } from '../../src/profiler/render-console.js';
import { synthetic } from './cupti-synthetic.js';
import { tempDir, writeConvModel } from './helpers.js';

vi.mock('../../src/runtime/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/runtime/index.js')>();
  return { ...real, diagnoseCuda: () => undefined };
});

/** A worker that writes the synthetic pass. `capture`: what lands at $WB_CUPTI_OUT (null: nothing). */
function fakeWorker(dir: string, capture: string | null): string {
  const s = synthetic();
  writeFileSync(join(dir, 'trace.json'), s.traceText);
  writeFileSync(join(dir, 'marks.json'), JSON.stringify(s.marks));
  if (capture !== null) writeFileSync(join(dir, 'capture.jsonl'), capture);
  const script = join(dir, 'fake-worker.mjs');
  writeFileSync(
    script,
    `import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
const dir = ${JSON.stringify(dir)};
const jobFile = process.argv[2];
const job = JSON.parse(readFileSync(jobFile, 'utf8'));
const env = {};
for (const k of ['CUDA_LAUNCH_BLOCKING', 'CUDA_INJECTION64_PATH', 'WB_CUPTI_OUT']) if (process.env[k] !== undefined) env[k] = process.env[k];
const r = { kind: job.kind, pid: process.pid, timesMs: new Array(job.warmup + job.runs).fill(0.15), warmup: job.warmup, sessionCreateMs: 1,
  host: { maxRssBytes: 1, rssBytes: 1, heapUsedBytes: 1, externalBytes: 1 }, env };
if (job.kind === 'nodes') {
  r.traceFile = job.traceDir + '/ort-trace-' + process.pid + '.json';
  copyFileSync(dir + '/trace.json', r.traceFile);
  r.clockMarks = JSON.parse(readFileSync(dir + '/marks.json', 'utf8'));
  if (process.env.WB_CUPTI_OUT && existsSync(dir + '/capture.jsonl')) copyFileSync(dir + '/capture.jsonl', process.env.WB_CUPTI_OUT);
}
writeFileSync(jobFile.replace(/\\.json$/, '') + '.result.json', JSON.stringify(r));
`,
  );
  return script;
}

describe('profile --ep cuda --gpu-time cupti (fake CUDA worker)', () => {
  it('reads the capture after the child exits and fills rows, coverage, method and console from GPU time', async () => {
    const dir = tempDir('cuptiprof');
    try {
      const lib = join(dir, 'libcupti_trace.so');
      writeFileSync(lib, '');
      const script = fakeWorker(dir, synthetic().captureText);
      const keep = join(dir, 'kept');
      mkdirSync(keep);
      const r = await profileTarget({
        target: writeConvModel(dir, 8),
        ep: 'cuda',
        runs: 3,
        warmup: 1,
        gpuTime: 'cupti',
        cuptiLibrary: lib,
        keepTraceDir: keep,
        launch: { command: process.execPath, args: [script] },
      });
      const role = r.roles[0]!;
      expect(role.method).toMatchObject({
        nodeTime: 'cupti',
        gpuTimeSource: 'cupti-injection',
        cuptiLibrary: lib,
        requestedGpuTime: 'cupti',
        launchBlocking: false,
        countedRuns: 3,
        warmupRuns: 1,
      });
      expect(role.method.description).toMatch(/injection library/);
      const row = (n: string) => role.nodes.find((x) => x.name === n)!;
      expect(row('conv').time.median).toBeCloseTo(0.09, 9);
      expect(row('conv').hostTime?.median).toBeCloseTo(0.03, 9);
      expect(row('conv').contribution?.median).toBeCloseTo(0.09, 9);
      expect(row('conv').kernelsPerRun).toBe(2);
      expect(row('conv').gpuKernels?.map((k) => k.name)).toEqual(['void conv_a<float>(float const*)', 'conv_b']);
      expect(row('small').time.median).toBeCloseTo(0.003, 9);
      expect(row('small').copiesPerRun).toBe(1); // the memset
      expect(row('small').contribution?.median).toBeCloseTo(0.006, 9);
      expect(row('cpu_node').time.median).toBeCloseTo(0.025, 9);
      expect(row('to_host').time.median).toBeCloseTo(0.006, 9);
      expect(role.nodes[0]?.name).toBe('conv'); // sorted by GPU time
      expect(role.coverage.sumOf).toBe('contribution');
      expect(role.coverage.perNodeSumMs).toBeCloseTo(0.129, 9);
      expect(role.coverage.endToEndMs).toBeCloseTo(0.15, 9);
      expect(role.coverage.ratio).toBeCloseTo(0.129 / 0.15, 9);
      expect(role.coverage.cupti?.gpuBusyMs).toBeCloseTo(0.109, 9);
      expect(role.coverage.cupti?.bound).toBe('gpu-bound');
      expect(role.coverage.note).toMatch(/max\(host launch time, GPU time\)/);
      // This tiny pass has equally good alternative offsets (short back-to-back nodes); the widest plateau is right.
      expect(role.warnings.filter((w) => /CUPTI/.test(w))).toEqual([expect.stringMatching(/equally good clock offsets; the widest was used/)]);
      const text = renderProfileConsole(r);
      expect(text).toMatch(/method: cupti via CUPTI injection \(libcupti_trace\.so\)/);
      expect(text).toMatch(/GPU \(CUPTI\): node GPU sum 0\.0990 ms vs GPU busy 0\.1090 ms/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('auto without a library, or with an unusable capture, falls back to sync-launch and says why', async () => {
    const dir = tempDir('cuptifb');
    const saved = process.env.WB_CUPTI_LIB;
    try {
      const model = writeConvModel(dir, 8);
      const bad = fakeWorker(
        dir,
        '{"t":"hdr","format":"wb-cupti","version":1,"base":"1"}\n{"t":"clock","at":"init","cupti":"1","mono":"1"}\n{"t":"error","what":"cuptiActivityEnable(CONCURRENT_KERNEL)","msg":"CUPTI_ERROR_INSUFFICIENT_PRIVILEGES"}\n',
      );
      const lib = join(dir, 'libcupti_trace.so');
      writeFileSync(lib, '');
      const base = { target: model, ep: 'cuda' as const, runs: 3, warmup: 1, launch: { command: process.execPath, args: [bad] } };
      const r = await profileTarget({ ...base, gpuTime: 'auto', cuptiLibrary: lib });
      const m = r.roles[0]!.method;
      expect(m.nodeTime).toBe('sync-launch');
      expect(m.launchBlocking).toBe(true);
      expect(m.fallback).toMatch(/INSUFFICIENT_PRIVILEGES.*reran the node pass with sync-launch/);
      // Asked for explicitly: an error instead.
      await expect(profileTarget({ ...base, gpuTime: 'cupti', cuptiLibrary: lib })).rejects.toThrow(RuntimeError);
      // No library anywhere.
      process.env.WB_CUPTI_LIB = join(dir, 'missing.so');
      const r2 = await profileTarget({ ...base, gpuTime: 'auto' });
      expect(r2.roles[0]!.method.fallback).toMatch(/WB_CUPTI_LIB=.*missing\.so is not a file/);
      await expect(profileTarget({ ...base, gpuTime: 'cupti' })).rejects.toThrow(UsageError);
      // sync-launch asked for: no lookup, no fallback note.
      const r3 = await profileTarget({ ...base, gpuTime: 'sync-launch' });
      expect(r3.roles[0]!.method).toMatchObject({ nodeTime: 'sync-launch', requestedGpuTime: 'sync-launch' });
      expect(r3.roles[0]!.method.fallback).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.WB_CUPTI_LIB;
      else process.env.WB_CUPTI_LIB = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
