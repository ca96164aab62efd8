/**
 * The pass registry: every rewrite `workbench optimize` and the sweep can run, registered once, in the order
 * the CLI applies them (resolution → pad channels → fp16 | mixed → int8 → wo → batch → frame u8 → diffusion loop → static kv → decode loop). The
 * optimize flags and `--help`, the sweep's pass syntax and validation, optimize's dispatch and the
 * `workbench.passes` record names all read it. Adding a pass: write its descriptor in src/quantize/passes/
 * (a {@link PassDef}) and add it to the list below.
 */
import { PassError, UsageError } from '../errors.js';
import { PASSES_METADATA_KEY, readPassRecords } from '../onnx/pass-record.js';
import type { Model } from '../onnx/types.js';
import type { PassResult } from './common.js';
import type { AnyPassDef, AnyPassSpec, PassDef } from './pass-def.js';
import { batchPass } from './passes/batch.js';
import { decodeLoopPass } from './passes/decode-loop.js';
import { diffusionLoopPass } from './passes/diffusion-loop.js';
import { fp16Pass } from './passes/fp16.js';
import { int8Pass } from './passes/int8.js';
import { mixedPass } from './passes/mixed.js';
import { padChannelsPass } from './passes/pad-channels.js';
import { resolutionPass } from './passes/resolution.js';
import { frameU8Pass } from './passes/frame-u8.js';
import { staticKvPass } from './passes/static-kv.js';
import { woPass } from './passes/wo.js';

export const PASS_REGISTRY = [
  resolutionPass,
  padChannelsPass,
  fp16Pass,
  mixedPass,
  int8Pass,
  woPass,
  batchPass,
  frameU8Pass,
  diffusionLoopPass,
  staticKvPass,
  decodeLoopPass,
] as const;

/** A list of passes (the registry, or the registry plus passes a test registers). */
export type PassList = readonly AnyPassDef[];

type Registered = (typeof PASS_REGISTRY)[number];

/** A registered pass's name. */
export type PassName = Registered['name'];

type SpecOf<D> = D extends PassDef<infer N, infer O, infer _S, infer _T> ? (undefined extends O ? { pass: N; options?: O } : { pass: N; options: O }) : never;
type SweepOf<D> = D extends PassDef<string, unknown, infer S, infer _T> ? S : never;
type StatOf<D> = D extends PassDef<string, unknown, infer _S, infer T> ? T : never;

/** One pass with its options, as `optimize` runs it: `{ pass: 'wo', options: { bits: 4 } }`. */
export type PassSpec = SpecOf<Registered>;

/** The counter names of every registered pass's report (what `optimize` reports may hold). */
export type PassStat = StatOf<Registered>;

/** One pass as a sweep spec writes it: `{ "pass": "wo", "bits": 4 }` (docs/SWEEP.md). */
export type SweepPass = SweepOf<Registered>;

/** The registered pass called `name`, or undefined. */
export function findPass(name: string, passes: PassList = PASS_REGISTRY): AnyPassDef | undefined {
  return passes.find((p) => p.name === name);
}

/** The passes a sweep spec may name. */
export function listSweepPasses(passes: PassList = PASS_REGISTRY): AnyPassDef[] {
  return passes.filter((p) => p.sweep !== undefined);
}

/**
 * Runs one pass through its registry entry, and checks that the model's newest `workbench.passes` record is
 * one of the names the entry declares (a pass that records under another name fails here, not in a reader).
 */
export async function runRegisteredPass(model: Model, spec: AnyPassSpec, passes: PassList = PASS_REGISTRY): Promise<PassResult> {
  const def = findPass(spec.pass, passes);
  if (!def) throw new UsageError(`unknown pass '${spec.pass}'. Should be one of: ${passes.map((p) => p.name).join(', ')}.`);
  const r = await def.run(model, spec.options);
  const recorded = readPassRecords(r.model).at(-1)?.pass;
  if (recorded === undefined || !def.records.includes(recorded))
    throw new PassError(
      def.name,
      undefined,
      `recorded '${recorded ?? 'nothing'}' in ${PASSES_METADATA_KEY}; its registry entry lists ${def.records.join(', ')}`,
    );
  return r;
}
