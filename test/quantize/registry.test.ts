/**
 * The pass registry is the one vocabulary of passes: the optimize CLI flags, the sweep's pass syntax and the
 * `workbench.passes` record names derive from it, and a pass added to it shows up in all of them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { optimizeCommand, passesFromFlags } from '../../src/cli/commands/optimize.js';
import { out } from '../../src/cli/state.js';
import { cloneModel } from '../../src/onnx/graph-utils.js';
import { readModel } from '../../src/onnx/read-model.js';
import type { Model } from '../../src/onnx/types.js';
import { verifyModel } from '../../src/onnx/verify.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { CALIBRATE_DEFAULTS } from '../../src/quantize/calibrate.js';
import { newReport, readPassRecords, recordPass, type PassResult } from '../../src/quantize/common.js';
import { INT8_DYNAMIC_DEFAULTS } from '../../src/quantize/int8.js';
import { WO_DEFAULTS } from '../../src/quantize/matmul-nbits.js';
import { MIXED_DEFAULTS } from '../../src/quantize/mixed.js';
import { optimize } from '../../src/quantize/optimize.js';
import type { PassDef } from '../../src/quantize/pass-def.js';
import { findPass, listSweepPasses, PASS_REGISTRY, type PassList } from '../../src/quantize/registry.js';
import { applyPasses, toOptimizePasses } from '../../src/sweep/apply-passes.js';
import { checkPass } from '../../src/sweep/spec.js';
import { chainModel, convNet } from './models.js';

/** A pass a test registers: it only records itself. Its descriptor is all a new pass needs. */
interface NoopSweepPass {
  pass: 'noop';
  label?: string;
}
const NOOP_NAME = 'noop';
const noopPass: PassDef<'noop', { label: string }, NoopSweepPass> = {
  name: 'noop',
  summary: 'records itself and changes nothing (a test pass)',
  records: [NOOP_NAME],
  defaults: { label: 'x' },
  run(model: Model, o): PassResult {
    const m = cloneModel(model);
    const report = newReport(NOOP_NAME, o);
    recordPass(m, NOOP_NAME, { ...o });
    verifyModel(m, NOOP_NAME);
    return { model: m, report };
  },
  cli: {
    usage: '--noop',
    flags: [
      { flags: '--noop', description: 'the test pass' },
      { flags: '--noop-label <s>', description: 'its label', default: 'x' },
    ],
    fromFlags: (f) => (f.bool('noop') ? { label: f.string('noop-label') ?? 'x' } : undefined),
  },
  sweep: {
    parse: (p) => p as unknown as NoopSweepPass,
    toOptimize: (p) => ({ label: p.label ?? 'x' }),
    calibrates: () => false,
  },
};
const withNoop: PassList = [...PASS_REGISTRY, noopPass];

/** The long flags of the optimize command built from `registry`. */
function cliFlags(registry: PassList): string[] {
  return optimizeCommand(registry).options.map((o) => o.long ?? '');
}

async function runOptimize(registry: PassList, args: string[]): Promise<string> {
  let stdout = '';
  const saved = out.write;
  out.write = (s: string) => void (stdout += s);
  try {
    await optimizeCommand(registry).exitOverride().parseAsync(args, { from: 'user' });
  } finally {
    out.write = saved;
  }
  return stdout;
}

