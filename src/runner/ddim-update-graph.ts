/**
 * The DDIM update as a small ONNX graph, so that LMDM's state can stay on the device across a window's steps
 * (device-io.ts): x ← √ᾱ_next·x0 + c·ε + σ·z for step `step`, with the window's noise draws and coefficients
 * uploaded once per window as tables and gathered by the step index. The arithmetic is the host's
 * (ddimUpdate): float64, multiplied and added in the same order, rounded to float32 once, so the device path
 * gives the host path's x bit for bit. The last step's coefficients are (1, 0, 0): x ← x0.
 *
 * Inputs: `x_start`, `pred_noise` float [1, F, D]; `noise` float [S, 1, F, D] (row s = the z of step s);
 * `coefficients` double [S, 3] (√ᾱ_next, c, σ per step); `step` int64 [1]. Output: `x` float [1, F, D].
 */
import { GraphBuilder } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import type { Model, Value } from '../onnx/types.js';

export const DDIM_UPDATE_IO = { x0: 'x_start', eps: 'pred_noise', noise: 'noise', coefficients: 'coefficients', step: 'step', x: 'x' } as const;

export function buildDdimUpdateGraph(steps: number, frames: number, dim: number): Model {
  const b = new GraphBuilder('ddim_update', { opset: 17 });
  const x0 = b.input(DDIM_UPDATE_IO.x0, DataType.FLOAT, [1, frames, dim]);
  const eps = b.input(DDIM_UPDATE_IO.eps, DataType.FLOAT, [1, frames, dim]);
  const noise = b.input(DDIM_UPDATE_IO.noise, DataType.FLOAT, [steps, 1, frames, dim]);
  const coefficients = b.input(DDIM_UPDATE_IO.coefficients, DataType.DOUBLE, [steps, 3]);
  const step = b.input(DDIM_UPDATE_IO.step, DataType.INT64, [1]);
  const k = b.op('Gather', [coefficients, step], { axis: 0 }); // [1, 3]
  const column = (i: number): Value => b.op('Slice', [k, b.constInt64(`from_${i}`, [i]), b.constInt64(`to_${i}`, [i + 1]), b.constInt64(`axis_${i}`, [1])]); // [1, 1]
  const z = b.op('Reshape', [b.op('Gather', [noise, step], { axis: 0 }), b.constInt64('xyz', [1, frames, dim])]);
  const d = (v: Value): Value => b.op('Cast', [v], { to: DataType.DOUBLE });
  const sum = b.op('Add', [b.op('Add', [b.op('Mul', [column(0), d(x0)]), b.op('Mul', [column(1), d(eps)])]), b.op('Mul', [column(2), d(z)])]);
  b.output(b.op('Cast', [sum], { to: DataType.FLOAT }), DDIM_UPDATE_IO.x, [1, frames, dim]);
  return b.finish({ docString: 'DDIM update x = sqrt(alpha_next)*x0 + c*eps + sigma*z in float64 (avatar-workbench runner)' });
}
