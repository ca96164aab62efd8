/**
 * Reads where ONNX Runtime placed each node of a model: a session on the target EP with profiling on, one
 * run on generated inputs (placement is in the trace only for nodes that ran), and each `_kernel_time`
 * event's `args.provider`, as the profiler reads it. The analysis of the placement is
 * `src/analysis/placement.ts`; this file is the part that needs the runtime.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPlacement, skippedPlacement, type NodePlacement, type PlacementCheck, type PlacementTarget } from '../analysis/placement.js';
import type { Model } from '../onnx/types.js';
import { serializeModel } from '../onnx/write-model.js';
import { createSession, diagnoseCuda } from '../runtime/index.js';
import { emptyOverrides, materializeInputs, planInputs, sessionInputs } from './inputs.js';
import { readTrace } from './trace.js';

export interface PlacementProbeOptions {
  /** Declared inputs (a manifest's contract) when the model's own shapes are symbolic; default the session's. */
  inputs?: readonly { name: string; type?: string; shape?: readonly (number | string | undefined)[] }[];
  seed?: number;
  deviceId?: number;
}

/** Runs `model` once on `ep` with profiling and returns every traced node's placement, in trace order. */
export async function probePlacement(model: string | Uint8Array, ep: PlacementTarget, o: PlacementProbeOptions = {}): Promise<NodePlacement[]> {
  const dir = mkdtempSync(join(tmpdir(), 'wb-placement-'));
  try {
    const s = await createSession(model, {
      ep,
      enableProfiling: true,
      profileFilePrefix: join(dir, 'placement'),
      ...(o.deviceId !== undefined ? { deviceId: o.deviceId } : {}),
    });
    let file: string | undefined;
    try {
      const where = typeof model === 'string' ? model : 'model';
      const { plan } = planInputs(o.inputs ?? sessionInputs(s.inputMetadata), emptyOverrides(), o.seed ?? 1, where);
      await s.run(materializeInputs(plan));
      file = s.endProfiling();
    } finally {
      await s.release();
    }
    if (!file) return [];
    return readTrace(file).nodes.map((n) => ({ name: n.name, opType: n.opType, provider: n.provider, outputTypes: n.outputShapes.map((x) => x?.type ?? '?') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The placement check of one model for a target EP. CPU target: trivially clean, no session (every node
 * runs on the CPU EP). CUDA target on a machine without a usable CUDA EP: skipped, with why.
 */
export async function checkModelPlacement(model: string | Uint8Array | Model, target: PlacementTarget, o: PlacementProbeOptions = {}): Promise<PlacementCheck> {
  if (target === 'cpu') return { ...checkPlacement([], 'cpu'), reason: 'CPU target: every node runs on the CPU EP' };
  const why = diagnoseCuda();
  if (why) return skippedPlacement(target, `no CUDA EP available: ${why}`);
  const bytes = typeof model === 'string' || model instanceof Uint8Array ? model : serializeModel(model);
  return checkPlacement(await probePlacement(bytes, target, o), target);
}
