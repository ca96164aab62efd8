/** The `pad-channels` pass in the registry: `--pad-channels [multiple]`, `--pad-min-channels <n>`; sweep `{ pass: 'pad-channels', multiple?, minChannels? }`. */
import {
  PAD_CHANNELS_DEFAULTS,
  PAD_CHANNELS_NAME,
  padChannelsOptions,
  padChannelsWithReport,
  type PadChannelsOptions,
  type PadChannelsStat,
} from '../pad-channels.js';
import { specFail, type PassDef } from '../pass-def.js';

/** A sweep's channel-padding pass. */
export interface PadChannelsSweepPass {
  pass: 'pad-channels';
  multiple?: number;
  minChannels?: number;
}

const wholeAtLeastOne = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x) && x >= 1;

export const padChannelsPass: PassDef<'pad-channels', PadChannelsOptions, PadChannelsSweepPass, PadChannelsStat> = {
  name: 'pad-channels',
  summary: "Conv channel counts padded with zeros to a multiple (8: FP16 tensor cores' alignment); the same function",
  records: [PAD_CHANNELS_NAME],
  defaults: PAD_CHANNELS_DEFAULTS,
  run: padChannelsWithReport,
  cli: {
    usage: '--pad-channels [multiple]',
    flags: [
      {
        flags: '--pad-channels [multiple]',
        description: `zero-pad Conv input/output channels to a multiple (default ${PAD_CHANNELS_DEFAULTS.multiple}) for aligned tensor-core kernels; same outputs`,
      },
      {
        flags: '--pad-min-channels <n>',
        description: 'with --pad-channels: leave channel counts below n alone',
        default: String(PAD_CHANNELS_DEFAULTS.minChannels),
      },
    ],
    fromFlags(f) {
      const v = f.value('pad-channels');
      if (v === undefined) return undefined;
      const o: PadChannelsOptions = {};
      if (v !== true) o.multiple = f.number('pad-channels');
      const min = f.number('pad-min-channels');
      if (min !== undefined) o.minChannels = min;
      return padChannelsOptions(o);
    },
  },
  sweep: {
    parse(p, at) {
      for (const k of ['multiple', 'minChannels'] as const)
        if (p[k] !== undefined && !wholeAtLeastOne(p[k])) specFail(at, `.${k}`, `expected a whole number ≥ 1, got ${JSON.stringify(p[k])}`);
      return p as unknown as PadChannelsSweepPass;
    },
    toOptimize: (p) => ({
      ...(p.multiple !== undefined ? { multiple: p.multiple } : {}),
      ...(p.minChannels !== undefined ? { minChannels: p.minChannels } : {}),
    }),
    calibrates: () => false,
  },
};
