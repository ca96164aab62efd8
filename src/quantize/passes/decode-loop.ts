/** The `decode-loop` pass in the registry: `--decode-loop`, sweep `{ pass: 'decode-loop' }` (gpt_decode only). */
import { DECODE_LOOP_NAME, decodeLoopWithReport, type DecodeLoopOptions, type DecodeLoopStat } from '../decode-loop.js';
import { specFail, type PassDef } from '../pass-def.js';

/** gpt_decode only: generate each streaming chunk's tokens in one call (src/quantize/decode-loop.ts). */
export interface DecodeLoopSweepPass {
  pass: 'decode-loop';
}

export const decodeLoopPass: PassDef<'decode-loop', DecodeLoopOptions | undefined, DecodeLoopSweepPass, DecodeLoopStat> = {
  name: 'decode-loop',
  summary: "XTTS gpt_decode: a chunk of tokens per call (a Loop around the step and XTTS's sampler)",
  records: [DECODE_LOOP_NAME],
  defaults: {},
  run: (m, o) => decodeLoopWithReport(m, o),
  cli: {
    usage: '--decode-loop',
    flags: [
      {
        flags: '--decode-loop',
        description: "XTTS gpt_decode: generate a chunk of tokens per call (a Loop around the step and XTTS's sampler; runs after the other passes)",
      },
    ],
    // Registered last: the loop is built around the (rewritten) decode step.
    fromFlags: (f) => (f.bool('decode-loop') ? {} : undefined),
  },
  sweep: {
    parse(p, at) {
      if (!at.field.includes('.gpt_decode[')) specFail(at, '.pass', "'decode-loop' rewrites gpt_decode only");
      return p as unknown as DecodeLoopSweepPass;
    },
    toOptimize: () => undefined,
    calibrates: () => false,
  },
};