describe('pass registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wb-registry-'));

  it('names each pass once: every name is an optimize flag, a sweep pass is a registered one, records are unique', () => {
    const names = PASS_REGISTRY.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    const flags = cliFlags(PASS_REGISTRY);
    for (const n of names) expect(flags, n).toContain(`--${n}`);
    // Every optimize flag is a pass's flag or one of the command's own.
    const own = ['--output', '--target-ep', '--no-placement-check', '--external-data', '--report', '--json'];
    const passFlags = PASS_REGISTRY.flatMap((p) => p.cli.flags.map((f) => f.flags.split(' ')[0]));
    expect([...flags].sort()).toEqual([...own, ...passFlags].sort());
    expect(listSweepPasses().map((p) => p.name)).toEqual(['resolution', 'pad-channels', 'fp16', 'mixed', 'int8', 'wo', 'static-kv', 'decode-loop']);
    const records = PASS_REGISTRY.flatMap((p) => p.records);
    expect(new Set(records).size).toBe(records.length);
  });

  it('the sweep spec accepts exactly the registered passes with a sweep form', () => {
    const samples: Record<string, Record<string, unknown>> = {
      resolution: { outputSize: 96 },
      'pad-channels': { multiple: 16 },
      fp16: { blockList: ['n'] },
      mixed: { budget: 0.01 },
      int8: { mode: 'dynamic' },
      wo: { bits: 4 },
      'static-kv': { capacity: 512 },
      'decode-loop': {},
    };
    const field = 'variants[0].passes.gpt_decode[0]';
    for (const def of PASS_REGISTRY) {
      const p = { pass: def.name, ...samples[def.name] };
      if (def.sweep) expect(checkPass('spec.json', field, p), def.name).toEqual(p);
      else expect(() => checkPass('spec.json', field, p), def.name).toThrow(`spec.json: ${field}.pass: unknown pass '${def.name}'`);
    }
    expect(Object.keys(samples).sort()).toEqual(
      listSweepPasses()
        .map((d) => d.name)
        .sort(),
    );
    expect(() => checkPass('spec.json', field, { pass: 'wo', bits: 3 })).toThrow('spec.json: variants[0].passes.gpt_decode[0].bits: expected 8 or 4, got 3');
  });

  it('takes the CLI defaults from the passes X_DEFAULTS', () => {
    const defaults = Object.fromEntries(optimizeCommand().options.map((o) => [o.long, o.defaultValue as unknown]));
    expect(defaults['--block-size']).toBe(String(WO_DEFAULTS.blockSize));
    expect(defaults['--percentile']).toBe(String(CALIBRATE_DEFAULTS.percentile));
    expect(defaults['--calib-method']).toBe(CALIBRATE_DEFAULTS.method);
    expect(defaults['--max-error']).toBe(String(MIXED_DEFAULTS.maxError));
    expect(defaults['--target']).toBe(MIXED_DEFAULTS.target);
    expect(defaults['--int8-format']).toBe(INT8_DYNAMIC_DEFAULTS.format);
    expect(defaults['--target-ep']).toBe(INT8_DYNAMIC_DEFAULTS.targetEp);
  });

  it('builds the pass list from flags in registry order; the "no pass" hint lists every pass', () => {
    const f = { targetEp: 'cpu' as const, wo: '8', blockSize: '64', fp16: true, resolution: '8', input: [] };
    const passes = passesFromFlags(f, () => convNet());
    expect(passes.map((p) => p.pass)).toEqual(['resolution', 'fp16', 'wo']);
    expect(passes[2]?.options).toEqual({ bits: 8, blockSize: 64, asymmetric: true });
    expect(() => passesFromFlags({ targetEp: 'cpu', input: [] }, () => convNet())).toThrow(
      'no pass given: use --resolution, --input, --pad-channels [multiple], --fp16, --mixed auto, --int8 dynamic|static, --wo 4|8, --batch, --frame-u8 [output], --diffusion-loop, --static-kv [capacity] or --decode-loop',
    );
    expect(() => passesFromFlags({ targetEp: 'cpu', input: [], wo: '3' }, () => convNet())).toThrow("--wo: expected 4 or 8, got '3'");
    expect(() => passesFromFlags({ targetEp: 'cpu', input: [], wo: '4', blockSize: 'x' }, () => convNet())).toThrow("--block-size: expected a number, got 'x'");
  });

  it('records the names its entries declare in workbench.passes', async () => {
    const cases = [
      { pass: 'fp16', options: {} },
      { pass: 'int8', options: { mode: 'dynamic', targetEp: 'cpu' } },
      { pass: 'resolution', options: { size: 8 } },
    ] as const;
    for (const c of cases) {
      const r = await optimize(convNet(), [c]);
      expect(
        readPassRecords(r.model).map((x) => x.pass),
        c.pass,
      ).toEqual(findPass(c.pass)?.records.slice(0, 1));
    }
    const wo = await optimize(chainModel(), [{ pass: 'wo', options: { bits: 4 } }]);
    expect(readPassRecords(wo.model).map((x) => x.pass)).toEqual(findPass('wo')?.records);
  });

  it('a registered pass appears in the CLI flags and help, the sweep syntax and the metadata', async () => {
    expect(cliFlags(withNoop)).toEqual(expect.arrayContaining(['--noop', '--noop-label']));
    expect(cliFlags(PASS_REGISTRY)).not.toContain('--noop');
    let help = '';
    optimizeCommand(withNoop)
      .configureOutput({ writeOut: (s) => void (help += s) })
      .outputHelp();
    expect(help).toMatch(/^ {2}noop +records itself and changes nothing \(a test pass\)$/m);

    // CLI: optimize --noop runs it and the written model records it.
    const src = join(dir, 'in.onnx');
    const dst = join(dir, 'noop.onnx');
    writeModel(convNet(), src);
    const stdout = await runOptimize(withNoop, [src, '-o', dst, '--noop', '--noop-label', 'y', '--target-ep', 'cpu']);
    expect(stdout).toMatch(/^passes: noop$/m);
    expect(readPassRecords(readModel(dst).model)).toEqual([{ pass: 'noop', options: { label: 'y' } }]);

    // Sweep: the spec validates it, and apply-passes maps and runs it.
    const at = ['spec.json', 'variants[0].passes.decoder[0]'] as const;
    expect(checkPass(...at, { pass: 'noop', label: 'z' }, withNoop)).toEqual({ pass: 'noop', label: 'z' });
    expect(() => checkPass(...at, { pass: 'noop' })).toThrow(
      /unknown pass 'noop'. Should be one of: resolution, pad-channels, fp16, mixed, int8, wo, static-kv, decode-loop\./,
    );
    const spec: NoopSweepPass = { pass: 'noop', label: 'z' };
    expect(toOptimizePasses([spec], { ep: 'cpu' }, '', withNoop)).toEqual([{ pass: 'noop', options: { label: 'z' } }]);
    const m = await applyPasses(convNet(), [{ pass: 'noop' }], { ep: 'cpu' }, 'v/decoder', withNoop);
    expect(readPassRecords(m)).toEqual([{ pass: 'noop', options: { label: 'x' } }]);
  });
});

describe('pass records', () => {
  it('a pass that records under a name its entry does not list fails in optimize, naming both', async () => {
    const misnamed: PassDef<'misnamed', undefined> = {
      name: 'misnamed',
      summary: 'records itself as noop',
      records: ['misnamed'],
      defaults: {},
      run: (m) => noopPass.run(m, { label: 'x' }),
      cli: { usage: '--misnamed', flags: [], fromFlags: () => undefined },
    };
    const registry: PassList = [...PASS_REGISTRY, misnamed];
    await expect(optimize(convNet(), [{ pass: 'misnamed' }], { registry })).rejects.toThrow(
      "pass misnamed: recorded 'noop' in workbench.passes; its registry entry lists misnamed",
    );
  });
});
