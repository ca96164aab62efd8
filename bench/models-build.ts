/**
 * Time and peak memory to build the full-scale reference set (every Ditto and XTTS-v2 role with seeded
 * weights, written with external data). Runs in a fresh child process so the peak RSS is the build's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReferenceSet } from '../src/models/build.js';

export interface ModelsBuildResult {
  schemaVersion: 1;
  bench: 'models-build';
  createdAt: string;
  scale: 'full' | 'tiny';
  seconds: number;
  peakRssBytes: number;
  bytesWritten: number;
  weightsPerSecondMB: number;
  roles: { role: string; bytes: number; seconds: number }[];
}

export function modelsBuildChild(scale: 'full' | 'tiny', outDir: string): Omit<ModelsBuildResult, 'schemaVersion' | 'bench' | 'createdAt'> {
  const t0 = performance.now();
  const r = buildReferenceSet({ scale, seed: 0, outDir, force: true });
  const seconds = (performance.now() - t0) / 1000;
  const bytesWritten = r.built.reduce((a, b) => a + b.bytes, 0);
  return {
    scale,
    seconds,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    bytesWritten,
    weightsPerSecondMB: bytesWritten / 1e6 / seconds,
    roles: r.built.map((b) => ({ role: b.role, bytes: b.bytes, seconds: b.seconds })),
  };
}

export function benchModelsBuild(self: string, scale: 'full' | 'tiny' = 'full'): ModelsBuildResult {
  const dir = mkdtempSync(join(tmpdir(), 'wb-build-'));
  try {
    const r = spawnSync(process.execPath, [self, '--build-child', scale, dir], { encoding: 'utf8', maxBuffer: 1 << 22, stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`build child exited with ${r.status}`);
    const child = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Omit<ModelsBuildResult, 'schemaVersion' | 'bench' | 'createdAt'>;
    return { schemaVersion: 1, bench: 'models-build', createdAt: new Date().toISOString(), ...child };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
