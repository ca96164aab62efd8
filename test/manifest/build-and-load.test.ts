import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { modelsCommand } from '../../src/cli/commands/models.js';
import { out } from '../../src/cli/state.js';
import { ManifestError } from '../../src/errors.js';
import { buildReferenceSet } from '../../src/models/build.js';
import { loadManifest } from '../../src/models/load-manifest.js';
import { ALL_ROLES, TINY_PIPELINE_CONFIG, type Manifest } from '../../src/models/manifest.js';

const dir = mkdtempSync(join(tmpdir(), 'wb-manifest-'));
let manifest: Manifest;

beforeAll(() => {
  manifest = buildReferenceSet({ scale: 'tiny', seed: 3, outDir: dir }).manifest;
});

/** Writes a modified copy of the built manifest next to it and returns its path. */
function variant(name: string, edit: (m: Manifest & Record<string, unknown>) => void): string {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest & Record<string, unknown>;
  edit(m);
  const p = join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify(m));
  return p;
}

function manifestError(path: string): ManifestError {
  try {
    loadManifest(path);
  } catch (e) {
    if (e instanceof ManifestError) return e;
    throw e;
  }
  throw new Error('expected a ManifestError');
}

describe('reference build and manifest', () => {
  it('writes every role with I/O, call rates, costs and hashes, and skips an up-to-date rebuild', () => {
    expect(Object.keys(manifest.roles).sort()).toEqual([...ALL_ROLES].sort());
    expect(manifest.config).toEqual(TINY_PIPELINE_CONFIG);
    expect(manifest.buildKey).toMatch(/^[0-9a-f]{32}$/);
    const dec = manifest.roles.gpt_decode;
    expect(dec?.file).toBe('xtts/gpt_decode.onnx');
    expect(dec?.calls).toBe('per_token');
    expect(dec?.inputs.past_key_1).toEqual({ type: 'float32', shape: [1, 2, 'L', 16] });
    expect(dec?.profileDims).toEqual({ L: 255, L1: 256 });
    expect(dec?.macsPerCall).toBeGreaterThan(0);
    expect(manifest.roles.hubert?.profileDims?.N).toBe(6480);
    expect(manifest.roles.lmdm?.calls).toBe('per_diffusion_step');
    for (const r of Object.values(manifest.roles)) {
      expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.params).toBeGreaterThan(0);
    }
    const again = buildReferenceSet({ scale: 'tiny', seed: 3, outDir: dir });
    expect(again.upToDate).toBe(true);
    expect(again.built).toHaveLength(0);
  });

  it('loads a valid manifest with absolute paths', () => {
    const m = loadManifest(join(dir, 'manifest.json'));
    expect(isAbsolute(m.roles.hifigan?.file ?? '')).toBe(true);
    expect(m.roles.hifigan?.outputs.waveform).toEqual({ type: 'float32', shape: [1, 'W'] });
  });

  it('names the manifest, role and field of each problem', () => {
    const wrongDim = manifestError(
      variant('wrong-dim', (m) => {
        const s = m.roles.gpt_prefill?.inputs.gpt_cond_latent;
        if (s) s.shape = [1, 32, 99];
      }),
    );
    expect(wrongDim.file).toContain('wrong-dim.json');
    expect(wrongDim.field).toBe('roles.gpt_prefill.inputs.gpt_cond_latent.shape[2]');
    expect(wrongDim.message).toMatch(/model has 32, the manifest says 99/);

    const wrongType = manifestError(
      variant('wrong-type', (m) => {
        const s = m.roles.gpt_decode?.inputs.input_ids;
        if (s) s.type = 'int32';
      }),
    );
    expect(wrongType.field).toBe('roles.gpt_decode.inputs.input_ids.type');

    expect(manifestError(variant('missing-role', (m) => delete m.roles.warp_network)).field).toBe('roles.warp_network');
    expect(
      manifestError(
        variant('missing-file', (m) => {
          const r = m.roles.decoder;
          if (r) r.file = 'ditto/nope.onnx';
        }),
      ).field,
    ).toBe('roles.decoder.file');
    expect(
      manifestError(
        variant('bad-version', (m) => {
          (m as { schemaVersion: number }).schemaVersion = 2;
        }),
      ).field,
    ).toBe('schemaVersion');
    expect(
      manifestError(
        variant('unknown-input', (m) => {
          const r = m.roles.hifigan;
          if (r) r.inputs.extra = { type: 'float32', shape: [1] };
        }),
      ).field,
    ).toBe('roles.hifigan.inputs.extra');

    copyFileSync(join(dir, 'manifest.json'), join(dir, 'junk.onnx'));
    const notOnnx = manifestError(
      variant('not-onnx', (m) => {
        const r = m.roles.stitch_network;
        if (r) {
          r.file = 'junk.onnx';
          delete r.sha256;
        }
      }),
    );
    expect(notOnnx.field).toBe('roles.stitch_network.file');
    expect(notOnnx.message).toMatch(/not a readable ONNX model/);
  });

  it('rebuilds when a file no longer matches its hash', () => {
    const f = join(dir, 'ditto', 'stitch_network.onnx');
    const bytes = readFileSync(f);
    bytes.writeUInt8((bytes.at(-1) ?? 0) ^ 1, bytes.length - 1);
    writeFileSync(f, bytes);
    expect(manifestError(join(dir, 'manifest.json')).field).toBe('roles.stitch_network.sha256');
    const r = buildReferenceSet({ scale: 'tiny', seed: 3, outDir: dir });
    expect(r.upToDate).toBe(false);
    expect(loadManifest(r.manifestPath).roles.stitch_network?.sha256).toBe(manifest.roles.stitch_network?.sha256);
  });

  it('`models list` prints the roles of a manifest', async () => {
    let text = '';
    const write = out.write;
    out.write = (s: string): void => {
      text += s;
    };
    try {
      await new Command('workbench').addCommand(modelsCommand()).parseAsync(['node', 'workbench', 'models', 'list', '--manifest', join(dir, 'manifest.json')]);
    } finally {
      out.write = write;
    }
    expect(text).toMatch(/gpt_decode\s+xtts\s+per_token/);
    expect(text).toMatch(/warp_network\s+ditto\s+per_frame/);
  });

  it('the committed example manifest documents every role', () => {
    const e = manifestError(join(process.cwd(), 'models', 'example-manifest.json'));
    // Its structure is valid; only the user's export files are missing here.
    expect(e.field).toBe('roles.cond_encoder.file');
  });
});
