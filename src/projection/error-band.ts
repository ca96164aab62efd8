/**
 * The error band attached to every projected number: the largest relative errors that validation runs
 * (a profile from one GPU projected to another, against that GPU's measured profile) have shown, read from
 * src/projection/validation.json. With no validation the band is 'unvalidated'.
 */
import validationFile from './validation.json' with { type: 'json' };
import type { ErrorBand } from './types.js';

/** One validation, as `project validate --record` appends it. */
export interface ValidationEntry {
  from: string;
  to: string;
  createdAt: string;
  /** (projected − measured) / measured of the end-to-end (call-rate weighted) time. */
  endToEndRelError: number;
  roles: { role: string; relError: number }[];
  /** The two profile files compared. */
  files: { fromProfile: string; measured: string };
}

export interface ValidationFile {
  schemaVersion: 1;
  note: string;
  validations: ValidationEntry[];
}

/** The committed validations (bundled with the CLI). */
export function committedValidations(): ValidationEntry[] {
  return (validationFile as ValidationFile).validations;
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;

/** The error band from `entries` (default: the committed ones), noting when none of them reached `target`. */
export function errorBandFor(target?: string, entries: readonly ValidationEntry[] = committedValidations()): ErrorBand {
  if (!entries.length)
    return { status: 'unvalidated', endToEnd: null, perRole: null, basis: 'no validation recorded in src/projection/validation.json', label: 'unvalidated' };
  const endToEnd = Math.max(...entries.map((e) => Math.abs(e.endToEndRelError)));
  const roleErrs = entries.flatMap((e) => e.roles.map((r) => Math.abs(r.relError)));
  const perRole = roleErrs.length ? Math.max(...roleErrs) : endToEnd;
  const pairs = [...new Set(entries.map((e) => `${e.from}→${e.to}`))];
  const onTarget = target === undefined || entries.some((e) => e.to === target);
  const basis = `${entries.length} validation${entries.length > 1 ? 's' : ''} (${pairs.join(', ')}; ${entries.map((e) => e.createdAt.slice(0, 10)).join(', ')})${onTarget ? '' : `; none measured on ${target}, so the band is a lower bound there`}`;
  return { status: 'validated', endToEnd, perRole, basis, label: `±${pct(endToEnd)} (validated ${pairs.join(', ')}${onTarget ? '' : `; not on ${target}`})` };
}
