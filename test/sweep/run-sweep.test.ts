import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeResults } from '../../src/sweep/merge-results.js';
import { readResults } from '../../src/sweep/result-store.js';
import { runSweep } from '../../src/sweep/run-sweep.js';
import { parseShard } from '../../src/sweep/shard.js';
import { DEFAULT_SWEEP_SPEC, expandVariants } from '../../src/sweep/spec.js';
import { createFakeDriver } from './helpers/fake-driver.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'wb-sweep-'));
const quiet = (): void => undefined;

describe('runSweep (fake driver)', () => {
  it('runs the baseline first, measures every variant against it and logs progress', async () => {
    const out = tmp();
    const driver = createFakeDriver();
    const lines: string[] = [];
    const r = await runSweep(DEFAULT_SWEEP_SPEC, { out, ep: 'cpu', driver, log: (s) => lines.push(s) });
    const planned = expandVariants(DEFAULT_SWEEP_SPEC);
    expect(r.ran).toBe(planned.length);
    const stored = readResults(join(out, 'results.jsonl')).results;
    expect(stored.map((x) => x.id)).toEqual(planned.map((p) => p.id));
    expect(stored[0]?.baseline).toBe(true);
    expect(stored.slice(1).every((x) => x.metrics?.quality?.framePsnrMean !== undefined)).toBe(true);
    expect(driver.runs[0]).toBe(planned[0]?.id);
    const text = lines.join('');
    expect(text).toMatch(/\[0\/6 \S+ eta \?\] fp32-baseline: start/);
    expect(text).toMatch(/\[6\/6 \S+ eta 0s\] fp16\+res-96: ok \(rtf /);
    expect(text).toMatch(/fp16: build\n/);
  });

  it('resume skips finished variants, repairs a torn last line and never duplicates', async () => {
    const out = tmp();
    await runSweep(DEFAULT_SWEEP_SPEC, { out, ep: 'cpu', driver: createFakeDriver(), log: quiet });
    const file = join(out, 'results.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    // Keep three complete lines and half of the fourth, as a kill mid-write would.
    writeFileSync(file, `${lines.slice(0, 3).join('\n')}\n${lines[3]?.slice(0, 40)}`);
    const driver = createFakeDriver();
    const r = await runSweep(DEFAULT_SWEEP_SPEC, { out, ep: 'cpu', resume: true, driver, log: quiet });
    expect(r.repaired).toBe(true);
    expect(r.skipped).toBe(3);
    expect(driver.runs.length).toBe(lines.length - 3);
    const ids = readResults(file).results.map((x) => x.id);
    expect(ids.sort()).toEqual(
      expandVariants(DEFAULT_SWEEP_SPEC)
        .map((p) => p.id)
        .sort(),
    );
    // A second resume runs nothing.
    const again = createFakeDriver();
    await runSweep(DEFAULT_SWEEP_SPEC, { out, ep: 'cpu', resume: true, driver: again, log: quiet });
    expect(again.runs).toEqual([]);
  });

  it('records a failing variant and goes on', async () => {
    const out = tmp();
    const r = await runSweep(DEFAULT_SWEEP_SPEC, { out, ep: 'cpu', driver: createFakeDriver({ failBuild: ['fp16'] }), log: quiet });
    const fp16 = r.results.find((x) => x.name === 'fp16');
    expect(fp16?.status).toBe('error');
    expect(fp16?.error).toMatch(/fake build failure/);
    expect(r.results.filter((x) => x.status === 'ok').length).toBe(r.results.length - 1);
  });

  it('shards split the variants and merge back to one result per id', async () => {
    const a = tmp();
    const b = tmp();
    await runSweep(DEFAULT_SWEEP_SPEC, { out: a, ep: 'cpu', shard: parseShard('0/2'), driver: createFakeDriver(), log: quiet });
    await runSweep(DEFAULT_SWEEP_SPEC, { out: b, ep: 'cpu', shard: parseShard('1/2'), driver: createFakeDriver(), log: quiet });
    const ra = readResults(join(a, 'results.jsonl')).results;
    const rb = readResults(join(b, 'results.jsonl')).results;
    expect(ra.map((x) => x.index)).toEqual([0, 2, 4]);
    expect(rb.map((x) => x.index)).toEqual([0, 1, 3, 5]); // every shard runs the baseline as its reference
    const merged = mergeResults([a, b], tmp()).results;
    expect(merged.map((x) => x.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('rejects a bad shard and a corrupt line in the middle', () => {
    expect(() => parseShard('2/2')).toThrow(/0 <= i < n/);
    expect(() => parseShard('x')).toThrow(/expected i\/n/);
    const f = join(tmp(), 'results.jsonl');
    writeFileSync(f, 'not json\n');
    appendFileSync(f, '{"a":1}\n');
    expect(() => readResults(f)).toThrow(/line 1: not JSON/);
  });
});
