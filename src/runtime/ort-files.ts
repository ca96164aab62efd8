/**
 * Files of the ONNX Runtime install both backends use: onnxruntime-node's binary dir (libonnxruntime.so.1 and
 * the CUDA provider .so files sit there), the CUDA readiness check, the version, and profile traces on disk.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * The trace file ORT wrote for `prefix` (`<prefix>_<date>_<time>.json`, relative prefixes resolve against the
 * working directory): the newest one modified at or after `sinceMs`. onnxruntime-node's endProfiling returns
 * nothing, so the file is found on disk.
 */
export function findProfileFile(prefix: string, sinceMs = 0): string | undefined {
  const full = resolve(prefix);
  const dir = dirname(full);
  const base = `${basename(full)}_`;
  let best: { file: string; mtime: number } | undefined;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const n of names) {
    if (!n.startsWith(base) || !n.endsWith('.json')) continue;
    const file = join(dir, n);
    const mtime = statSync(file).mtimeMs;
    if (mtime + 1000 < sinceMs) continue;
    if (!best || mtime > best.mtime) best = { file, mtime };
  }
  return best?.file;
}

/** Where onnxruntime-node's native binding lives (the CUDA provider .so files go next to it). */
export function ortBindingDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

/** Why CUDA cannot be used here, or undefined when the provider files and a GPU are present. */
export function diagnoseCuda(): string | undefined {
  const dir = ortBindingDir();
  if (!existsSync(join(dir, 'libonnxruntime_providers_cuda.so')))
    return `the CUDA execution provider is not installed (no libonnxruntime_providers_cuda.so in ${dir}); run 'workbench setup-cuda'`;
  if (!existsSync('/dev/nvidiactl') && !existsSync('/proc/driver/nvidia/version')) return 'no NVIDIA GPU or driver on this machine (no /dev/nvidiactl)';
  return undefined;
}

export function onnxruntimeVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}

/** The libonnxruntime.so.1 that onnxruntime-node ships: the native backend loads this very file. */
export function ortLibraryPath(): string {
  return join(ortBindingDir(), 'libonnxruntime.so.1');
}
