/**
 * Calibration from the pipeline: the sweep's baseline run records the inputs of roles that a variant
 * calibrates (static INT8 here), and the variant's pass uses them (real driver, tiny reference models).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReferenceSet } from '../../src/models/build.js';
import { readModel } from '../../src/onnx/read-model.js';
import { loadCalibrationDir } from '../../src/quantize/calibrate.js';
import { calibrationEvery, rolesToCalibrate } from '../../src/sweep/calibration-roles.js';
import { buildSweepReport } from '../../src/report/build-sweep-report.js';
import { createPipelineDriver } from '../../src/sweep/pipeline-driver.js';
import { readRunPreview } from '../../src/sweep/run-preview.js';
import { runSweep } from '../../src/sweep/run-sweep.js';
import { expandVariants } from '../../src/sweep/spec.js';
import type { SweepSpec } from '../../src/sweep/types.js';

let dir: string;
let manifest: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wb-calib-'));
  manifest = buildReferenceSet({ scale: 'tiny', seed: 1, outDir: join(dir, 'ref') }).manifestPath;
});

describe('calibration recorded by the baseline run', () => {
  it('lists the roles whose passes calibrate', () => {
    const spec: SweepSpec = {
      schemaVersion: 1,
      name: 'x',
      variants: [
        { precision: { decoder: 'int8-static', hubert: 'int8-dynamic' } },
        { passes: { lmdm: [{ pass: 'mixed', budget: 0.01 }] } },
        { precision: { warp_network: 'fp16' } },
      ],
    };
    expect(rolesToCalibrate(expandVariants(spec))).toEqual(['lmdm', 'decoder']);
    expect(calibrationEvery(50)).toBe(5);
    expect(calibrationEvery(2)).toBe(1);
  });

  it('a static INT8 decoder variant calibrates on the decoder inputs the baseline run recorded', async () => {
    const out = join(dir, 'sweep');
    const spec: SweepSpec = {
      schemaVersion: 1,
      name: 'calib',
      manifest,
      steps: 2,
      text: 'Hi there.',
      variants: [{ name: 'dec-int8s', precision: { decoder: 'int8-static' } }],
    };
    const r = await runSweep(spec, { out, ep: 'cpu', driver: createPipelineDriver(), cacheDir: join(dir, 'cache'), log: () => undefined });
    const [base, variant] = r.results;
    expect(base?.status).toBe('ok');
    const calib = join(base?.metrics?.runDir ?? '', 'calib', 'decoder');
    const samples = readdirSync(calib).filter((f) => f.endsWith('.json'));
    expect(samples.length).toBeGreaterThan(0);
    // Only roles some variant calibrates are recorded.
    expect(existsSync(join(base?.metrics?.runDir ?? '', 'calib', 'lmdm'))).toBe(false);
    // The samples load against the decoder and have its input shapes.
    const dec = readModel(join(dir, 'ref', 'ditto', 'decoder.onnx')).model;
    const src = loadCalibrationDir(calib, dec);
    const first = src.get(0);
    const input = dec.graph.inputs.find((v) => !v.initializer);
    expect(Object.keys(first)).toEqual([input?.name]);
    expect(variant?.status, variant?.error).toBe('ok');
    // The variant's decoder is the static form: QuantizeLinear on activations, from 'samples' of the run.
    const vm = JSON.parse(readFileSync(variant?.manifest ?? '', 'utf8')) as { roles: { decoder: { file: string } } };
    const q = readModel(join(variant?.manifest ?? '', '..', vm.roles.decoder.file)).model;
    expect(q.graph.nodes.some((n) => n.opType === 'QuantizeLinear')).toBe(true);
    const records = q.metadataProps.find((p) => p.key === 'workbench.passes')?.value ?? '';
    expect(records).toMatch(/int8-static/);
    // The real driver keeps a preview beside each run, and the report embeds it (issue 14 finding 3).
    expect(readRunPreview(base?.metrics?.runDir ?? '')?.frames).toHaveLength(3);
    const media = buildSweepReport(r.results).details.find((d) => d.id === variant?.id)?.media;
    expect(media?.frames.map((f) => Boolean(f.diff))).toEqual([true, true, true]);
    expect(media?.audio?.src).toMatch(/^data:audio\/wav;base64,/);
  }, 120_000);
});
