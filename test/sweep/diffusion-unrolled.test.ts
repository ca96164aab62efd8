/**
 * The `diffusionLoop` setting's third value, 'unrolled' (the DDIM steps as straight-line copies, no Loop node):
 * a sweep spec takes it, names and ids it apart from the Loop, the ranking explains it, a bad value is one line
 * naming the field; `run --diffusion-loop <mode>` takes the same values.
 */
import { describe, expect, test } from 'vitest';
import { dittoCallsText } from '../../src/sweep/rank.js';
import { expandVariants, parseSweepSpec } from '../../src/sweep/spec.js';
import { runCli } from '../helpers/capture.js';

describe("diffusionLoop: 'unrolled'", () => {
  test('a variant takes it, apart from the Loop in name and id', () => {
    const vs = expandVariants(parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ diffusionLoop: true }, { diffusionLoop: 'unrolled' }] }));
    const [loop, unrolled] = vs.slice(-2);
    expect(unrolled?.settings?.diffusionLoop).toBe('unrolled');
    expect(unrolled?.name).toContain('dunrolled');
    expect(loop?.name).toContain('dloop');
    expect(unrolled?.id).not.toBe(loop?.id);
    expect(dittoCallsText({ diffusionLoop: 'unrolled' })).toMatch(/unrolled/);
  });

  test('a bad value names the field', () => {
    expect(() => parseSweepSpec({ schemaVersion: 1, name: 's', variants: [{ diffusionLoop: 'yes' }] })).toThrow(
      /variants\[0\]\.diffusionLoop: expected false, true or 'unrolled', got "yes"/,
    );
  });

  test('run --diffusion-loop with another value is a usage error, exit 2', async () => {
    const r = await runCli(['run', '--text', 'hi', '--diffusion-loop', 'sideways', '--out', '/tmp/wb-never']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/--diffusion-loop: expected no value or 'unrolled', got 'sideways'/);
  });
});
