/**
 * The `workbench.passes` record in a model's metadata_props: which passes made a model, with their options
 * (JSON array, oldest first). Shared by every pass (src/quantize, src/models legalization).
 */
import type { Model } from './types.js';

export const PASSES_METADATA_KEY = 'workbench.passes';

export interface PassRecord {
  pass: string;
  options: Record<string, unknown>;
}

/** The passes recorded in a model's metadata, oldest first. */
export function readPassRecords(model: Pick<Model, 'metadataProps'>): PassRecord[] {
  const e = model.metadataProps.find((m) => m.key === PASSES_METADATA_KEY);
  if (!e) return [];
  try {
    const parsed = JSON.parse(e.value) as unknown;
    return Array.isArray(parsed) ? (parsed as PassRecord[]) : [];
  } catch {
    return [];
  }
}

/** Appends `{ pass, options }` to the model's `workbench.passes` metadata (the model must be a clone). */
export function recordPass(model: Model, pass: string, options: Record<string, unknown>): void {
  const list = readPassRecords(model);
  list.push({ pass, options: jsonSafe(options) as Record<string, unknown> });
  const value = JSON.stringify(list);
  const e = model.metadataProps.find((m) => m.key === PASSES_METADATA_KEY);
  if (e) e.value = value;
  else model.metadataProps.push({ key: PASSES_METADATA_KEY, value });
}

/** Options as plain JSON (bigints as numbers, typed arrays summarized, functions dropped). */
export function jsonSafe(x: unknown): unknown {
  if (typeof x === 'bigint') return Number(x);
  if (x instanceof Set) return [...x].map(jsonSafe);
  if (x instanceof Map) return Object.fromEntries([...x].map(([k, v]) => [String(k), jsonSafe(v)]));
  if (Array.isArray(x)) return x.map(jsonSafe);
  if (ArrayBuffer.isView(x)) return `<${x.byteLength} bytes>`;
  if (x && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (v !== undefined && typeof v !== 'function') o[k] = jsonSafe(v);
    return o;
  }
  return x;
}
