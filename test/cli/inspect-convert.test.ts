import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InspectReport } from '../../src/analysis/inspect.js';
import { readModel } from '../../src/onnx/read-model.js';
import { availableRealModels } from '../helpers/real-models.js';
import { runCli } from '../helpers/capture.js';

describe('workbench inspect / convert', () => {
  it('--help lists the subcommands', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
  });

  for (const m of availableRealModels()) {
    it(`inspects ${m.name}`, async () => {
      const r = await runCli(['inspect', m.path, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const rep = JSON.parse(r.stdout) as InspectReport;
      const model = readModel(m.path).model;
      expect(rep.inputs.map((i) => i.name)).toEqual(model.graph.inputs.filter((v) => !v.initializer).map((v) => v.name));
      expect(rep.outputs.map((o) => o.name)).toEqual(model.graph.outputs.map((v) => v.name));
      expect(rep.opTypes.reduce((a, o) => a + o.count, 0)).toBe(rep.nodes);
      expect(rep.subgraphs > 0).toBe(m.subgraphs);
      const text = await runCli(['inspect', m.path]);
      expect(text.stdout).toContain('op types:');
      expect(text.stdout).toContain(rep.inputs[0]?.name ?? '');
    });
  }

  it('convert moves weights out to external data and back in', async () => {
    const m = availableRealModels().find((x) => x.name === 'ppocr-mobile-cls') ?? availableRealModels()[0];
    if (!m) throw new Error('no real model installed');
    const dir = mkdtempSync(join(tmpdir(), 'wb-conv-'));
    const ext = join(dir, 'ext.onnx');
    const r1 = await runCli(['convert', m.path, '-o', ext, '--external-data', '--threshold', '1k']);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stdout).toMatch(/ext\.onnx\.data/);
    expect(statSync(ext).size).toBeLessThan(statSync(m.path).size / 2);
    const ins = JSON.parse((await runCli(['inspect', ext, '--json'])).stdout) as InspectReport;
    expect(ins.externalData[0]?.location).toBe('ext.onnx.data');
    const back = join(dir, 'back.onnx');
    const r2 = await runCli(['convert', ext, '-o', back]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(Buffer.compare(readFileSync(back), readFileSync(m.path))).toBe(0);
  });

  it('refuses to overwrite its input', async () => {
    const m = availableRealModels()[0];
    if (!m) throw new Error('no real model installed');
    const dir = mkdtempSync(join(tmpdir(), 'wb-conv-'));
    const f = join(dir, 'a.onnx');
    await runCli(['convert', m.path, '-o', f]);
    const r = await runCli(['convert', f, '-o', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to overwrite the input/);
  });
});
