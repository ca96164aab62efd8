/**
 * `workbench setup-cuda`: installs ONNX Runtime 1.29.0's CUDA execution provider next to onnxruntime-node's
 * binding. The provider comes from the npm package com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 (CUDA 13,
 * the same ORT release), fetched with `npm pack` into a temporary folder (never installed into the project);
 * its tarball holds `package/Plugins/Linux/x64/libonnxruntime_providers_{cuda,shared}.so`. Then a tiny
 * session on the CUDA EP checks that the provider loads and runs a node on CUDAExecutionProvider.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError, UsageError } from '../errors.js';
import { type NativeCheck, checkNative, createSession, diagnoseCuda, ortBindingDir, onnxruntimeVersion } from '../runtime/index.js';
import { readTrace } from '../profiler/trace.js';
import { writeMatMulCheckModel } from '../runtime/check-model.js';

export const CUDA_PROVIDER_PACKAGE = 'com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9';
export const PROVIDER_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] as const;
/** Where the files sit inside the package tarball. */
export const PACKAGE_PLUGIN_DIR = 'package/Plugins/Linux/x64';

export interface SetupCudaOptions {
  /** npm package spec (default {@link CUDA_PROVIDER_PACKAGE}). */
  packageSpec?: string;
  /** A local .tgz of that package, or a folder holding the two .so files, instead of `npm pack`. */
  from?: string;
  /** Replace files that are already there. */
  force?: boolean;
  /** Run the check session (default true). */
  check?: boolean;
  /** Target folder (default ortBindingDir()). */
  dest?: string;
  log?: (s: string) => void;
}

export interface CudaCheck {
  ok: boolean;
  detail: string;
  /** Providers the check model's nodes reported. */
  providers?: string[];
}

export interface SetupCudaResult {
  dest: string;
  onnxruntime: string;
  source: string;
  files: { name: string; bytes: number; copied: boolean }[];
  check?: CudaCheck;
  /** The native backend: addon loads; on CUDA, device IO, provider options and graph replay. */
  native?: NativeCheck;
}

function findFile(dir: string, name: string, depth = 6): string | undefined {
  if (depth < 0) return undefined;
  const direct = join(dir, name);
  if (existsSync(direct) && statSync(direct).isFile()) return direct;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const f = findFile(join(dir, e.name), name, depth - 1);
    if (f) return f;
  }
  return undefined;
}

function extract(tgz: string, into: string): void {
  try {
    execFileSync('tar', ['-xzf', tgz, '-C', into, ...PROVIDER_FILES.map((f) => `${PACKAGE_PLUGIN_DIR}/${f}`)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const msg = (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message;
    throw new RuntimeError('setup-cuda', `cannot extract ${PROVIDER_FILES.join(', ')} from ${tgz}: ${msg}`);
  }
}

/** Fetches the package tarball with `npm pack` into `dir`; returns its path. */
export function npmPack(spec: string, dir: string, log: (s: string) => void = () => {}): string {
  log(`npm pack ${spec} (about 180 MB) into ${dir}`);
  let out: string;
  try {
    out = execFileSync('npm', ['pack', spec, '--pack-destination', dir, '--json', '--silent'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    const msg = (e as { stderr?: string }).stderr?.toString().trim().split('\n').slice(-3).join(' ') || (e as Error).message;
    throw new RuntimeError('setup-cuda', `npm pack ${spec} failed: ${msg}`);
  }
  let name: string | undefined;
  try {
    name = (JSON.parse(out) as { filename?: string }[])[0]?.filename;
  } catch {
    name = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  }
  if (!name) throw new RuntimeError('setup-cuda', `npm pack ${spec} wrote no tarball`);
  return join(dir, name.replace(/^@/, '').replace(/\//g, '-'));
}

/** Installs the CUDA provider files and checks them. */
export async function setupCuda(o: SetupCudaOptions = {}): Promise<SetupCudaResult> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new UsageError(`setup-cuda supports linux-x64 only (this is ${process.platform}-${process.arch})`);
  const log = o.log ?? (() => {});
  const dest = o.dest ?? ortBindingDir();
  if (!existsSync(dest)) throw new UsageError(`onnxruntime-node's binding folder ${dest} does not exist`);
  const spec = o.packageSpec ?? CUDA_PROVIDER_PACKAGE;
  const present = PROVIDER_FILES.every((f) => existsSync(join(dest, f)));
  const result: SetupCudaResult = { dest, onnxruntime: onnxruntimeVersion(), source: o.from ?? spec, files: [] };
  if (present && !o.force) {
    log(`the provider files are already in ${dest} (use --force to replace them)`);
    for (const f of PROVIDER_FILES) result.files.push({ name: f, bytes: statSync(join(dest, f)).size, copied: false });
  } else {
    const tmp = mkdtempSync(join(tmpdir(), 'wb-setup-cuda-'));
    try {
      let root: string;
      if (o.from && existsSync(o.from) && statSync(o.from).isDirectory()) root = o.from;
      else {
        const tgz = o.from ?? npmPack(spec, tmp, log);
        if (!existsSync(tgz)) throw new UsageError(`--from ${tgz}: no such file`);
        log(`extracting ${PROVIDER_FILES.join(', ')}`);
        extract(tgz, tmp);
        root = tmp;
      }
      for (const f of PROVIDER_FILES) {
        const src = findFile(root, f);
        if (!src) throw new RuntimeError('setup-cuda', `${f} not found in ${o.from ?? spec}`);
        copyFileSync(src, join(dest, f));
        result.files.push({ name: f, bytes: statSync(src).size, copied: true });
        log(`copied ${f} → ${dest}`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  if (o.check !== false) {
    result.check = await checkCuda();
    result.native = await checkNative();
  }
  return result;
}

/** Creates a one-node session on the CUDA EP, runs it with profiling and reports where the node ran. */
export async function checkCuda(): Promise<CudaCheck> {
  const why = diagnoseCuda();
  if (why) return { ok: false, detail: why };
  const dir = mkdtempSync(join(tmpdir(), 'wb-cuda-check-'));
  try {
    const model = writeMatMulCheckModel(dir, 'cuda_check');
    const s = await createSession(model, { ep: 'cuda', enableProfiling: true, profileFilePrefix: join(dir, 'trace') });
    await s.run({ x: { type: 'float32', dims: [1, 64], data: new Float32Array(64).fill(1) } });
    const file = s.endProfiling();
    await s.release();
    const providers = file ? [...new Set(readTrace(file).nodes.map((n) => n.provider))] : [];
    const ok = providers.includes('CUDAExecutionProvider');
    return {
      ok,
      providers,
      detail: ok ? 'a MatMul ran on CUDAExecutionProvider' : `the check node ran on ${providers.join(', ') || 'an unknown provider'}, not CUDA`,
    };
  } catch (e) {
    return { ok: false, detail: (e as Error).message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
