/**
 * A sweep variant's placement check: each rewritten role's model loaded on the target EP, run once, and
 * its nodes' providers read from ORT's trace (src/profiler/placement-probe.ts), reduced to a
 * {@link VariantPlacement} for results.jsonl and one warning line naming the off-EP nodes. Results are
 * cached next to the rewritten model (`<role>.onnx.placement-<ep>.json`): the model is content-addressed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { listNames, offEpNodes, type PlacementCheck } from '../analysis/placement.js';
import type { Role } from '../models/manifest.js';
import { readManifestJson } from '../models/manifest-io.js';
import { checkModelPlacement } from '../profiler/placement-probe.js';
import type { RolePlacement, VariantPlacement } from './types.js';

/** How many off-EP node names a result keeps per role. */
export const PLACEMENT_MAX_NAMES = 20;

/** One role's entry from a placement check. */
export function rolePlacementOf(role: string, c: PlacementCheck): RolePlacement {
  const off = offEpNodes(c);
  const r: RolePlacement = { role, status: c.status, offEp: off.slice(0, PLACEMENT_MAX_NAMES).map((n) => n.name), offEpCount: off.length };
  if (c.reason) r.reason = c.reason;
  return r;
}

/** The variant's placement: off-EP when any role is, skipped when every role was skipped. */
export function variantPlacementOf(target: 'cpu' | 'cuda', roles: RolePlacement[]): VariantPlacement {
  const status = roles.some((r) => r.status === 'off-ep') ? 'off-ep' : roles.length && roles.every((r) => r.status === 'skipped') ? 'skipped' : 'clean';
  return { target, status, roles };
}

/** One line naming the off-EP nodes per role (first `max` each), or undefined when clean or skipped. */
export function placementLineOf(p: VariantPlacement, max = 6): string | undefined {
  const off = p.roles.filter((r) => r.status === 'off-ep');
  if (p.status !== 'off-ep' || !off.length) return undefined;
  return `nodes off the ${p.target.toUpperCase()} EP: ${off.map((r) => `${r.role} ${r.offEpCount} (${listNames(r.offEp, max, r.offEpCount)})`).join('; ')}`;
}

/** Checks the given roles of a (variant's) manifest on `ep`, with the manifest's input contracts. */
export async function checkManifestPlacement(manifestPath: string, roles: readonly Role[], ep: 'cpu' | 'cuda'): Promise<VariantPlacement> {
  const m = readManifestJson(manifestPath);
  const out: RolePlacement[] = [];
  for (const role of roles) {
    const spec = m.roles[role];
    if (!spec) continue;
    const file = resolve(dirname(manifestPath), spec.file);
    const cache = `${file}.placement-${ep}.json`;
    let check: PlacementCheck | undefined;
    if (existsSync(cache)) check = JSON.parse(readFileSync(cache, 'utf8')) as PlacementCheck;
    if (!check) {
      const inputs = Object.entries(spec.inputs).map(([name, t]) => ({ name, type: t.type, shape: t.shape }));
      check = await checkModelPlacement(file, ep, { inputs });
      if (check.status !== 'skipped') writeFileSync(cache, `${JSON.stringify(check)}\n`);
    }
    out.push(rolePlacementOf(role, check));
  }
  return variantPlacementOf(ep, out);
}
