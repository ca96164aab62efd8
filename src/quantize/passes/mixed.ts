/** The `mixed` pass in the registry: `--mixed auto` and its flags, sweep `{ pass: 'mixed', budget }`. */
import { UsageError } from '../../errors.js';
import { loadCalibrationDir } from '../calibrate.js';
import { MIXED_DEFAULT_EP, MIXED_DEFAULTS, MIXED_NAME, mixedPrecision, type MixedOptions, type MixedStat } from '../mixed.js';
import { specFail, type PassDef } from '../pass-def.js';
import { fp16OptionsFromFlags } from './fp16.js';

/** A sweep's mixed pass: the output error budget; `keepIo` as the fp16 pass's (unset: the driver picks per role). */
export interface MixedSweepPass {
  pass: 'mixed';
  budget: number;
  keepIo?: boolean;
}

export const mixedPass: PassDef<'mixed', MixedOptions, MixedSweepPass, MixedStat> = {
  name: 'mixed',
  summary: 'mixed precision search: lower every node the output error budget allows, keep the sensitive ones float32',
  records: [MIXED_NAME],
  defaults: { ...MIXED_DEFAULTS, ep: MIXED_DEFAULT_EP },
  run: mixedPrecision,
  cli: {
    usage: '--mixed auto',
    flags: [
      { flags: '--mixed <mode>', description: "mixed precision search ('auto')" },
      {
        flags: '--mixed-ep <ep>',
        description: 'mixed: execution provider that measures sensitivity (use the target: cuda shows real float16 arithmetic)',
        default: MIXED_DEFAULT_EP,
      },
      { flags: '--max-error <e>', description: 'mixed: output relative L2 budget', default: String(MIXED_DEFAULTS.maxError) },
      { flags: '--target <t>', description: 'mixed: what to lower to', choices: ['fp16', 'int8'], default: MIXED_DEFAULTS.target },
      { flags: '--calib-inputs <dir>', description: 'mixed: inputs to measure on (default: seeded random inputs)' },
    ],
    fromFlags(f, ctx) {
      const mode = f.string('mixed');
      if (mode === undefined) return undefined;
      if (mode !== 'auto') throw new UsageError(`--mixed: only 'auto' is supported, got '${mode}'`);
      const dir = f.string('calib-inputs');
      const samples = dir ? loadCalibrationDir(dir, ctx.loadModel()) : undefined;
      const o: MixedOptions = { target: f.string('target') === 'int8' ? 'int8' : 'fp16', maxError: f.number('max-error') ?? MIXED_DEFAULTS.maxError };
      if (samples) o.samples = samples;
      o.fp16 = { ...fp16OptionsFromFlags(f), inPlace: false };
      o.int8 = { targetEp: 'cpu' };
      o.ep = f.string('mixed-ep') === 'cuda' ? 'cuda' : 'cpu';
      return o;
    },
  },
  sweep: {
    parse(p, at) {
      if (typeof p.budget !== 'number' || !(p.budget >= 0)) specFail(at, '.budget', `expected a number >= 0, got ${JSON.stringify(p.budget)}`);
      if (p.keepIo !== undefined && typeof p.keepIo !== 'boolean') specFail(at, '.keepIo', `expected true or false, got ${JSON.stringify(p.keepIo)}`);
      return p as unknown as MixedSweepPass;
    },
    toOptimize(p, ctx) {
      const o: MixedOptions = { target: 'fp16', maxError: p.budget, ep: ctx.ep };
      if (p.keepIo !== undefined) o.fp16 = { keepIoTypes: p.keepIo };
      if (ctx.samples) o.samples = ctx.samples;
      return o;
    },
    calibrates: () => true,
  },
};
