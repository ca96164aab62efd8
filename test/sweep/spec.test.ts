import { describe, expect, it } from 'vitest';
import { DEFAULT_SWEEP_SPEC, expandVariants, parseSweepSpec, resolvePasses } from '../../src/sweep/spec.js';

describe('sweep spec', () => {
  it('expands baseline, explicit variants and a capped grid with stable, unique ids', () => {
    const spec = parseSweepSpec({
      schemaVersion: 1,
      name: 'g',
      steps: 4,
      variants: [{ precision: { '*': 'fp16' } }],
      grid: { precision: ['fp32', 'fp16', 'int8-dynamic'], resolution: [128, 96], steps: [4, 2] },
      maxVariants: 5,
    });
    const v = expandVariants(spec);
    expect(v[0]?.baseline).toBe(true);
    expect(v[0]?.name).toBe('fp32-baseline');
    expect(v[1]?.name).toBe('fp16');
    // The grid's all-default point equals the baseline and its fp16 point equals variant 1: both dropped.
    expect(v.length).toBe(2 + 5);
    expect(new Set(v.map((x) => x.id)).size).toBe(v.length);
    expect(v.map((x) => x.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(expandVariants(spec).map((x) => x.id)).toEqual(v.map((x) => x.id));
  });

  it('ids ignore names but see settings', () => {
    const a = expandVariants({ schemaVersion: 1, name: 'a', variants: [{ name: 'x', precision: { decoder: 'fp16' } }] });
    const b = expandVariants({ schemaVersion: 1, name: 'b', variants: [{ name: 'y', precision: { decoder: 'fp16' } }, { precision: { decoder: 'wo4' } }] });
    expect(a[1]?.id).toBe(b[1]?.id);
    expect(b[2]?.id).not.toBe(b[1]?.id);
  });

  it('resolves shorthands to passes; a role precision overrides *', () => {
    const r = resolvePasses({ precision: { '*': 'int8-dynamic', decoder: 'fp32' }, resolution: 96, mixedBudget: 1 });
    const res = { pass: 'resolution', outputSize: 96, keepInputs: true };
    const int8 = { pass: 'int8', mode: 'dynamic' };
    expect(r.decoder).toEqual([res]); // fp32 wins over '*'
    expect(r.warp_network).toEqual([int8]); // the warp's hourglass keeps its grid
    expect(r.appearance_extractor).toEqual([int8]);
    expect(r.gpt_decode).toEqual([int8]);
    expect(r['*']).toEqual([{ pass: 'mixed', budget: 1 }]);
    expect(Object.keys(r).filter((k) => k !== '*')).toHaveLength(12);
  });

  it('names the file and field of a bad spec', () => {
    expect(() => parseSweepSpec({ schemaVersion: 1, name: 'x', variants: [{ precision: { decoder: 'fp8' } }] }, 's.json')).toThrow(
      "s.json: variants[0].precision.decoder: unknown precision 'fp8'. Should be one of: fp32, fp16, int8-dynamic, int8-static, wo8, wo4.",
    );
    expect(() => parseSweepSpec({ schemaVersion: 1, name: 'x', grid: { colour: [1] } }, 's.json')).toThrow(/grid.colour: unknown axis/);
    expect(() => parseSweepSpec({ schemaVersion: 2 }, 's.json')).toThrow(/schemaVersion: expected 1/);
    expect(() => parseSweepSpec({ schemaVersion: 1, name: 'x', variants: [{ passes: { vocoder: [] } }] }, 's.json')).toThrow(/unknown role 'vocoder'/);
    // Provider options may name the composed renderer (its CUDA graph), not an unknown role.
    const withRenderer = parseSweepSpec(
      { schemaVersion: 1, name: 'x', variants: [{ backend: 'native', renderGraph: 'baked', providerOptions: { renderer: { enable_cuda_graph: '1' } } }] },
      's.json',
    );
    expect(withRenderer.variants?.[0]?.providerOptions).toEqual({ renderer: { enable_cuda_graph: '1' } });
    expect(() => parseSweepSpec({ schemaVersion: 1, name: 'x', variants: [{ providerOptions: { vocoder: { prefer_nhwc: '1' } } }] }, 's.json')).toThrow(
      /providerOptions.vocoder: unknown role/,
    );
  });

  it('the default spec is valid', () => {
    expect(parseSweepSpec(JSON.parse(JSON.stringify(DEFAULT_SWEEP_SPEC)))).toBeTruthy();
  });
});
