/** The `resolution` pass in the registry: `--resolution SIZE|HxW`, `--input NAME=SHAPE`, sweep `{ pass: 'resolution', outputSize }`. */
import { PassError, UsageError } from '../../errors.js';
import type { Dim } from '../../onnx/types.js';
import { parseNumberFlag, specFail, type PassDef } from '../pass-def.js';
import { RESOLUTION_DEFAULTS, RESOLUTION_NAME, resolutionWithReport, type ResolutionOptions, type ResolutionStat } from '../resolution.js';

/** A sweep's resolution pass: the variant's output size; the driver gives each role its own input size. */
export interface ResolutionSweepPass {
  pass: 'resolution';
  outputSize: number;
  /** resize inside the role, keeping its input shape */
  keepInputs?: boolean;
}

function parseInputs(items: readonly string[]): Record<string, Dim[]> | undefined {
  if (!items.length) return undefined;
  const r: Record<string, Dim[]> = {};
  for (const item of items) {
    const eq = item.lastIndexOf('=');
    if (eq < 1) throw new UsageError(`--input: expected NAME=D0,D1,… (e.g. x=1,3,192,192), got '${item}'`);
    r[item.slice(0, eq)] = item
      .slice(eq + 1)
      .split(/[,x]/)
      .map((d) => parseNumberFlag('input', d));
  }
  return r;
}

function parseSize(v: string): number | [number, number] {
  const parts = v.split(/[x,]/).map((s) => parseNumberFlag('resolution', s));
  if (parts.length === 1) return parts[0] as number;
  if (parts.length === 2) return [parts[0] as number, parts[1] as number];
  throw new UsageError(`--resolution: expected SIZE or HxW, got '${v}'`);
}

export const resolutionPass: PassDef<'resolution', ResolutionOptions, ResolutionSweepPass, ResolutionStat> = {
  name: 'resolution',
  summary: 'run at another input size: new input shapes followed through every shape-dependent constant',
  records: [RESOLUTION_NAME],
  defaults: RESOLUTION_DEFAULTS,
  run: resolutionWithReport,
  cli: {
    usage: '--resolution, --input',
    flags: [
      { flags: '--resolution <size>', description: 'run at another input size: SIZE or HxW for every image input' },
      { flags: '--input <name=shape>', description: 'new shape of one input, e.g. x=1,3,192,192 (repeatable)', repeatable: true },
    ],
    fromFlags(f) {
      const size = f.string('resolution');
      const inputs = parseInputs(f.strings('input'));
      if (size === undefined && !inputs) return undefined;
      const o: ResolutionOptions = {};
      if (size !== undefined) o.size = parseSize(size);
      if (inputs) o.inputs = inputs;
      return o;
    },
  },
  sweep: {
    parse(p, at) {
      const v = p.outputSize;
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) specFail(at, '.outputSize', `expected a positive integer, got ${JSON.stringify(v)}`);
      return p as unknown as ResolutionSweepPass;
    },
    toOptimize(p, ctx) {
      if (ctx.resolutionSize === undefined) throw new PassError('resolution', undefined, `${ctx.where}: no spatial input to resize`);
      return p.keepInputs ? { size: ctx.resolutionSize, keepInputs: true } : { size: ctx.resolutionSize };
    },
    calibrates: () => false,
  },
};
