/**
 * Applies a variant's pass list to one role's model through `optimize` (src/quantize). The sweep's pass
 * specs map onto the optimize passes; a resolution pass gets the role's own new input size (its spatial
 * size × the variant's output scale). INT8 static and mixed precision calibrate on `samples`: the role's
 * inputs recorded during the sweep's FP32 baseline run (`<baseline run>/calib/<role>`). Without them,
 * mixed falls back to its synthetic samples and INT8 static fails with a PassError that the sweep records
 * as a failed variant.
 */
import { PassError } from '../errors.js';
import type { Model } from '../onnx/types.js';
import type { SampleSource } from '../quantize/calibrate.js';
import { optimize, type PassSpec as OptimizePass } from '../quantize/optimize.js';
import type { PassSpec } from './types.js';

export interface ApplyPassesOptions {
  /** The EP the variant runs on (int8 picks QOperator for the CPU, QDQ for CUDA). */
  ep: 'cpu' | 'cuda';
  /** New spatial input size of this role for a resolution pass. */
  resolutionSize?: number;
  /** This role's calibration samples, recorded from a pipeline run. */
  samples?: SampleSource;
}

/** The optimize pass list for a sweep pass list. */
export function toOptimizePasses(passes: readonly PassSpec[], o: ApplyPassesOptions, where = ''): OptimizePass[] {
  return passes.map((p): OptimizePass => {
    switch (p.pass) {
      case 'fp16':
        return { pass: 'fp16', options: { ...(p.keepIo !== undefined ? { keepIoTypes: p.keepIo } : {}), ...(p.blockList ? { nodeBlockList: p.blockList } : {}) } };
      case 'int8':
        if (p.mode === 'static') {
          if (!o.samples) throw new PassError('int8-static', undefined, `${where}: static INT8 needs calibration samples; the baseline run recorded none for this role`);
          return { pass: 'int8-static', options: { targetEp: o.ep, samples: o.samples } };
        }
        return { pass: 'int8-dynamic', options: { targetEp: o.ep } };
      case 'wo':
        return { pass: 'wo', options: { bits: p.bits, ...(p.blockSize ? { blockSize: p.blockSize } : {}) } };
      case 'resolution':
        if (o.resolutionSize === undefined) throw new PassError('resolution', undefined, `${where}: no spatial input to resize`);
        return { pass: 'resolution', options: { size: o.resolutionSize, ...(p.keepInputs ? { keepInputs: true } : {}) } };
      case 'mixed':
        return { pass: 'mixed', options: { target: 'fp16', maxError: p.budget, ep: o.ep, ...(o.samples ? { samples: o.samples } : {}) } };
      case 'decode-loop':
        return { pass: 'decode-loop' };
      case 'static-kv':
        return { pass: 'static-kv', options: p.capacity !== undefined ? { capacity: p.capacity } : {} };
    }
  });
}

/** Runs the passes in order; returns the rewritten model (the input is not modified). */
export async function applyPasses(model: Model, passes: readonly PassSpec[], o: ApplyPassesOptions, where = ''): Promise<Model> {
  return (await optimize(model, toOptimizePasses(passes, o, where))).model;
}

/** Whether a role's passes calibrate on recorded inputs (mixed precision, static INT8). */
export function needsCalibration(passes: readonly PassSpec[]): boolean {
  return passes.some((p) => p.pass === 'mixed' || (p.pass === 'int8' && p.mode === 'static'));
}
