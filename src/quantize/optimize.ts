/**
 * The library entry behind `workbench optimize`: runs a list of passes in order and collects their
 * reports. Pure passes (fp16, int8 dynamic, MatMulNBits, resolution, decode loop) run as they are; the passes that need
 * the runtime (int8 static calibration, mixed precision search) are awaited.
 */
import { placementWarning, type PlacementCheck } from '../analysis/placement.js';
import { UsageError } from '../errors.js';
import type { Model } from '../onnx/types.js';
import { batchWithReport, type BatchOptions } from './batch.js';
import { calibrate, type CalibrateOptions, type SampleSource } from './calibrate.js';
import type { PassReport, PassResult } from './common.js';
import { decodeLoopWithReport, type DecodeLoopOptions } from './decode-loop.js';
import { diffusionLoopWithReport, type DiffusionLoopOptions } from './diffusion-loop.js';
import { fp16WithReport, type Fp16Options } from './fp16.js';
import { int8DynamicWithReport, int8StaticWithReport, staticCalibrationTensors, type Int8DynamicOptions, type Int8StaticOptions } from './int8.js';
import { matMulNBitsWithReport, type MatMulNBitsOptions } from './matmul-nbits.js';
import { mixedPrecision, type MixedOptions } from './mixed.js';
import { resolutionWithReport, type ResolutionOptions } from './resolution.js';
import { staticKvWithReport, type StaticKvOptions } from './static-kv.js';

export type PassSpec =
  | { pass: 'fp16'; options?: Fp16Options }
  | { pass: 'int8-dynamic'; options?: Int8DynamicOptions }
  | { pass: 'int8-static'; options: Omit<Int8StaticOptions, 'ranges'> & { samples: SampleSource; calibration?: CalibrateOptions } }
  | { pass: 'wo'; options?: MatMulNBitsOptions }
  | { pass: 'resolution'; options: ResolutionOptions }
  | { pass: 'mixed'; options: MixedOptions }
  | { pass: 'decode-loop'; options?: DecodeLoopOptions }
  | { pass: 'batch'; options: BatchOptions }
  | { pass: 'diffusion-loop'; options?: DiffusionLoopOptions }
  | { pass: 'static-kv'; options?: StaticKvOptions };

export interface OptimizeResult {
  model: Model;
  reports: PassReport[];
}

export interface OptimizeOptions {
  /**
   * The placement check run after every pass (the CLI reads it from a session on the target EP,
   * src/profiler/placement-probe.ts; tests give a synthetic one). Its result lands in the pass's report,
   * and nodes off the EP become a `placement-off-ep` warning that names them.
   */
  placement?: (model: Model, pass: string) => Promise<PlacementCheck>;
}

/** Runs `passes` in order on `model` (which is not modified) and returns the result with every pass's report. */
export async function optimize(model: Model, passes: PassSpec[], options: OptimizeOptions = {}): Promise<OptimizeResult> {
  let m = model;
  const reports: PassReport[] = [];
  for (const p of passes) {
    const r = await runPass(m, p);
    m = r.model;
    if (options.placement) attachPlacement(r.report, await options.placement(m, r.report.pass));
    reports.push(r.report);
  }
  return { model: m, reports };
}

/** Records a placement check in a pass report; nodes off the EP become one warning line naming them. */
export function attachPlacement(report: PassReport, check: PlacementCheck): void {
  report.placement = check;
  const line = placementWarning(check);
  if (line) report.warnings.push({ pass: report.pass, code: 'placement-off-ep', message: line });
}

async function runPass(m: Model, p: PassSpec): Promise<PassResult> {
  switch (p.pass) {
    case 'fp16':
      return fp16WithReport(m, p.options);
    case 'int8-dynamic':
      return int8DynamicWithReport(m, p.options);
    case 'int8-static': {
      const { samples, calibration, ...rest } = p.options;
      const tensors = staticCalibrationTensors(m, rest);
      const ranges = await calibrate(m, tensors, samples, calibration);
      const r = int8StaticWithReport(m, { ...rest, ranges });
      r.report.details = { ...(r.report.details ?? {}), calibration: { method: calibration?.method ?? 'minmax', samples: samples.count, tensors: tensors.length } };
      return r;
    }
    case 'wo':
      return matMulNBitsWithReport(m, p.options);
    case 'resolution':
      return resolutionWithReport(m, p.options);
    case 'mixed':
      return mixedPrecision(m, p.options);
    case 'decode-loop':
      return decodeLoopWithReport(m, p.options);
    case 'batch':
      return batchWithReport(m, p.options);
    case 'diffusion-loop':
      return diffusionLoopWithReport(m, p.options);
    case 'static-kv':
      return staticKvWithReport(m, p.options);
    default:
      throw new UsageError(`unknown pass '${(p as { pass: string }).pass}'`);
  }
}
