/** The `wo` pass in the registry (weight-only MatMulNBits): `--wo 4|8`, `--block-size`, `--symmetric`; sweep `{ pass: 'wo', bits }`. */
import { UsageError } from '../../errors.js';
import { matMulNBitsWithReport, WO_DEFAULTS, WO_NAME, type MatMulNBitsOptions, type WoStat } from '../matmul-nbits.js';
import { specFail, type PassDef } from '../pass-def.js';

/** A sweep's weight-only pass. */
export interface WoSweepPass {
  pass: 'wo';
  bits: 8 | 4;
  blockSize?: number;
}

export const woPass: PassDef<'wo', MatMulNBitsOptions, WoSweepPass, WoStat> = {
  name: 'wo',
  summary: 'weight-only quantization: MatMul weights as 4- or 8-bit MatMulNBits blocks',
  records: [WO_NAME],
  defaults: WO_DEFAULTS,
  run: matMulNBitsWithReport,
  cli: {
    usage: '--wo 4|8',
    flags: [
      { flags: '--wo <bits>', description: 'weight-only MatMulNBits with 4 or 8 bits' },
      { flags: '--block-size <n>', description: 'MatMulNBits block size', default: String(WO_DEFAULTS.blockSize) },
      { flags: '--symmetric', description: 'MatMulNBits without zero points' },
    ],
    fromFlags(f) {
      const bits = f.number('wo');
      if (bits === undefined) return undefined;
      if (bits !== 4 && bits !== 8) throw new UsageError(`--wo: expected 4 or 8, got '${f.string('wo') ?? ''}'`);
      return { bits, blockSize: f.number('block-size') ?? WO_DEFAULTS.blockSize, asymmetric: !f.bool('symmetric') };
    },
  },
  sweep: {
    parse(p, at) {
      if (p.bits !== 8 && p.bits !== 4) specFail(at, '.bits', `expected 8 or 4, got ${JSON.stringify(p.bits)}`);
      return p as unknown as WoSweepPass;
    },
    toOptimize: (p) => (p.blockSize ? { bits: p.bits, blockSize: p.blockSize } : { bits: p.bits }),
    calibrates: () => false,
  },
};
