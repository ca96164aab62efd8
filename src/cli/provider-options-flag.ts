/**
 * `--provider-options [role:]k=v,k=v` on run/profile: CUDA EP options for every role, or for one role with a
 * `role:` prefix (repeatable; later values win). Checked here: a bad key or value is one line naming it.
 */
import { ALL_ROLES } from '../models/manifest.js';
import { parseProviderOptions } from '../runtime/index.js';
import type { RoleProviderOptions } from '../runner/pipeline-settings.js';

export function roleProviderOptionsArg(v: string, prev: RoleProviderOptions): RoleProviderOptions {
  const m = /^([a-z_*]+):(.*)$/.exec(v);
  const role = m && (m[1] === '*' || (ALL_ROLES as readonly string[]).includes(m[1] ?? '')) ? (m[1] as string) : '*';
  const text = m && role !== '*' ? (m[2] ?? '') : m?.[1] === '*' ? (m[2] ?? '') : v;
  const opts = parseProviderOptions(text, role === '*' ? '--provider-options' : `--provider-options ${role}`);
  return { ...prev, [role]: { ...(prev[role] ?? {}), ...opts } };
}
