/**
 * The `int8` pass in the registry: `--int8 dynamic|static` and its flags, sweep `{ pass: 'int8', mode }`. One
 * name for both modes (as the CLI and the sweep spell it); the model records `int8-dynamic` or `int8-static`.
 */
import { PassError, UsageError } from '../../errors.js';
import type { Model } from '../../onnx/types.js';
import { calibrate, CALIBRATE_DEFAULTS, loadCalibrationDir, type CalibrateOptions, type CalibrationMethod, type SampleSource } from '../calibrate.js';
import type { PassResult } from '../common.js';
import {
  INT8_DYNAMIC_DEFAULTS,
  INT8_DYNAMIC_NAME,
  INT8_STATIC_DEFAULTS,
  INT8_STATIC_NAME,
  int8DynamicWithReport,
  int8StaticWithReport,
  staticCalibrationTensors,
  type Int8DynamicOptions,
  type Int8Format,
  type Int8Stat,
  type Int8StaticOptions,
} from '../int8.js';
import { specFail, type PassDef } from '../pass-def.js';

/** Static INT8's options before calibration: the samples to calibrate on instead of the ranges. */
export type Int8StaticPassOptions = Omit<Int8StaticOptions, 'ranges'> & { samples: SampleSource; calibration?: CalibrateOptions };

/** Dynamic or static INT8 (`mode` picks the pass; the rest are that pass's options). */
export type Int8PassOptions = ({ mode: 'dynamic' } & Int8DynamicOptions) | ({ mode: 'static' } & Int8StaticPassOptions);

/** A sweep's int8 pass; static calibrates on the inputs the baseline run recorded for the role. */
export interface Int8SweepPass {
  pass: 'int8';
  mode: 'dynamic' | 'static';
  calibrationSamples?: number;
}

const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy'];
const INT8_FORMATS: readonly Int8Format[] = ['auto', 'qdq', 'qoperator'];

/** Calibrates the activation ranges on the samples, then runs static INT8 with them. */
async function runStatic(m: Model, options: Int8StaticPassOptions): Promise<PassResult<Int8Stat>> {
  const { samples, calibration, ...rest } = options;
  const tensors = staticCalibrationTensors(m, rest);
  const ranges = await calibrate(m, tensors, samples, calibration);
  const r = int8StaticWithReport(m, { ...rest, ranges });
  const record = { method: calibration?.method ?? CALIBRATE_DEFAULTS.method, samples: samples.count, tensors: tensors.length };
  r.report.details = { ...(r.report.details ?? {}), calibration: record };
  return r;
}

export const int8Pass: PassDef<'int8', Int8PassOptions, Int8SweepPass, Int8Stat> = {
  name: 'int8',
  summary: 'int8 quantization: dynamic (activation scales computed at run time) or static (activation ranges calibrated on samples)',
  records: [INT8_DYNAMIC_NAME, INT8_STATIC_NAME],
  defaults: { dynamic: INT8_DYNAMIC_DEFAULTS, static: INT8_STATIC_DEFAULTS, calibration: CALIBRATE_DEFAULTS },
  run(m, o) {
    if (o.mode === 'dynamic') {
      const { mode, ...rest } = o;
      return int8DynamicWithReport(m, rest);
    }
    const { mode, ...rest } = o;
    return runStatic(m, rest);
  },
  cli: {
    usage: '--int8 dynamic|static',
    flags: [
      { flags: '--int8 <mode>', description: 'int8 quantization', choices: ['dynamic', 'static'] },
      { flags: '--int8-format <format>', description: 'auto = QDQ for cuda, QOperator for cpu', choices: INT8_FORMATS, default: INT8_DYNAMIC_DEFAULTS.format },
      { flags: '--per-tensor', description: 'one weight scale per tensor instead of per channel' },
      { flags: '--calib <dir>', description: 'calibration inputs for --int8 static (.json / .bin files)' },
      { flags: '--calib-method <method>', description: 'activation range method', choices: CALIBRATION_METHODS, default: CALIBRATE_DEFAULTS.method },
      { flags: '--percentile <p>', description: 'percentile for --calib-method percentile', default: String(CALIBRATE_DEFAULTS.percentile) },
    ],
    fromFlags(f, ctx) {
      const mode = f.string('int8');
      if (mode === undefined) return undefined;
      const perChannel = !f.bool('per-tensor');
      if (mode === 'dynamic')
        return { mode, targetEp: ctx.targetEp, format: (f.string('int8-format') ?? INT8_DYNAMIC_DEFAULTS.format) as Int8Format, perChannel };
      if (mode !== 'static') throw new UsageError(`--int8: expected dynamic or static, got '${mode}'`);
      const dir = f.string('calib');
      if (!dir) throw new UsageError('--int8 static needs --calib <dir> (calibration inputs: .json or .bin files, see docs)');
      const method = (f.string('calib-method') ?? CALIBRATE_DEFAULTS.method) as CalibrationMethod;
      const calibration: CalibrateOptions = { method, percentile: f.number('percentile') ?? CALIBRATE_DEFAULTS.percentile };
      return { mode, targetEp: ctx.targetEp, perChannel, samples: loadCalibrationDir(dir, ctx.loadModel()), calibration };
    },
  },
  sweep: {
    parse(p, at) {
      if (p.mode !== 'dynamic' && p.mode !== 'static') specFail(at, '.mode', `expected 'dynamic' or 'static', got ${JSON.stringify(p.mode)}`);
      return p as unknown as Int8SweepPass;
    },
    toOptimize(p, ctx) {
      if (p.mode === 'dynamic') return { mode: 'dynamic', targetEp: ctx.ep };
      if (!ctx.samples)
        throw new PassError(INT8_STATIC_NAME, undefined, `${ctx.where}: static INT8 needs calibration samples; the baseline run recorded none for this role`);
      return { mode: 'static', targetEp: ctx.ep, samples: ctx.samples };
    },
    calibrates: (p) => p.mode === 'static',
  },
};
