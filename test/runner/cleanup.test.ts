/**
 * Every path out of a run closes what it opened: the device-memory sampler's nvidia-smi child and every ORT
 * session. A fake `nvidia-smi` on PATH (it streams one line, then sleeps) makes the sampler really start on
 * this GPU-less machine; the variant then fails (no CUDA here, or a stage past its limit on the CPU).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceMemorySampler } from '../../src/runner/memory.js';
import { runPipeline } from '../../src/runner/run-pipeline.js';
import { openSessionCount } from '../../src/runtime/index.js';
import { createPipelineDriver } from '../../src/sweep/pipeline-driver.js';
import { tinyManifest } from './tiny-set.js';

const ROOT = join(tmpdir(), `wb-cleanup-${process.pid}`);
const BIN = join(ROOT, 'bin');
const STARTED = join(ROOT, 'nvidia-smi.started');
const savedPath = process.env.PATH;

/** Live (not zombie) child processes of this process, as pid → command name. */
function liveChildren(): Map<number, string> {
  const out = new Map<number, string>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid …; comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(')');
    const [state, ppid] = stat.slice(close + 2).split(' ');
    if (Number(ppid) === process.pid && state !== 'Z') out.set(Number(d), stat.slice(stat.indexOf('(') + 1, close));
  }
  return out;
}

/** Children started since `before` that are still alive after up to `ms` of waiting. */
async function survivors(before: Map<number, string>, ms = 3000): Promise<string[]> {
  const t0 = Date.now();
  for (;;) {
    const left = [...liveChildren()].filter(([pid]) => !before.has(pid)).map(([pid, comm]) => `${pid} ${comm}`);
    if (!left.length || Date.now() - t0 > ms) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

let manifest = '';

beforeAll(async () => {
  mkdirSync(BIN, { recursive: true });
  const smi = join(BIN, 'nvidia-smi');
  // Streams a reading for its parent (the pid the sampler looks for), then sleeps in place of the shell.
  writeFileSync(smi, `#!/bin/sh\necho "$PPID, 512"\n: > "${STARTED}"\nexec sleep 300\n`);
  chmodSync(smi, 0o755);
  process.env.PATH = `${BIN}${delimiter}${savedPath ?? ''}`;
  manifest = await tinyManifest();
});

afterAll(() => {
  process.env.PATH = savedPath;
  // A leaked child (the bug this file guards against) is ended here, by its pid, so the suite does not keep it.
  for (const pid of liveChildren().keys()) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sleep')) process.kill(pid);
    } catch {
      /* already gone */
    }
  }
  rmSync(ROOT, { recursive: true, force: true });
});

describe('cleanup on every path', () => {
  it('the fake nvidia-smi is the one the sampler starts, and stop() ends it', async () => {
    const before = liveChildren();
    const s = new DeviceMemorySampler(true, 'stream', 50);
    for (let i = 0; i < 100 && !existsSync(STARTED); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(STARTED)).toBe(true);
    expect((await survivors(before, 0)).length).toBe(1);
    // Its line was printed before the marker; give the pipe a moment to deliver it.
    await new Promise((r) => setTimeout(r, 200));
    expect(await s.stop()).toBe(512 * 2 ** 20);
    expect(await survivors(before)).toEqual([]);
  });

  it('a variant that fails (CUDA EP on a machine without one) leaves no nvidia-smi running and no session open', async () => {
    const before = liveChildren();
    const sessions = openSessionCount();
    const run = createPipelineDriver().run({
      manifestPath: manifest,
      ep: 'cuda',
      seed: 1,
      steps: 2,
      repeats: 1,
      text: 'Hi there.',
      outDir: join(ROOT, 'cuda'),
    });
    await expect(run).rejects.toThrow(/cuda/i);
    expect(await survivors(before)).toEqual([]);
    expect(openSessionCount()).toBe(sessions);
  });

  it('a run that fails after its sessions loaded (a stage past its limit) releases every session', async () => {
    const sessions = openSessionCount();
    const run = runPipeline({
      manifest,
      text: 'Hi there.',
      steps: 2,
      seed: 0,
      mp4: false,
      out: join(ROOT, 'stall'),
      stageTimeoutMs: 500,
      stall: { stage: 'ditto.lmdm', ms: 2000 },
    });
    await expect(run).rejects.toThrow(/stage ditto.lmdm: timeout/);
    expect(openSessionCount()).toBe(sessions);
  });
});
