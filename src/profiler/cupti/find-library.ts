/** Where the injection library libcupti_trace.so is, and the environment that loads it into the node-pass child. */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CUPTI_LIB_NAME = 'libcupti_trace.so';

export interface CuptiLibraryLookup {
  path?: string;
  tried: string[];
}

/**
 * Where libcupti_trace.so is: $WB_CUPTI_LIB (a file, or a folder holding it), else native/cupti-trace/ of
 * the repository this module (or the esbuild bundle) lives in, next to the CLI script, or in the working folder.
 */
export function findCuptiLibrary(env: NodeJS.ProcessEnv = process.env, extraDirs: readonly string[] = []): CuptiLibraryLookup {
  const tried: string[] = [];
  const check = (p: string): string | undefined => {
    const abs = resolve(p);
    tried.push(abs);
    try {
      if (existsSync(abs) && statSync(abs).isFile()) return abs;
    } catch {
      /* unreadable: keep looking */
    }
    return undefined;
  };
  const fromEnv = env.WB_CUPTI_LIB;
  if (fromEnv) {
    const p = check(fromEnv) ?? check(resolve(fromEnv, CUPTI_LIB_NAME));
    return p ? { path: p, tried } : { tried };
  }
  const dirs: string[] = [...extraDirs];
  try {
    // This file sits three folders below the repository (src|dist/profiler/cupti/); a bundle sits one to three.
    const here = dirname(fileURLToPath(import.meta.url));
    for (const up of ['../../..', '..', '../..', '../../../..']) dirs.push(resolve(here, up, 'native/cupti-trace'));
  } catch {
    /* not a file: URL */
  }
  const script = process.argv[1];
  if (script && isAbsolute(script)) dirs.push(resolve(dirname(script), '../native/cupti-trace'), resolve(dirname(script), 'native/cupti-trace'));
  dirs.push(resolve(process.cwd(), 'native/cupti-trace'));
  for (const d of [...new Set(dirs)]) {
    const p = check(resolve(d, CUPTI_LIB_NAME));
    if (p) return { path: p, tried };
  }
  return { tried };
}

/** Environment of the node-pass child for the CUPTI method. */
export function cuptiEnv(library: string, outFile: string): Record<string, string> {
  return { CUDA_INJECTION64_PATH: library, WB_CUPTI_OUT: outFile, CUDA_LAUNCH_BLOCKING: '0' };
}
