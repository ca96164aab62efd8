/** The `diffusion-loop` pass in the registry: `--diffusion-loop [steps]` (no sweep form: a variant's `steps` drives the runner). */
import { DIFFUSION_LOOP_DEFAULTS, DIFFUSION_LOOP_NAME, diffusionLoopWithReport, type DiffusionLoopOptions, type DiffusionLoopStat } from '../diffusion-loop.js';
import { UsageError } from '../../errors.js';
import { parseNumberFlag, type PassDef } from '../pass-def.js';

export const diffusionLoopPass: PassDef<'diffusion-loop', DiffusionLoopOptions, never, DiffusionLoopStat> = {
  name: 'diffusion-loop',
  summary: 'Ditto LMDM: DDIM sampling as one ONNX Loop per window',
  records: [DIFFUSION_LOOP_NAME],
  defaults: DIFFUSION_LOOP_DEFAULTS,
  run: diffusionLoopWithReport,
  cli: {
    usage: '--diffusion-loop',
    flags: [
      {
        flags: '--diffusion-loop [steps]',
        description: `Ditto LMDM: DDIM sampling as one ONNX Loop per window (default ${DIFFUSION_LOOP_DEFAULTS.steps} steps; the runner's --steps must match)`,
      },
      {
        flags: '--diffusion-unroll',
        description: 'with --diffusion-loop: the steps as straight-line copies of the step graph, no Loop node (a CUDA graph can capture the window)',
      },
    ],
    fromFlags(f) {
      const v = f.value('diffusion-loop');
      const unroll = f.value('diffusion-unroll') !== undefined;
      if (v === undefined) {
        if (unroll) throw new UsageError('--diffusion-unroll: needs --diffusion-loop');
        return undefined;
      }
      return { ...(v === true ? {} : { steps: parseNumberFlag('diffusion-loop', v) }), ...(unroll ? { unroll: true } : {}) };
    },
  },
};
