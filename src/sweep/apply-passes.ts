/**
 * Applies a variant's pass list to one model with the rewrite passes of src/quantize. Passes that need
 * more than a model (int8 static calibration data, a resolution change of the whole pipeline, a mixed
 * search against the pipeline) fail with a PassError that says so; the sweep records it as a failed variant.
 */
import { PassError } from '../errors.js';
import type { Model } from '../onnx/types.js';
import { fp16 } from '../quantize/fp16.js';
import { int8Dynamic } from '../quantize/int8.js';
import { matMulNBits } from '../quantize/matmul-nbits.js';
import type { PassSpec } from './types.js';

export interface ApplyPassesOptions {
  /** The EP the variant runs on (int8 picks QOperator for the CPU, QDQ for CUDA). */
  ep: 'cpu' | 'cuda';
}

/** The passes in order; returns the rewritten model (the input is not modified). */
export function applyPasses(model: Model, passes: readonly PassSpec[], o: ApplyPassesOptions, where = ''): Model {
  let m = model;
  for (const p of passes) {
    switch (p.pass) {
      case 'fp16':
        m = fp16(m, { ...(p.keepIo !== undefined ? { keepIoTypes: p.keepIo } : {}), ...(p.blockList ? { nodeBlockList: p.blockList } : {}) });
        break;
      case 'int8':
        if (p.mode === 'static') throw new PassError('int8-static', undefined, `${where}: static INT8 needs calibration samples from a pipeline run; not available in sweeps yet (use int8-dynamic)`);
        m = int8Dynamic(m, { targetEp: o.ep });
        break;
      case 'wo':
        m = matMulNBits(m, { bits: p.bits, ...(p.blockSize ? { blockSize: p.blockSize } : {}) });
        break;
      case 'resolution':
        throw new PassError('resolution', undefined, `${where}: the resolution pass is not available in this build`);
      case 'mixed':
        throw new PassError('mixed', undefined, `${where}: the mixed-precision search is not available in this build`);
    }
  }
  return m;
}
