/**
 * The library entry behind `workbench optimize`: runs a list of passes in order and collects their
 * reports. Each pass is dispatched through its registry entry (src/quantize/registry.ts); the passes that
 * need the runtime (int8 static calibration, mixed precision search) are awaited.
 */
import { placementWarning, type PlacementCheck } from '../analysis/placement.js';
import type { Model } from '../onnx/types.js';
import type { PassReport } from './common.js';
import type { AnyPassSpec } from './pass-def.js';
import { PASS_REGISTRY, runRegisteredPass, type PassList, type PassSpec, type PassStat } from './registry.js';

export type { PassSpec } from './registry.js';

export interface OptimizeResult {
  model: Model;
  /** One report per pass, its counters named by the registry's passes (PassStat). */
  reports: PassReport<PassStat>[];
}

export interface OptimizeOptions {
  /**
   * The placement check run after every pass (the CLI reads it from a session on the target EP,
   * src/profiler/placement-probe.ts; tests give a synthetic one). Its result lands in the pass's report,
   * and nodes off the EP become a `placement-off-ep` warning that names them.
   */
  placement?: (model: Model, pass: string) => Promise<PlacementCheck>;
  /** The passes `passes` may name (default the registry; tests add their own). */
  registry?: PassList;
}

/**
 * Runs `passes` in order on `model` (which is not modified) and returns the result with every pass's report.
 * Pass specs are typed against the registry; a caller with its own pass list (the CLI, tests) names it.
 */
export function optimize(model: Model, passes: readonly PassSpec[], options?: OptimizeOptions & { registry?: undefined }): Promise<OptimizeResult>;
export function optimize(model: Model, passes: readonly AnyPassSpec[], options: OptimizeOptions & { registry: PassList }): Promise<OptimizeResult>;
export async function optimize(model: Model, passes: readonly AnyPassSpec[], options: OptimizeOptions = {}): Promise<OptimizeResult> {
  let m = model;
  const reports: PassReport<PassStat>[] = [];
  for (const p of passes) {
    const r = await runRegisteredPass(m, p, options.registry ?? PASS_REGISTRY);
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
