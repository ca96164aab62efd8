/** The `fp16` pass in the registry: `--fp16` and its block-list flags, sweep `{ pass: 'fp16', keepIo?, blockList? }`. */
import { FP16_DEFAULT_OP_BLOCK_LIST, FP16_DEFAULTS, FP16_NAME, fp16WithReport, type Fp16Options, type Fp16Stat } from '../fp16.js';
import type { FlagReader, PassDef } from '../pass-def.js';

/** A sweep's fp16 pass (`keepIo` unset: the driver picks per role). */
export interface Fp16SweepPass {
  pass: 'fp16';
  keepIo?: boolean;
  blockList?: string[];
}

/** The fp16 options the flags give (shared with `--mixed`, which lowers through the same pass). */
export function fp16OptionsFromFlags(f: FlagReader): Fp16Options {
  const o: Fp16Options = { keepIoTypes: f.bool('keep-io-types') };
  if (f.optionalBool('output-tail') === false) o.keepOutputTail = false;
  if (f.optionalBool('grid-chain') === false) o.keepGridChain = false;
  const opBlock = f.list('op-block-list');
  if (opBlock) o.opBlockList = opBlock;
  if (f.string('node-block-list')) o.nodeBlockList = f.list('node-block-list') ?? [];
  // The CLI drops the source model after the pass: converting its initializers in place halves peak memory.
  o.inPlace = true;
  return o;
}

export const fp16Pass: PassDef<'fp16', Fp16Options, Fp16SweepPass, Fp16Stat> = {
  name: 'fp16',
  summary: 'float32 → float16 weights and activations, with float32 kept where ORT or accuracy needs it',
  records: [FP16_NAME],
  defaults: FP16_DEFAULTS,
  run: fp16WithReport,
  cli: {
    usage: '--fp16',
    flags: [
      { flags: '--fp16', description: 'float32 → float16 weights and activations' },
      { flags: '--keep-io-types', description: 'keep float32 graph inputs/outputs (Casts at the boundary)' },
      {
        flags: '--no-output-tail',
        description: 'with --keep-io-types: also lower the elementwise/data-movement nodes that only feed outputs (kept float32 by default)',
      },
      { flags: '--no-grid-chain', description: "compute a kept GridSample's grid in float16 and cast it (default: the grid chain stays float32)" },
      {
        flags: '--op-block-list <ops>',
        description: `op types kept in float32, comma-separated (default: ${FP16_DEFAULT_OP_BLOCK_LIST.slice(0, 12).join(',')},…)`,
      },
      { flags: '--node-block-list <names>', description: 'node names kept in float32, comma-separated' },
    ],
    // --mixed runs the fp16 pass itself, on the nodes its search lowers.
    fromFlags: (f) => (f.bool('fp16') && !f.given('mixed') ? fp16OptionsFromFlags(f) : undefined),
  },
  sweep: {
    parse: (p) => p as unknown as Fp16SweepPass,
    toOptimize(p) {
      const o: Fp16Options = {};
      if (p.keepIo !== undefined) o.keepIoTypes = p.keepIo;
      if (p.blockList) o.nodeBlockList = p.blockList;
      return o;
    },
    calibrates: () => false,
  },
};
