/**
 * The one output guard of every command that writes a model: no file it writes (the model, its `<out>.data`,
 * a report beside it) may be one of the files it reads (the input model and that model's external data).
 * Paths are compared as the file system sees them: `./a.onnx`, `a.onnx` and `/abs/a.onnx` are one file,
 * a symlink is its target, and a hard link is the same inode.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/** The path a write to `p` lands on: symlinks (of the file or of a folder above it) resolved. */
function canonical(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(canonical(parent), basename(abs));
  }
}

function inode(p: string): string | undefined {
  try {
    const s = statSync(p);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

export function isSameFile(a: string, b: string): boolean {
  if (canonical(a) === canonical(b)) return true;
  const ia = inode(a);
  return ia !== undefined && ia === inode(b);
}

export interface GuardedOutput {
  path: string;
  /** What the file is, for the message (e.g. '-o', '--report', 'external data'). */
  what: string;
}

/** Throws a UsageError naming the output and the input it would replace. */
export function guardOutputs(outputs: readonly GuardedOutput[], inputs: readonly string[]): void {
  for (const o of outputs)
    for (const i of inputs)
      if (isSameFile(o.path, i))
        throw new UsageError(
          `${o.path}: refusing to overwrite the input${i === o.path ? '' : ` '${i}'`} (${o.what} is the same file); choose another output path`,
        );
}

/** The files `writeModel(model, output)` may create or replace: the model and its `<basename>.data`. */
export function modelOutputFiles(output: string, externalDataLocation?: string): GuardedOutput[] {
  const abs = resolve(output);
  return [
    { path: output, what: 'the output model' },
    { path: join(dirname(abs), externalDataLocation ?? `${basename(abs)}.data`), what: "the output's external-data file" },
  ];
}
