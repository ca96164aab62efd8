/**
 * A short fixed-seed run of the CLI fuzz target (`npm run fuzz` runs thousands): mutated models through
 * inspect, convert and optimize --fp16 end in exit 0, or exit 2 with one line, no output, input unchanged.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFuzzCase, type FuzzFailure } from '../../src/fuzz/fuzz-case.js';
import { buildFuzzSeeds } from '../../src/fuzz/seeds.js';

const CASES = Number(process.env.FUZZ_CASES ?? 150);

describe('CLI fuzz (fixed seed)', () => {
  it(`${CASES} mutated models: no crash, no partial output, no modified input`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-fuzz-'));
    const seeds = buildFuzzSeeds(join(dir, 'seeds'));
    const failures: FuzzFailure[] = [];
    const codes = new Map<number, number>();
    for (let i = 0; i < CASES; i++) {
      const r = await runFuzzCase(seeds, 1, i, join(dir, 'case'));
      failures.push(...r.failures);
      for (const x of r.runs) codes.set(x.code, (codes.get(x.code) ?? 0) + 1);
    }
    expect(failures, JSON.stringify(failures.slice(0, 5), null, 1)).toEqual([]);
    // The mutations reach both outcomes (a run that only ever fails to parse tests nothing past the framing).
    expect(codes.get(0) ?? 0).toBeGreaterThan(0);
    expect(codes.get(2) ?? 0).toBeGreaterThan(0);
  });
});
