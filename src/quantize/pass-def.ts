/**
 * The shape of one registered pass (src/quantize/registry.ts): its name, options defaults, one-line summary,
 * the `workbench.passes` record names it writes, how to run it, how `workbench optimize` flags turn into its
 * options, and (when a sweep can use it) how a sweep spec's pass object is validated and mapped onto those
 * options. One descriptor per pass lives in src/quantize/passes/; everything else (CLI flags and help, sweep
 * validation and `apply-passes`, optimize's dispatch) reads the registry, so adding a pass touches its own
 * descriptor and the registry line.
 */
import { UsageError } from '../errors.js';
import type { Model } from '../onnx/types.js';
import type { SampleSource } from './calibrate.js';
import type { PassResult } from './common.js';
import type { TargetEp } from './int8.js';

/** One `workbench optimize` flag a pass owns (commander syntax; defaults are the pass's X_DEFAULTS as text). */
export interface PassFlag {
  /** e.g. '--block-size <n>', '--no-grid-chain', '--diffusion-loop [steps]'. */
  readonly flags: string;
  readonly description: string;
  readonly default?: string;
  readonly choices?: readonly string[];
  /** Collects every use into a list (e.g. `--input a=1 --input b=2`). */
  readonly repeatable?: boolean;
}

/**
 * Optimize's parsed flags, read by their CLI names (without dashes: 'block-size', and 'grid-chain' for
 * `--no-grid-chain`); parse errors name the flag and exit 2 through UsageError.
 */
export class FlagReader {
  constructor(private readonly values: Readonly<Record<string, unknown>>) {}

  private get(name: string): unknown {
    return this.values[name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())];
  }

  /** Whether the flag was given (or has a default). */
  given(name: string): boolean {
    return this.get(name) !== undefined;
  }

  bool(name: string): boolean {
    return this.get(name) === true;
  }

  /** A negatable flag's value (`--no-x` → false); undefined when the flag is absent. */
  optionalBool(name: string): boolean | undefined {
    const v = this.get(name);
    return typeof v === 'boolean' ? v : undefined;
  }

  /** The flag's text; an optional-value flag given bare (`--diffusion-loop`) reads as `true`. */
  value(name: string): string | true | undefined {
    const v = this.get(name);
    return v === true ? true : typeof v === 'string' ? v : undefined;
  }

  string(name: string): string | undefined {
    const v = this.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  /** A repeatable flag's values. */
  strings(name: string): string[] {
    const v = this.get(name);
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  }

  /** A comma-separated list (blank items dropped); undefined when the flag is absent. */
  list(name: string): string[] | undefined {
    const v = this.string(name);
    return v === undefined
      ? undefined
      : v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  }

  number(name: string): number | undefined {
    const v = this.string(name);
    return v === undefined ? undefined : parseNumberFlag(name, v);
  }
}

/** A flag's text as a finite number, or a UsageError naming the flag. */
export function parseNumberFlag(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name}: expected a number, got '${v}'`);
  return n;
}

/** What a pass's flag parser may need besides the flags. */
export interface CliContext {
  /** The input model (read once; calibration folders are read against its inputs). */
  loadModel: () => Model;
  /** `--target-ep`: the EP the rewritten model is for. */
  targetEp: TargetEp;
}

/** How `workbench optimize` configures a pass. */
export interface PassCli<O> {
  /** How the pass is asked for, in the "no pass given" hint (e.g. '--wo 4|8'). */
  readonly usage: string;
  readonly flags: readonly PassFlag[];
  /** The pass's options from the flags, or undefined when the flags do not ask for the pass. */
  fromFlags(f: FlagReader, ctx: CliContext): O | undefined;
}

/** Where a sweep pass object sits in its spec file (errors name both). */
export interface SpecField {
  file: string;
  /** e.g. 'variants[2].passes.decoder[0]'. */
  field: string;
}

/** A sweep spec error: `<file>: <field>: <detail>`, exit 2. */
export function specFail(at: SpecField, subfield: string, detail: string): never {
  throw new UsageError(`${at.file}: ${at.field}${subfield}: ${detail}`);
}

/** A sweep pass object as written in a spec (`{ "pass": "wo", "bits": 4 }`). */
export interface SweepPassBase {
  pass: string;
}

/** What the sweep knows when it applies a role's passes. */
export interface SweepContext {
  /** The EP the variant runs on. */
  ep: TargetEp;
  /** New spatial input size of this role for a resolution pass. */
  resolutionSize?: number;
  /** This role's calibration samples, recorded from the baseline run. */
  samples?: SampleSource;
  /** 'variant/role', for errors. */
  where: string;
}

/** How a sweep spec names and configures a pass. The spec's JSON shape is kept as written: variant ids hash it. */
export interface PassSweep<S extends SweepPassBase, O> {
  /** Validates one pass object of a spec (errors name the file and field) and returns it unchanged. */
  parse(p: SweepPassBase & Record<string, unknown>, at: SpecField): S;
  /** The optimize options for a spec pass on one role. */
  toOptimize(p: S, ctx: SweepContext): O;
  /** Whether the pass calibrates on the inputs the baseline run records. */
  calibrates(p: S): boolean;
}

/**
 * One registered pass. `O` is what optimize hands `run`; `S` the sweep spec's pass object (never: no sweep
 * form); `T` the names of its report's counters.
 */
export interface PassDef<N extends string, O, S extends SweepPassBase = never, T extends string = string> {
  /** The pass's name: its `optimize` flag (`--<name>`), its sweep `pass` value and its optimize PassSpec key. */
  readonly name: N;
  /** One line for `optimize --help` and the docs. */
  readonly summary: string;
  /** The `workbench.passes` record names the pass writes (its X_NAME constants). */
  readonly records: readonly string[];
  /** The options' defaults (the pass's X_DEFAULTS). */
  readonly defaults: object;
  run(model: Model, options: O): PassResult<T> | Promise<PassResult<T>>;
  readonly cli: PassCli<O>;
  readonly sweep?: PassSweep<S, O>;
}

/** A pass of any options type, as the registry stores it (methods compare bivariantly). */
export type AnyPassDef = PassDef<string, unknown, SweepPassBase>;

/** A pass with its options, as `optimize` runs it without knowing which pass it is. */
export interface AnyPassSpec {
  pass: string;
  options?: unknown;
}
