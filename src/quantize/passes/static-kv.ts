/** The `static-kv` pass in the registry: `--static-kv [capacity]`; sweep `{ pass: 'static-kv', capacity? }` (gpt_decode only). */
import { STATIC_KV_DEFAULTS, STATIC_KV_NAME, staticKvWithReport, type StaticKvOptions, type StaticKvStat } from '../static-kv.js';
import { specFail, type PassDef } from '../pass-def.js';

/** gpt_decode only: the KV cache in fixed-capacity buffers (src/quantize/static-kv.ts). */
export interface StaticKvSweepPass {
  pass: 'static-kv';
  capacity?: number;
}

export const staticKvPass: PassDef<'static-kv', StaticKvOptions | undefined, StaticKvSweepPass, StaticKvStat> = {
  name: 'static-kv',
  summary: 'XTTS gpt_decode: the KV cache in fixed-capacity buffers (static shapes; CUDA graphs can replay the step)',
  records: [STATIC_KV_NAME],
  defaults: STATIC_KV_DEFAULTS,
  run: (m, o) => staticKvWithReport(m, o),
  cli: {
    usage: '--static-kv [capacity]',
    flags: [
      {
        flags: '--static-kv [capacity]',
        description: `XTTS gpt_decode: KV cache rows fixed at capacity (default ${STATIC_KV_DEFAULTS.capacity}); instead of --decode-loop`,
      },
    ],
    fromFlags(f) {
      const v = f.value('static-kv');
      if (v === undefined) return undefined;
      return v === true ? {} : { capacity: f.number('static-kv') ?? STATIC_KV_DEFAULTS.capacity };
    },
  },
  sweep: {
    parse(p, at) {
      if (!at.field.includes('.gpt_decode[')) specFail(at, '.pass', "'static-kv' rewrites gpt_decode only");
      if (p.capacity !== undefined && (typeof p.capacity !== 'number' || !Number.isInteger(p.capacity) || p.capacity < 2))
        specFail(at, '.capacity', `expected an integer ≥ 2, got ${JSON.stringify(p.capacity)}`);
      return p as unknown as StaticKvSweepPass;
    },
    toOptimize: (p) => (p.capacity !== undefined ? { capacity: p.capacity } : {}),
    calibrates: () => false,
  },
};
