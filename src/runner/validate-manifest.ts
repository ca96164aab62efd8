/**
 * The runner's manifest check, done before any session exists: every role the run needs is present, its
 * file exists, and its declared inputs/outputs carry the contract's tensor names. Errors name the role and
 * field (ManifestError).
 *
 * The generic validation is `loadManifest` (models/load-manifest.ts): role spec structure, unknown roles,
 * files that read as ONNX with graph inputs/outputs matching the manifest, the vocab file. It does not
 * cover what the runner needs on top, so those checks stay here and run first (their messages are the
 * runner's): every pipeline constant present in the manifest itself (loadManifest fills missing ones with
 * the real-scale defaults, wrong for a tiny set), the tensor names the runner feeds and reads, role-file
 * overrides (variants), and the shapes the runner relies on against the config. Hashes are not
 * re-checked per run (gigabytes at full scale; `buildReferenceSet` checks them).
 */
import { STATIC_KV_INPUTS } from '../quantize/static-kv.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ManifestError } from '../errors.js';
import { loadManifest } from '../models/load-manifest.js';
import { DITTO_ROLES, XTTS_ROLES, type Manifest, type PipelineConfig, type Role } from '../models/manifest.js';

/** Tensor names the runner feeds and reads, per role ('{i}' = per GPT layer). */
export const ROLE_IO: Record<Role, { inputs: string[]; outputs: string[] }> = {
  cond_encoder: { inputs: ['mel'], outputs: ['gpt_cond_latent'] },
  speaker_encoder: { inputs: ['wav_16k'], outputs: ['speaker_embedding'] },
  gpt_prefill: { inputs: ['input_ids', 'gpt_cond_latent'], outputs: ['logits', 'latent', 'present_key_{i}', 'present_value_{i}'] },
  gpt_decode: {
    inputs: ['input_ids', 'mel_position', 'attention_mask', 'past_key_{i}', 'past_value_{i}'],
    outputs: ['logits', 'latent', 'present_key_{i}', 'present_value_{i}'],
  },
  hifigan: { inputs: ['latent_codes', 'speaker_embedding'], outputs: ['waveform'] },
  hubert: { inputs: ['input_values'], outputs: ['encoding_out'] },
  lmdm: { inputs: ['x', 'cond_frame', 'cond', 'time_cond'], outputs: ['pred_noise', 'x_start'] },
  appearance_extractor: { inputs: ['image'], outputs: ['pred'] },
  motion_extractor: { inputs: ['image'], outputs: ['pitch', 'yaw', 'roll', 't', 'exp', 'scale', 'kp'] },
  stitch_network: { inputs: ['kp_source', 'kp_driving'], outputs: ['out'] },
  warp_network: { inputs: ['feature_3d', 'kp_source', 'kp_driving'], outputs: ['out'] },
  decoder: { inputs: ['feature'], outputs: ['output'] },
  // A baked renderer has only kp_driving; one with the source as inputs also kp_source and feature_3d.
  renderer: { inputs: ['kp_driving'], outputs: ['output'] },
};

const CONFIG_KEYS: (keyof PipelineConfig)[] = [
  'fps',
  'audioRate',
  'chunkSamples',
  'hopSamples',
  'framesPerChunk',
  'featureDim',
  'condDim',
  'motionDim',
  'seqFrames',
  'overlap',
  'numKp',
  'sourceSize',
  'outputSize',
  'ttsRate',
  'outputRate',
  'gptLayers',
  'gptWidth',
  'audioVocab',
  'startAudioToken',
  'tokensPerSecond',
  'melBins',
  'melHop',
  'speakerRate',
  'maxAudioTokens',
];

export interface LoadedRunManifest {
  manifest: Manifest;
  path: string;
  dir: string;
  sha256: string;
}

export function rolesForRun(withTts: boolean): Role[] {
  return withTts ? [...XTTS_ROLES, ...DITTO_ROLES] : [...DITTO_ROLES];
}

/**
 * The roles with a composed `renderer` (a manifest role or a role-file override) in place of stitch, warp
 * and decoder: the runner renders with it when it is there.
 */
export function withRenderer(roles: Role[], manifestPath: string, overrides: Partial<Record<Role, string>> = {}): Role[] {
  let named = overrides.renderer !== undefined;
  if (!named) {
    try {
      const m = JSON.parse(readFileSync(resolve(manifestPath), 'utf8')) as Partial<Manifest>;
      named = typeof m.roles === 'object' && m.roles !== null && 'renderer' in m.roles;
    } catch {
      // readRunManifest reports an unreadable manifest with the field named.
    }
  }
  if (!named || !roles.includes('decoder')) return roles;
  return [...roles.filter((r) => r !== 'stitch_network' && r !== 'warp_network' && r !== 'decoder'), 'renderer'];
}

