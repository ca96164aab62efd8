/**
 * Which roles a sweep's baseline run records inputs for: every role that some variant rewrites with a pass
 * that calibrates (mixed precision, static INT8). A `*` entry stands for every role.
 */
import { ALL_ROLES, type Role } from '../models/manifest.js';
import { needsCalibration } from './apply-passes.js';
import type { PlannedVariant } from './types.js';

export { CALIBRATION_SUBDIR } from '../runner/input-recorder.js';

/** Samples per role the baseline records (each a full set of the role's inputs). */
export const CALIBRATION_MAX_SAMPLES = 24;

export function rolesToCalibrate(variants: readonly PlannedVariant[]): Role[] {
  const roles = new Set<Role>();
  for (const v of variants)
    for (const [role, passes] of Object.entries(v.passes)) {
      if (!passes || !needsCalibration(passes)) continue;
      if (role === '*') ALL_ROLES.forEach((r) => roles.add(r));
      else roles.add(role as Role);
    }
  return ALL_ROLES.filter((r) => roles.has(r));
}

/**
 * Record every n-th call so the samples spread over a diffusion run's timesteps: with `steps` DDIM steps
 * per LMDM window, about 12 samples per window.
 */
export function calibrationEvery(steps: number | undefined): number {
  return Math.max(1, Math.ceil((steps ?? 50) / 12));
}
