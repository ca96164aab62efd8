/**
 * Reads a model and writes it back through the graph model: the round trip, made useful (move weights
 * into or out of an external-data file). The input is never modified; writing into the input's own path
 * is refused.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { readModel } from './read-model.js';
import { type WriteOptions, type WriteResult, writeModel } from './write-model.js';

export function convertModel(input: string, output: string, options: WriteOptions = {}): WriteResult & { seconds: number } {
  const t0 = performance.now();
  let same = false;
  try {
    same = realpathSync(input) === resolve(output) || realpathSync(input) === realpathSync(output);
  } catch {
    same = false;
  }
  if (same) throw new UsageError(`${output}: refusing to overwrite the input model; choose another output path`);
  const { model } = readModel(input);
  const r = writeModel(model, output, options);
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}
