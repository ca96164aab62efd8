/**
 * The device memory sampler against a stand-in `nvidia-smi` on PATH (a shell script that prints its parent's
 * pid — this process — with a rising MiB figure): `stream` reads one long-lived process's lines, `poll`
 * spawns per sample, `off` and a missing nvidia-smi give null.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceMemorySampler } from '../../src/runner/memory.js';

const PATH = process.env.PATH ?? '';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fakeSmi(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wb-fake-smi-'));
  const file = join(dir, 'nvidia-smi');
  // -lms N: print a sample every N ms until killed (100, 200, 300 … MiB); else one sample of 42 MiB.
  writeFileSync(
    file,
    `#!/bin/sh
ms=""; prev=""
for a in "$@"; do [ "$prev" = "-lms" ] && ms="$a"; prev="$a"; done
if [ -n "$ms" ]; then i=1; while :; do echo "999999, 7"; echo "$PPID, $((i * 100))"; i=$((i + 1)); sleep 0.05; done
else echo "$PPID, 42"; fi
`,
  );
  chmodSync(file, 0o755);
  return dir;
}

afterEach(() => {
  process.env.PATH = PATH;
});

describe('DeviceMemorySampler', () => {
  it('stream: one nvidia-smi process, its lines for this pid give the peak', async () => {
    process.env.PATH = `${fakeSmi()}${delimiter}${PATH}`;
    const s = new DeviceMemorySampler(true, 'stream', 50);
    await sleep(400);
    const peak = await s.stop();
    expect(peak).not.toBeNull();
    // At least two samples arrived and only this pid's lines counted (the other pid says 7 MiB).
    expect((peak as number) / 2 ** 20).toBeGreaterThanOrEqual(200);
    expect(((peak as number) / 2 ** 20) % 100).toBe(0);
    expect(s.describe()).toMatch(/streamed every 50 ms by one nvidia-smi process/);
  });

  it('poll: a spawn per sample', async () => {
    process.env.PATH = `${fakeSmi()}${delimiter}${PATH}`;
    const s = new DeviceMemorySampler(true, 'poll', 50);
    await sleep(150);
    expect(await s.stop()).toBe(42 * 2 ** 20);
    expect(s.describe()).toMatch(/one nvidia-smi spawn every 50 ms/);
  });

  it('off, the CPU EP and a missing nvidia-smi give null', async () => {
    expect(await new DeviceMemorySampler(true, 'off').stop()).toBeNull();
    expect(await new DeviceMemorySampler(false, 'stream').stop()).toBeNull();
    process.env.PATH = mkdtempSync(join(tmpdir(), 'wb-no-smi-'));
    const s = new DeviceMemorySampler(true, 'stream', 50);
    await sleep(100);
    expect(await s.stop()).toBeNull();
  });
});
