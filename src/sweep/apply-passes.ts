/**
 * Applies a variant's pass list to one role's model through `optimize` (src/quantize). Each sweep pass maps
 * onto its optimize options through its registry entry (src/quantize/passes/, `sweep.toOptimize`); a
 * resolution pass gets the role's own new input size (its spatial size × the variant's output scale). INT8
 * static and mixed precision calibrate on `samples`: the role's inputs recorded during the sweep's FP32
 * baseline run (`<baseline run>/calib/<role>`). Without them, mixed falls back to its synthetic samples and
 * INT8 static fails with a PassError that the sweep records as a failed variant.
 */
import { UsageError } from '../errors.js';
import type { Model } from '../onnx/types.js';
import type { SampleSource } from '../quantize/calibrate.js';
import { optimize } from '../quantize/optimize.js';
import type { AnyPassDef, AnyPassSpec, SweepPassBase } from '../quantize/pass-def.js';
import { findPass, PASS_REGISTRY, type PassList } from '../quantize/registry.js';

export interface ApplyPassesOptions {
  /** The EP the variant runs on (int8 picks QOperator for the CPU, QDQ for CUDA). */
  ep: 'cpu' | 'cuda';
  /** New spatial input size of this role for a resolution pass. */
  resolutionSize?: number;
  /** This role's calibration samples, recorded from a pipeline run. */
  samples?: SampleSource;
}

function sweepForm(p: SweepPassBase, registry: PassList): NonNullable<AnyPassDef['sweep']> {
  const sweep = findPass(p.pass, registry)?.sweep;
  if (!sweep) throw new UsageError(`unknown sweep pass '${p.pass}'`);
  return sweep;
}

/** The optimize pass list for a sweep pass list. */
export function toOptimizePasses(passes: readonly SweepPassBase[], o: ApplyPassesOptions, where = '', registry: PassList = PASS_REGISTRY): AnyPassSpec[] {
  const ctx = { ...o, where };
  return passes.map((p) => ({ pass: p.pass, options: sweepForm(p, registry).toOptimize(p, ctx) }));
}

/** Runs the passes in order; returns the rewritten model (the input is not modified). */
export async function applyPasses(
  model: Model,
  passes: readonly SweepPassBase[],
  o: ApplyPassesOptions,
  where = '',
  registry: PassList = PASS_REGISTRY,
): Promise<Model> {
  return (await optimize(model, toOptimizePasses(passes, o, where, registry), { registry })).model;
}

/** Whether a role's passes calibrate on recorded inputs (mixed precision, static INT8). */
export function needsCalibration(passes: readonly SweepPassBase[], registry: PassList = PASS_REGISTRY): boolean {
  return passes.some((p) => sweepForm(p, registry).calibrates(p));
}
