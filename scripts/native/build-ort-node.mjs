#!/usr/bin/env node
// Builds the native backend's addon (native/ort-node, node-gyp) where a C++ toolchain exists.
// - ONNX Runtime 1.29's C API headers come from the npm package com.github.asus4.onnxruntime@0.4.9 (~150 MB,
//   the lightest npm source found): fetched once with `npm pack`, only the headers kept, in a cache dir
//   (WB_ORT_HEADERS_CACHE, default ~/.cache/avatar-workbench/ort-headers-1.29.0). WB_ORT_HEADERS=<dir> uses
//   headers already on the machine.
// - Node's headers: the local ones (nodedir = the prefix of process.execPath), nothing is downloaded.
// - Any failure prints ONE line and exits 0 (npm install goes on; the onnxruntime-node backend stays), unless
//   --strict (CI) is given.
// The addon links nothing of ONNX Runtime: it dlopens onnxruntime-node's libonnxruntime.so.1 at run time.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const addonDir = join(root, 'native', 'ort-node');
const strict = process.argv.includes('--strict') || process.env.WB_NATIVE_STRICT === '1';
const quiet = !process.argv.includes('--verbose');
const HEADER_PKG = 'com.github.asus4.onnxruntime@0.4.9';
const HEADER_DIR_IN_PKG = 'package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers';

function fail(why) {
  console.log(`workbench: native backend not built (${why}); the onnxruntime-node backend is used`);
  process.exit(strict ? 1 : 0);
}

function have(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The cached header dir, filled on first use. */
export function ortHeaders() {
  if (process.env.WB_ORT_HEADERS) return process.env.WB_ORT_HEADERS;
  const cache = process.env.WB_ORT_HEADERS_CACHE ?? join(homedir(), '.cache', 'avatar-workbench', 'ort-headers-1.29.0');
  if (existsSync(join(cache, 'onnxruntime_cxx_api.h'))) return cache;
  const tmp = mkdtempSync(join(tmpdir(), 'wb-ort-headers-'));
  try {
    const out = execFileSync('npm', ['pack', HEADER_PKG, '--silent', '--pack-destination', tmp], {
      cwd: tmp,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const tgz = join(tmp, out.trim().split('\n').pop() ?? '');
    execFileSync('tar', ['xzf', tgz, '-C', tmp, '--wildcards', `${HEADER_DIR_IN_PKG}/*.h`], { stdio: 'ignore' });
    const got = join(tmp, HEADER_DIR_IN_PKG);
    if (!existsSync(join(got, 'onnxruntime_cxx_api.h'))) throw new Error(`no headers in ${HEADER_PKG}`);
    mkdirSync(dirname(cache), { recursive: true });
    rmSync(cache, { recursive: true, force: true });
    renameSync(got, cache);
    return cache;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') fail(`${process.platform}-${process.arch} is not supported (linux-x64 only)`);
  for (const t of ['g++', 'make', 'python3']) if (!have(t)) fail(`no ${t} on this machine`);
  const nodedir = resolve(dirname(process.execPath), '..');
  if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) fail(`no Node headers under ${nodedir}/include/node`);
  let headers;
  try {
    headers = ortHeaders();
  } catch (e) {
    fail(`ONNX Runtime headers unavailable: ${String(e.message ?? e).split('\n')[0]}`);
  }
  const require = createRequire(import.meta.url);
  let gyp;
  try {
    gyp = require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    fail('node-gyp is not installed');
  }
  try {
    execFileSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '-j', '2'], {
      cwd: addonDir,
      env: { ...process.env, WB_ORT_HEADERS: headers },
      stdio: quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit',
    });
  } catch (e) {
    const err =
      String(e.stderr ?? e.message ?? e)
        .split('\n')
        .find((l) => /error:/.test(l)) ??
      String(e.stderr ?? '')
        .split('\n')
        .find((l) => /error/i.test(l)) ??
      'node-gyp failed';
    fail(`build failed: ${err.trim().slice(0, 200)}`);
  }
  const built = join(addonDir, 'build', 'Release', 'ort_node.node');
  if (!existsSync(built)) fail('node-gyp produced no ort_node.node');
  console.log(`workbench: native backend built (${built.slice(root.length + 1)})`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
