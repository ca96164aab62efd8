/** Small helpers shared by the reference build, the manifest loader and the manifests' other readers. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dataTypeName } from '../onnx/dtype.js';
import type { Value } from '../onnx/types.js';
import { ManifestError } from '../errors.js';
import type { ElemTypeName, Manifest, TensorSpec } from './manifest.js';

const ELEM_NAMES: Record<string, ElemTypeName> = { float32: 'float32', float16: 'float16', int64: 'int64', int32: 'int32', uint8: 'uint8', bool: 'bool' };

/** The manifest's spec of a graph input/output (unknown dims get a name of their own). */
export function tensorSpecOf(v: Value): TensorSpec {
  const t = v.tensorType;
  const name = t ? ELEM_NAMES[dataTypeName(t.elemType)] : undefined;
  return { type: name ?? 'float32', shape: (t?.shape ?? []).map((d, i) => d ?? `${v.name}_${i}`) };
}

/** sha256 (hex) of a file's bytes. */
export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * A manifest's JSON as written, unchecked (loadManifest checks it; readers that only look up roles use this).
 * An unreadable file or bad JSON is a ManifestError naming the file.
 */
export function readManifestJson(path: string): Manifest {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw new ManifestError(path, 'file', `cannot read the manifest: ${(e as Error).message}`);
  }
}
