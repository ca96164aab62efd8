/**
 * Reads a model and writes it back through the graph model: the round trip, made useful (move weights
 * into or out of an external-data file). The input is never modified; writing into the input's own path
 * is refused.
 */
import { guardOutputs, modelOutputFiles } from './output-guard.js';
import { readModel } from './read-model.js';
import { type WriteOptions, type WriteResult, writeModel } from './write-model.js';

export function convertModel(input: string, output: string, options: WriteOptions = {}): WriteResult & { seconds: number } {
  const t0 = performance.now();
  // Before reading: refusing costs nothing. writeModel checks again against the external-data files read.
  guardOutputs(modelOutputFiles(output, options.externalDataLocation), [input]);
  const loaded = readModel(input);
  const r = writeModel(loaded.model, output, { ...options, inputs: loaded.files });
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}
