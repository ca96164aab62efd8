import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../../src/errors.js';
import { profileTarget } from '../../src/profiler/profile.js';
import { runPassInChild } from '../../src/profiler/worker.js';
import { tempDir, writeConvModel } from './helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));

describe('passes in a child process (the CUDA path, exercised on the CPU)', () => {
  it('runs both passes through a bundled worker and records the child environment', async () => {
    const dir = tempDir('worker');
    try {
      // Bundle like the lead's single-file CLI: onnxruntime-node stays external (resolved from the repo).
      const bundle = join(here, '..', '..', 'node_modules', '.cache', `wb-profile-worker-${process.pid}.mjs`);
      await build({
        entryPoints: [join(here, 'worker-entry.fixture.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        external: ['onnxruntime-node'],
        outfile: bundle,
        logLevel: 'error',
      });
      const model = writeConvModel(dir, 16);
      const r = await profileTarget({
        target: model,
        ep: 'cpu',
        runs: 3,
        warmup: 1,
        childProcess: 'always',
        launch: { command: process.execPath, args: [bundle] },
      });
      const role = r.roles[0]!;
      expect(role.method.childProcess).toBe(true);
      expect(role.method.nodeTime).toBe('host');
      expect(role.method.launchBlocking).toBe(false);
      // Default optimization level: ORT's NCHWc transformer renames the convs (Relu fused in) and adds
      // ReorderInput/ReorderOutput; the convs map back to their model nodes (trace-names.ts), marked fused;
      // the reorders, ORT's own, stay trace-only without a warning.
      const convs = role.nodes.filter((n) => n.opType === 'Conv');
      expect(convs).toHaveLength(3);
      expect(convs.every((n) => n.fused && n.costSource === 'graph' && n.macs === 16 * 16 * 16 * 16 * 9)).toBe(true);
      expect(role.nodes.filter((n) => n.costSource === 'trace-only').every((n) => /^Reorder(Input|Output)$/.test(n.opType))).toBe(true);
      expect(role.warnings.some((w) => /costed from the trace alone/.test(w))).toBe(false);
      expect(role.endToEnd.time.n).toBe(3);
      expect(role.endToEnd.description).toContain('child process');
      rmSync(bundle, { force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns a failing child into a RuntimeError naming the model and pass', async () => {
    const job = { kind: 'e2e' as const, modelPath: '/nonexistent.onnx', config: { ep: 'cpu' as const }, plan: [], warmup: 0, runs: 1 };
    await expect(runPassInChild(job, { launch: { command: process.execPath, args: ['-e', 'process.exit(3)'] } })).rejects.toThrow(RuntimeError);
    await expect(runPassInChild(job, { launch: { command: process.execPath, args: ['-e', 'process.exit(3)'] } })).rejects.toThrow(
      /nonexistent\.onnx: the e2e pass in a child process failed \(exit 3\)/,
    );
  });
});
