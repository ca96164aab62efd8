/**
 * One output guard for every command that writes a model: the output (or its `.data`, or a report) may
 * never be one of the files read, however the path is spelled.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { runCli } from '../helpers/capture.js';

let dir: string;
let model: string;
let ext: string;
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wb-guard-'));
  const b = new GraphBuilder('m', { seed: 1, irVersion: 8, opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 8]);
  const w = b.weight('w', [8, 8]);
  b.output(b.op('MatMul', [x, w]), 'y', [1, 8]);
  const m = b.finish();
  model = join(dir, 'a.onnx');
  writeModel(m, model);
  mkdirSync(join(dir, 'ext'));
  ext = join(dir, 'ext', 'e.onnx');
  writeModel(m, ext, { externalDataThreshold: 16 }); // e.onnx + e.onnx.data
  symlinkSync(model, join(dir, 'link.onnx'));
  symlinkSync(join(dir, 'ext'), join(dir, 'extlink'));
});

const writers = (input: string, output: string): string[][] => [
  ['convert', input, '-o', output],
  ['optimize', input, '-o', output, '--fp16'],
];

async function expectRefused(input: string, output: string, extra: string[] = []): Promise<void> {
  const inputs = [input, `${input}.data`].filter(existsSync);
  const before = inputs.map(sha);
  const listing = readdirSync(dir, { recursive: true }).sort();
  for (const args of writers(input, output)) {
    const r = await runCli([...args, ...extra]);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/refusing to overwrite the input/);
  }
  expect(inputs.map(sha)).toEqual(before);
  expect(readdirSync(dir, { recursive: true }).sort()).toEqual(listing); // nothing written, no temp files
}

describe('output guard (convert and optimize alike)', () => {
  it('the same path', async () => expectRefused(model, model));
  it('a ./ form and an absolute path of a relative input', async () => {
    const rel = relative(process.cwd(), model);
    await expectRefused(rel, `./${rel}`);
    await expectRefused(`./${rel}`, model);
  });
  it('a symlink to the input, either way round, and a path through a linked folder', async () => {
    await expectRefused(model, join(dir, 'link.onnx'));
    await expectRefused(join(dir, 'link.onnx'), model);
    await expectRefused(ext, join(dir, 'extlink', 'e.onnx'));
  });
  it("the input's external-data file, as the output or as the output's own .data", async () => {
    await expectRefused(ext, join(dir, 'ext', 'e.onnx.data'));
    // Writing x.onnx writes (or removes a stale) x.onnx.data: here that is the input's data file.
    await expectRefused(join(dir, 'ext', 'e.onnx.data'), join(dir, 'ext', 'e.onnx'));
  });
  it("optimize's --report may not be the input either", async () => {
    const before = sha(model);
    const r = await runCli(['optimize', model, '-o', join(dir, 'fresh.onnx'), '--fp16', '--report', model]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a\.onnx: refusing to overwrite the input \(--report is the same file\)/);
    expect(sha(model)).toBe(before);
    expect(existsSync(join(dir, 'fresh.onnx'))).toBe(false);
  });
  it("models variant: the variant's manifest may not replace its base manifest", async () => {
    const { tinyManifest } = await import('../runner/tiny-set.js');
    const out = join(dir, 'variants');
    const first = await runCli(['models', 'variant', '--manifest', await tinyManifest(), '--precision', 'decoder=fp16', '--ep', 'cpu', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    const written = /^(\S+manifest\.json): /.exec(first.stdout)?.[1];
    if (!written) throw new Error(`no manifest path in: ${first.stdout}`);
    const before = sha(written);
    const again = await runCli(['models', 'variant', '--manifest', written, '--precision', 'decoder=fp16', '--ep', 'cpu', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/refusing to overwrite the input .*the variant's manifest is the same file/);
    expect(sha(written)).toBe(before);
  });
  it('a different output is written', async () => {
    const r = await runCli(['optimize', join(dir, 'link.onnx'), '-o', join(dir, 'b.onnx'), '--fp16']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'b.onnx'))).toBe(true);
  });
});
