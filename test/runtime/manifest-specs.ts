/** Role files and input specs of a manifest (paths resolved), for the runtime tests. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TensorSpec } from '../../src/models/manifest.js';

export function readManifestSpecs(manifest: string): Record<string, { file: string; inputs: Record<string, TensorSpec> }> {
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as { roles: Record<string, { file: string; inputs: Record<string, TensorSpec> }> };
  const r: Record<string, { file: string; inputs: Record<string, TensorSpec> }> = {};
  for (const [k, v] of Object.entries(m.roles)) r[k] = { file: join(dirname(manifest), v.file), inputs: v.inputs };
  return r;
}
