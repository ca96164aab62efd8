import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { encodeModel } from '../../src/onnx/proto/encode.js';
import { Node, Value } from '../../src/onnx/types.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { runCli } from '../helpers/capture.js';

let dir: string;
let good: string;

function tinyModel(opts: { irVersion?: number; opset?: number } = {}) {
  const b = new GraphBuilder('m', { seed: 1, irVersion: opts.irVersion ?? 8, opset: opts.opset ?? 17 });
  const x = b.input('x', DataType.FLOAT, [1, 4]);
  const w = b.weight('w', [4, 4]);
  b.output(b.op('MatMul', [x, w]), 'y', [1, 4]);
  return b.finish();
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wb-bad-'));
  good = join(dir, 'good.onnx');
  writeModel(tinyModel(), good);
});

async function expectError(file: string, pattern: RegExp): Promise<void> {
  const before = sha(file);
  const outFile = join(dir, `out-${Math.random().toString(36).slice(2)}.onnx`);
  for (const args of [
    ['inspect', file],
    ['convert', file, '-o', outFile],
  ]) {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1); // one line, no stack trace
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toMatch(pattern);
  }
  expect(existsSync(outFile)).toBe(false); // no output written
  expect(readdirSync(dir).some((f) => f.includes('.tmp-'))).toBe(false); // no temp files left
  expect(sha(file)).toBe(before); // input untouched
}

describe('bad input: one clear line, exit 2, no output, input unmodified', () => {
  it('a truncated file', async () => {
    const f = join(dir, 'truncated.onnx');
    const bytes = readFileSync(good);
    writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expectError(f, /truncated\.onnx: .*(truncated|corrupt|runs past)/);
  });

  it('a corrupt file (random bytes)', async () => {
    const f = join(dir, 'corrupt.onnx');
    const rnd = Buffer.alloc(4096);
    for (let i = 0; i < rnd.length; i++) rnd[i] = (i * 2654435761) >>> 24;
    writeFileSync(f, rnd);
    await expectError(f, /corrupt\.onnx: /);
  });

  it('a file that is not ONNX', async () => {
    const f = join(dir, 'notes.onnx');
    writeFileSync(f, JSON.stringify({ hello: 'world', this: ['is', 'json'] }));
    await expectError(f, /notes\.onnx: /);
  });

  it('an empty file and a missing file', async () => {
    const f = join(dir, 'empty.onnx');
    writeFileSync(f, '');
    await expectError(f, /empty\.onnx: file: empty file/);
    const r = await runCli(['inspect', join(dir, 'nope.onnx')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.onnx: file: no such file/);
  });

  it('an IR version newer than ONNX Runtime 1.29 accepts', async () => {
    const f = join(dir, 'ir14.onnx');
    writeFileSync(f, encodeModel(tinyModel({ irVersion: 14 })).finish());
    await expectError(f, /ir14\.onnx: ir_version: IR version 14 is newer than ONNX Runtime 1\.29 accepts \(at most 13\)/);
  });

  it('an opset newer than ONNX Runtime 1.29 implements', async () => {
    const f = join(dir, 'opset99.onnx');
    writeFileSync(f, encodeModel(tinyModel({ opset: 99 })).finish());
    await expectError(f, /opset99\.onnx: opset_import: default-domain opset 99/);
  });

  it('a missing external-data file', async () => {
    const sub = mkdtempSync(join(dir, 'ext-'));
    const f = join(sub, 'ext.onnx');
    writeModel(tinyModel(), f, { externalDataThreshold: 16 });
    const moved = join(dir, 'moved.onnx');
    copyFileSync(f, moved); // the .data file stays behind
    await expectError(moved, /moved\.onnx: tensor 'w'\.external_data: external data file 'ext\.onnx\.data' not found/);
  });

  it('a graph that breaks an invariant names the node', async () => {
    const m = tinyModel();
    const ghost = new Value('ghost');
    const n = new Node('Relu', 'broken_relu', [ghost], []);
    const o = new Value('r');
    o.producer = n;
    n.outputs = [o];
    m.graph.nodes.push(n);
    const f = join(dir, 'dangling.onnx');
    writeFileSync(f, encodeModel(m).finish());
    await expectError(f, /dangling\.onnx, graph 'm': node 'broken_relu': input 'ghost' is not produced by any node/);
  });

  it('--verbose adds the stack', async () => {
    const f = join(dir, 'v.onnx');
    writeFileSync(f, 'not a model at all, just some text that is long enough');
    const r = await runCli(['inspect', f, '--verbose']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').length).toBeGreaterThan(3);
  });
});

describe('the version limits match ONNX Runtime 1.29', () => {
  it('ORT loads MAX_DEFAULT_OPSET and refuses the next opset', async () => {
    const { MAX_DEFAULT_OPSET, MAX_IR_VERSION } = await import('../../src/onnx/read-model.js');
    const { createSession } = await import('../../src/runtime/index.js');
    const { serializeModel } = await import('../../src/onnx/write-model.js');
    const at = (opset: number) => serializeModel(tinyModel({ opset, irVersion: MAX_IR_VERSION }));
    const s = await createSession(at(MAX_DEFAULT_OPSET), { ep: 'cpu' });
    await s.release();
    await expect(createSession(at(MAX_DEFAULT_OPSET + 1), { ep: 'cpu' })).rejects.toThrow(/could not load/);
    await expect(createSession(serializeModel(tinyModel({ irVersion: MAX_IR_VERSION + 1 })), { ep: 'cpu' })).rejects.toThrow(/could not load/);
  });
});
