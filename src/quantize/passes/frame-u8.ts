/** The `frame-u8` pass in the registry: `--frame-u8 [output]` (no sweep form: the runner's renderGraph applies it). */
import { FRAME_U8_DEFAULTS, FRAME_U8_NAME, frameU8WithReport, type FrameU8Options, type FrameU8Stat } from '../frame-u8.js';
import type { PassDef } from '../pass-def.js';

export const frameU8Pass: PassDef<'frame-u8', FrameU8Options | undefined, never, FrameU8Stat> = {
  name: 'frame-u8',
  summary: "Ditto decoder/renderer: float [N,3,H,W] frames → the runner's 8-bit RGB [N,H,W,3] inside the graph",
  records: [FRAME_U8_NAME],
  defaults: FRAME_U8_DEFAULTS,
  run: (m, o) => frameU8WithReport(m, o),
  cli: {
    usage: '--frame-u8 [output]',
    flags: [
      {
        flags: '--frame-u8 [output]',
        description: `Ditto decoder/renderer: the frames as 8-bit RGB NHWC in the graph (output default '${FRAME_U8_DEFAULTS.output}'; the runner's rounding, exactly)`,
      },
    ],
    fromFlags(f) {
      const v = f.value('frame-u8');
      if (v === undefined) return undefined;
      return v === true ? {} : { output: v };
    },
  },
};
