import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { writeModel } from '../../src/onnx/write-model.js';

// The real CLI (dist/, built by `npm install`) under clinic flame, as a user runs it.
describe.skipIf(!existsSync('dist/cli/main.js'))('workbench profile --host', () => {
  it('writes a clinic flame graph of the JavaScript side', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-host-'));
    const b = new GraphBuilder('m', { seed: 2 });
    const x = b.input('x', DataType.FLOAT, [1, 64]);
    b.output(b.op('Relu', [b.op('MatMul', [x, b.weight('w', [64, 64])])]), 'y');
    const model = join(dir, 'm.onnx');
    writeModel(b.finish(), model);
    const r = spawnSync(process.execPath, ['bin/workbench.js', 'profile', model, '--host', '--runs', '3', '--out', join(dir, 'out'), '--no-html'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const m = /flame graph: (\S+\.html)/.exec(r.stdout + r.stderr);
    expect(m).not.toBeNull();
    expect(existsSync(m?.[1] ?? '')).toBe(true);
    expect(existsSync(join(dir, 'out', 'profile.json'))).toBe(true);
  });
});