/** Contract names a rewritten role may carry instead: a static-kv gpt_decode computes its mask from cache_position. */
const CONTRACT_ALTERNATIVES: Partial<Record<Role, Record<string, string>>> = { gpt_decode: { attention_mask: STATIC_KV_INPUTS.position } };

export function readRunManifest(path: string, roles: readonly Role[], overrides: Partial<Record<Role, string>> = {}): LoadedRunManifest {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ManifestError(path, 'file', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new ManifestError(path, 'json', (e as Error).message);
  }
  if (typeof m !== 'object' || m === null) throw new ManifestError(path, 'json', 'not an object');
  if (m.schemaVersion !== 1) throw new ManifestError(path, 'schemaVersion', `expected 1, got ${String(m.schemaVersion)}`);
  if (typeof m.config !== 'object' || m.config === null) throw new ManifestError(path, 'config', 'missing');
  for (const k of CONFIG_KEYS) if (typeof m.config[k] !== 'number') throw new ManifestError(path, `config.${k}`, 'missing or not a number');
  if (typeof m.roles !== 'object' || m.roles === null) throw new ManifestError(path, 'roles', 'missing');
  const dir = dirname(file);
  for (const role of roles) {
    const spec = m.roles[role];
    // A composed renderer given only as a role file: its I/O is checked when the runner calls it.
    if (!spec && role === 'renderer' && overrides.renderer) {
      if (!existsSync(resolve(overrides.renderer))) throw new ManifestError(path, 'roles.renderer.file', `${resolve(overrides.renderer)} does not exist`);
      continue;
    }
    if (!spec) throw new ManifestError(path, `roles.${role}`, 'missing (the pipeline needs it)');
    const f = overrides[role] ? resolve(overrides[role]) : isAbsolute(spec.file) ? spec.file : join(dir, spec.file);
    if (!existsSync(f)) throw new ManifestError(path, `roles.${role}.file`, `${f} does not exist`);
    for (const kind of ['inputs', 'outputs'] as const) {
      const declared = spec[kind];
      if (typeof declared !== 'object' || declared === null) throw new ManifestError(path, `roles.${role}.${kind}`, 'missing');
      for (const name of ROLE_IO[role][kind]) {
        const names = name.includes('{i}') ? Array.from({ length: m.config.gptLayers }, (_, i) => name.replace('{i}', String(i))) : [name];
        const alt = CONTRACT_ALTERNATIVES[role]?.[name];
        for (const n of names)
          if (!(n in declared) && !(alt !== undefined && alt in declared))
            throw new ManifestError(path, `roles.${role}.${kind}.${n}`, 'missing from the role contract');
      }
    }
  }
  checkShapes(path, m);
  loadManifest(path, { requiredRoles: roles.filter((r) => m.roles[r] !== undefined), checkHashes: false });
  return { manifest: m, path: file, dir, sha256: createHash('sha256').update(text).digest('hex') };
}

/** Shapes the runner relies on must agree with the config. */
function checkShapes(path: string, m: Manifest): void {
  const c = m.config;
  const expect = (role: Role, kind: 'inputs' | 'outputs', name: string, axis: number, value: number): void => {
    const spec = m.roles[role]?.[kind][name];
    if (!spec) return;
    const d = spec.shape[axis];
    if (typeof d === 'number' && d !== value)
      throw new ManifestError(path, `roles.${role}.${kind}.${name}.shape[${axis}]`, `is ${d}, the pipeline config needs ${value}`);
  };
  expect('lmdm', 'inputs', 'x', 1, c.seqFrames);
  expect('lmdm', 'inputs', 'x', 2, c.motionDim);
  expect('lmdm', 'inputs', 'cond', 2, c.condDim);
  expect('lmdm', 'inputs', 'cond_frame', 1, c.motionDim);
  expect('hubert', 'outputs', 'encoding_out', 1, c.featureDim);
  expect('appearance_extractor', 'inputs', 'image', 2, c.sourceSize);
  expect('motion_extractor', 'inputs', 'image', 2, c.sourceSize);
  expect('stitch_network', 'inputs', 'kp_source', 1, c.numKp);
  expect('decoder', 'outputs', 'output', 2, c.outputSize);
  expect('hifigan', 'inputs', 'latent_codes', 2, c.gptWidth);
  expect('gpt_prefill', 'inputs', 'gpt_cond_latent', 2, c.gptWidth);
  expect('cond_encoder', 'inputs', 'mel', 1, c.melBins);
}
