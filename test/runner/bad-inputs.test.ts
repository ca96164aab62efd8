import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, test, vi } from 'vitest';

// Any session creation in this file is a failure: every bad input must be rejected before models load.
const created = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/runtime/index.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src/runtime/index.js')>();
  return {
    ...orig,
    createSession: async () => {
      created.count++;
      throw new Error('createSession must not be called for bad input');
    },
  };
});

const { ManifestError, WorkbenchError } = await import('../../src/errors.js');
const { InputError } = await import('../../src/core/input-error.js');
const { runPipeline } = await import('../../src/runner/run-pipeline.js');
const { main } = await import('../../src/cli/main.js');
const { tinyManifest } = await import('./tiny-set.js');

const ROOT = join(tmpdir(), 'workbench-runner-tests', `bad-${process.pid}`);
let manifest = '';

function variantManifest(name: string, edit: (m: { roles: Record<string, { inputs: Record<string, { shape: (number | string)[] }> }> }) => void): string {
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as { roles: Record<string, { inputs: Record<string, { shape: (number | string)[] }> }> };
  edit(m);
  const f = join(dirname(manifest), `${name}-${process.pid}.json`);
  writeFileSync(f, JSON.stringify(m));
  return f;
}

beforeAll(async () => {
  mkdirSync(ROOT, { recursive: true });
  manifest = await tinyManifest();
});

describe('bad input fails with a named one-line error before any session exists', () => {
  const run = (o: Partial<Parameters<typeof runPipeline>[0]>): Promise<unknown> =>
    runPipeline({ manifest, text: 'Hello.', out: join(ROOT, 'out'), steps: 1, ...o });

  test('manifest missing a role', async () => {
    const m = variantManifest('missing-decoder', (x) => delete x.roles.decoder);
    await expect(run({ manifest: m })).rejects.toThrow(ManifestError);
    await expect(run({ manifest: m })).rejects.toThrow(/roles\.decoder: missing/);
  });
  test('manifest whose shapes do not match the pipeline config', async () => {
    const m = variantManifest('bad-shape', (x) => {
      const spec = x.roles.lmdm?.inputs.x;
      if (spec) spec.shape = [1, 80, 264];
    });
    await expect(run({ manifest: m })).rejects.toThrow(/roles\.lmdm\.inputs\.x\.shape\[2\]: is 264, the pipeline config needs 265/);
  });
  test('empty text', async () => {
    await expect(run({ text: '   ' })).rejects.toThrow(InputError);
    await expect(run({ text: '' })).rejects.toThrow(/--text: text: is empty/);
  });
  test('audio that is not RIFF/WAVE PCM, and a missing reference voice', async () => {
    const f = join(ROOT, 'not-audio.wav');
    writeFileSync(f, 'ID3 this is an mp3, honestly');
    const { text: _t, ...noText } = { text: undefined };
    await expect(runPipeline({ manifest, audio: f, out: join(ROOT, 'out'), ...noText })).rejects.toThrow(`${f}: header: not a RIFF/WAVE file`);
    await expect(run({ refVoice: join(ROOT, 'nope.wav') })).rejects.toThrow(/nope\.wav: file: cannot read: ENOENT/);
  });
  test('image that is not a PNG', async () => {
    const f = join(ROOT, 'face.jpg');
    writeFileSync(f, new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6]));
    await expect(run({ image: f })).rejects.toThrow(`${f}: signature: not a PNG file`);
  });
  test('the CLI prints one line and exits 2', async () => {
    const err: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      err.push(String(s));
      return true;
    });
    try {
      const code = await main(['node', 'workbench', 'run', '--manifest', manifest, '--text', '', '--out', join(ROOT, 'cli')]);
      expect(code).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(err.join('')).toBe('error: --text: text: is empty\n');
    expect(created.count).toBe(0);
    expect(new InputError('a', 'b', 'c')).toBeInstanceOf(WorkbenchError);
  });
});
