/**
 * Loads the native backend's addon (native/ort-node, built by `npm install` where a toolchain exists) and
 * initialises it with onnxruntime-node's own libonnxruntime.so.1, so one ORT release is in the process.
 * WB_NATIVE_ADDON=<file> loads another build (or a missing one, to see the fallback).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ortLibraryPath } from '../ort-files.js';

export interface AddonTensorIO {
  name: string;
  type?: string;
  shape?: (number | string)[];
}

/** The addon's DeviceTensor (C++ ObjectWrap). */
export interface AddonDeviceTensor {
  readonly type: string;
  readonly dims: number[];
  readonly location: 'cpu' | 'cuda';
  readonly released: boolean;
  upload(data: ArrayBufferView): void;
  download(): ArrayBufferView;
  release(): void;
}

export interface AddonHostTensor {
  type: string;
  dims: number[];
  data: ArrayBufferView;
}

export interface AddonSessionOptions {
  ep: 'cpu' | 'cuda';
  graphOptimizationLevel?: string;
  intraOpThreads?: number;
  logSeverity?: number;
  enableProfiling?: boolean;
  profileFilePrefix?: string;
  config?: Record<string, string>;
  providerOptions?: Record<string, string>;
  arena?: Record<string, string>;
  /**
   * Where runs execute: 'session' = one thread of the session's own for every call (ORT keeps its CUDA context
   * and CUDA graphs per thread), 'pool' = the libuv pool thread that takes the call. Default: session on cuda,
   * pool on cpu (concurrent runs of one CPU session stay concurrent).
   */
  runThread?: 'session' | 'pool';
}

export interface AddonRunOptions {
  gpuGraphId?: number;
  config?: Record<string, string>;
  inline?: boolean;
  /** Bound outputs the run copies to the host on its own thread (pinned staging). */
  download?: string[];
}

export interface AddonRunResult {
  outputs: Record<string, AddonHostTensor | AddonDeviceTensor>;
  ms: number;
  downloads?: Record<string, ArrayBufferView>;
  /** The OS thread that ran the call (a hash of its id), for diagnostics. */
  thread: number;
}

/** The addon's PreparedRun (C++ ObjectWrap): an IoBinding made once. Its runs return no outputs (the caller holds them). */
export interface AddonPreparedRun {
  run(options?: AddonRunOptions): Promise<AddonRunResult>;
  release(): void;
}

export interface AddonSession {
  readonly device: 'cpu' | 'cuda';
  inputInfo(): AddonTensorIO[];
  outputInfo(): AddonTensorIO[];
  providerOptions(): string;
  allocate(type: string, dims: readonly number[]): AddonDeviceTensor;
  run(
    feeds: Record<string, AddonHostTensor | AddonDeviceTensor>,
    outputs: Record<string, 'host' | 'device' | AddonDeviceTensor>,
    options?: AddonRunOptions,
  ): Promise<AddonRunResult>;
  /** Binds these device tensors once; each run of the result replays the binding. */
  prepare(feeds: Record<string, AddonDeviceTensor>, outputs: Record<string, AddonDeviceTensor>): AddonPreparedRun;
  endProfiling(): string;
  release(): void;
}

export interface Addon {
  init(libPath: string, logLevel?: number): string;
  Session: new (model: string | Uint8Array, options: AddonSessionOptions) => AddonSession;
  DeviceTensor: abstract new (...args: never[]) => AddonDeviceTensor;
  apiVersion: number;
}

const ADDON_REL = join('native', 'ort-node', 'build', 'Release', 'ort_node.node');

/**
 * Where the addon is: WB_NATIVE_ADDON, else beside this module (the GPU bundle carries it next to
 * workbench.mjs), else native/ort-node/build/Release under the nearest folder above this module (src/, dist/
 * or a bundle) or above the working directory (a bundled worker script under node_modules/.cache, whose
 * real path may lie outside the checkout when node_modules is a link).
 */
export function addonPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.WB_NATIVE_ADDON) return env.WB_NATIVE_ADDON;
  const here = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(here, 'ort_node.node'))) return join(here, 'ort_node.node');
  for (const start of [here, process.cwd()]) {
    let dir = start;
    for (let i = 0; i < 6; i++) {
      const p = join(dir, ADDON_REL);
      if (existsSync(p)) return p;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return undefined;
}

let loaded: { addon: Addon; version: string } | { why: string } | undefined;

/** The initialised addon, or why it is not available here (one line). Cached for the process. */
export function loadAddon(): { addon: Addon; version: string } | { why: string } {
  if (loaded) return loaded;
  const p = addonPath();
  if (!p) return (loaded = { why: `the addon is not built (no ${ADDON_REL}; run 'npm run build:native')` });
  if (!existsSync(p)) return (loaded = { why: `no addon at ${p}` });
  try {
    const addon = createRequire(import.meta.url)(p) as Addon;
    const version = addon.init(ortLibraryPath());
    loaded = { addon, version };
  } catch (e) {
    loaded = { why: `the addon at ${p} does not load: ${String((e as Error).message ?? e).split('\n')[0]}` };
  }
  return loaded;
}

/** For tests: forget the cached load so that WB_NATIVE_ADDON is read again. */
export function resetAddonForTests(): void {
  loaded = undefined;
}
