/**
 * Usage errors exit 2 with one line (exit 1 means only "a threshold failed", which CI reads as a
 * regression), and what goes wrong names the file, the tensor or the nearest command.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { encodeModel } from '../../src/onnx/proto/encode.js';
import { readModel } from '../../src/onnx/read-model.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { runCli } from '../helpers/capture.js';

let dir: string;
let model: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wb-exit-'));
  model = join(dir, 'm.onnx');
  const b = new GraphBuilder('m', { seed: 1, irVersion: 8, opset: 17 });
  const x = b.input('x', DataType.FLOAT, [1, 4]);
  const w = b.weight('w', [4, 4]);
  b.output(b.op('MatMul', [x, w]), 'y', [1, 4]);
  writeModel(b.finish(), model);
});

async function expectUsageError(args: string[], pattern: RegExp): Promise<void> {
  const r = await runCli(args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.internalError).toBeUndefined();
}

describe('usage errors: exit 2, one line', () => {
  it('an invalid choice', async () => {
    await expectUsageError(['optimize', model, '--int8', 'bogus', '-o', join(dir, 'o.onnx')], /--int8 <mode>.*'bogus'.*dynamic, static/);
  });
  it('an unknown option', async () => {
    await expectUsageError(['inspect', model, '--bogus'], /unknown option '--bogus'/);
  });
  it('a missing -o', async () => {
    await expectUsageError(['convert', model], /required option '-o, --out <file>'/);
  });
  it('gate --ep tpu and gate without --baseline are not "threshold failed"', async () => {
    await expectUsageError(['gate', '--baseline', 'b', '--candidate', 'c', '--ep', 'tpu'], /--ep <ep>.*'tpu'/);
    await expectUsageError(['gate', '--candidate', 'c'], /required option '--baseline <path>'/);
  });
  it('run --shape-sessions names the role or the malformed item', async () => {
    await expectUsageError(['run', '--shape-sessions', 'hifigan=0'], /--shape-sessions: hifigan: expected an integer >= 1/);
    await expectUsageError(['run', '--shape-sessions', 'vocoder=2'], /--shape-sessions: vocoder: unknown role/);
    await expectUsageError(['run', '--shape-sessions', 'hifigan'], /--shape-sessions: expected ROLE=N/);
  });
  it('an unknown command names the nearest one instead of printing the help', async () => {
    await expectUsageError(['inspektor', model], /unknown command 'inspektor' \(did you mean 'inspect'\?\)/);
    await expectUsageError(['models', 'buidl'], /unknown command 'buidl' \(did you mean 'build'\?\)/);
  });
  it('a directory given as a model is named', async () => {
    const d = join(dir, 'a-folder.onnx');
    mkdirSync(d, { recursive: true });
    await expectUsageError(['inspect', d], /a-folder\.onnx: file: is a directory/);
    await expectUsageError(['convert', d, '-o', join(dir, 'x.onnx')], /a-folder\.onnx: file: is a directory/);
  });
  it('a tensor whose dims were set to 2^40 is named with its size, not blamed on corruption', async () => {
    const m = readModel(model).model;
    const w = m.graph.initializers.find((v) => v.name === 'w')?.initializer;
    if (!w) throw new Error('no initializer w');
    w.dims = [2 ** 40, 4];
    const f = join(dir, 'huge-dims.onnx');
    writeFileSync(f, encodeModel(m).finish());
    for (const args of [
      ['inspect', f],
      ['convert', f, '-o', join(dir, 'h2.onnx')],
      ['optimize', f, '-o', join(dir, 'h3.onnx'), '--fp16'],
    ])
      await expectUsageError(
        args,
        /huge-dims\.onnx: tensor 'w': dims \[1099511627776, 4\] make 4398046511104 float32 elements \(16\.0 TiB\), but the file holds 64 bytes of data for it$/,
      );
  });
  it('an external-data offset that is not a number is named (found by the fuzz target)', async () => {
    const sub = mkdtempSync(join(dir, 'ext-'));
    const f = join(sub, 'e.onnx');
    writeModel(readModel(model).model, f, { externalDataThreshold: 16 });
    // The first tensor's entry {key: 'offset', value: '0'}: make the value 'x' (same length, framing intact).
    const bytes = readFileSync(f);
    const at = bytes.indexOf(Buffer.from('offset\x12\x010', 'latin1'));
    expect(at).toBeGreaterThan(0);
    bytes[at + 8] = 'x'.charCodeAt(0);
    writeFileSync(f, bytes);
    await expectUsageError(['convert', f, '-o', join(sub, 'o.onnx')], /e\.onnx: tensor 'w'\.external_data\.offset: 'x' is not a byte count$/);
  });
  it('--help prints through the captured output (not in the middle of the test run)', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: workbench/);
    const h = await runCli(['help', 'inspect']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^Usage: workbench inspect/);
    // A command that needs a subcommand, given none: its help on stderr, exit 2.
    const m = await runCli(['models']);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/^Usage: workbench models/);
  });
});
