import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../../src/onnx/dtype.js';
import { readModel } from '../../src/onnx/read-model.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { readPassRecords } from '../../src/quantize/common.js';
import { randomFeeds, runModel } from '../../src/quantize/execute.js';
import { compareArrays } from '../../src/quantize/metrics.js';
import { diagnoseCuda } from '../../src/runtime/index.js';
import { runCli } from '../helpers/capture.js';
import { chainModel, convNet } from './models.js';

describe('workbench optimize', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wb-opt-'));
  const src = join(dir, 'conv.onnx');
  writeModel(convNet(), src);

  it('--fp16 --keep-io-types prints a summary and writes a model that records its passes', async () => {
    const dst = join(dir, 'conv-fp16.onnx');
    const r = await runCli(['optimize', src, '-o', dst, '--fp16', '--keep-io-types']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/passes: fp16/);
    expect(r.stdout).toMatch(/Casts inserted 2/);
    expect(r.stdout).toMatch(/size: .* MiB → .* MiB/);
    expect(r.stdout).toMatch(/time: /);
    const m = readModel(dst).model;
    expect(readPassRecords(m)[0]).toMatchObject({ pass: 'fp16', options: { keepIoTypes: true } });
    expect(m.graph.inputs[0]?.tensorType?.elemType).toBe(DataType.FLOAT);
    const feeds = randomFeeds(m, 1);
    const a = await runModel(readModel(src).model, feeds);
    const b = await runModel(m, feeds);
    expect(compareArrays(a[0]?.y as Float32Array, b[0]?.y as Float32Array).relL2).toBeLessThan(1e-2);
  });

  it('--int8 dynamic --target-ep cuda --int8-format qoperator warns about CPU fallback', async () => {
    const r = await runCli(['optimize', src, '-o', join(dir, 'q.onnx'), '--int8', 'dynamic', '--int8-format', 'qoperator']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no-kernel-on-target/);
  });

  it('--int8 static --calib <dir> with .json samples, and --resolution, --json', async () => {
    const calib = join(dir, 'calib');
    mkdirSync(calib);
    for (const [i, f] of randomFeeds(convNet(), 2).entries()) {
      const x = f.x;
      writeFileSync(join(calib, `s${i}.json`), JSON.stringify({ x: { dims: x?.dims, data: [...(x?.data as Float32Array)] } }));
    }
    const r = await runCli([
      'optimize',
      src,
      '-o',
      join(dir, 's.onnx'),
      '--int8',
      'static',
      '--calib',
      calib,
      '--calib-method',
      'percentile',
      '--target-ep',
      'cpu',
      '--report',
      join(dir, 'rep.json'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(readFileSync(join(dir, 'rep.json'), 'utf8')) as { reports: { pass: string; stats: Record<string, number> }[] };
    expect(rep.reports[0]?.stats.activationsQuantized).toBe(4);
    const j = await runCli(['optimize', src, '-o', join(dir, 'r.onnx'), '--resolution', '8', '--fp16', '--json']);
    const s = JSON.parse(j.stdout) as { passes: string[] };
    expect(s.passes).toEqual(['resolution', 'fp16']);
    expect(readModel(join(dir, 'r.onnx')).model.graph.outputs[0]?.tensorType?.shape).toEqual([1, 3, 8, 8]);
  });

  it('checks placement after the rewrite: skipped in one line without CUDA, clean for a CPU target, in --json', async () => {
    const dst = join(dir, 'place.onnx');
    const r = await runCli(['optimize', src, '-o', dst, '--fp16', '--keep-io-types', '--target-ep', 'cuda']);
    expect(r.code).toBe(0);
    if (diagnoseCuda()) {
      expect(r.stdout.match(/placement check skipped: no CUDA EP available: .*/g)).toHaveLength(1);
    }
    const c = await runCli(['optimize', src, '-o', dst, '--fp16', '--target-ep', 'cpu']);
    expect(c.stdout).toMatch(/^  placement after fp16: clean \(CPU target\)$/m);
    expect(c.stdout).not.toMatch(/skipped/);
    const j = await runCli(['optimize', src, '-o', dst, '--fp16', '--target-ep', 'cpu', '--json']);
    expect((JSON.parse(j.stdout) as { placement: unknown[] }).placement).toEqual([
      { pass: 'fp16', target: 'cpu', status: 'clean', reason: 'CPU target: every node runs on the CPU EP', nodes: 0, offEp: [] },
    ]);
    const off = await runCli(['optimize', src, '-o', dst, '--fp16', '--no-placement-check']);
    expect(off.stdout).not.toMatch(/placement/);
  });

  it('--wo 4 and --mixed auto; usage errors exit 2', async () => {
    const chain = join(dir, 'chain.onnx');
    writeModel(chainModel(), chain);
    const r = await runCli(['optimize', chain, '-o', join(dir, 'm.onnx'), '--mixed', 'auto', '--max-error', '0.01', '--keep-io-types']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/mixed: .*rel L2/);
    const bad = await runCli(['optimize', chain, '-o', join(dir, 'x.onnx')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no pass given/);
    const wo = await runCli(['optimize', chain, '-o', join(dir, 'w.onnx'), '--wo', '4']);
    expect(wo.code).toBe(0);
    expect(wo.stdout).toMatch(/nothing-quantized/);
  });
});
