/**
 * Control flow: If (merge of both branches, or the taken branch when the condition is known), Loop and
 * Scan (outputs from the body, scan outputs stacked along the iteration axis).
 */
import { DataType } from '../dtype.js';
import type { Dim } from '../types.js';
import { facts, type OpContext, type OpInferFn, type ValueFacts } from './context.js';
import { isNum, normAxis } from './dims.js';

/** What two alternatives have in common (same dims kept, differing dims unknown). */
export function joinFacts(a: ValueFacts | undefined, b: ValueFacts | undefined): ValueFacts {
  const elemType = a?.elemType ?? b?.elemType;
  if (!a?.shape || !b?.shape || a.shape.length !== b.shape.length) return facts(elemType, undefined);
  return facts(
    elemType,
    a.shape.map((d, i) => (d === b.shape?.[i] ? d : undefined)),
  );
}

const ifOp: OpInferFn = (ctx) => {
  const thenG = ctx.graph('then_branch') ?? ctx.fail('missing then_branch');
  const elseG = ctx.graph('else_branch') ?? ctx.fail('missing else_branch');
  const thenOut = ctx.inferSubgraph(thenG, []);
  const elseOut = ctx.inferSubgraph(elseG, []);
  const cond = ctx.numbers(0)?.[0];
  if (cond !== undefined) return cond ? thenOut : elseOut;
  return ctx.node.outputs.map((_, i) => joinFacts(thenOut[i], elseOut[i]));
};

/** Loop(M, cond, v_initial...) with body(iter, cond, v...) → (cond, v..., scan...). */
const loop: OpInferFn = (ctx) => {
  const body = ctx.graph('body') ?? ctx.fail('missing body');
  const nCarried = ctx.node.inputs.length - 2;
  const carried = Array.from({ length: nCarried }, (_, i) => ctx.input(i + 2));
  // Loop-carried values may change shape between iterations: give the body their types only.
  const bodyIn: ValueFacts[] = [facts(DataType.INT64, []), facts(DataType.BOOL, []), ...carried.map((c) => facts(c.elemType, c.shape))];
  const out = ctx.inferSubgraph(body, bodyIn);
  const finals = carried.map((c, i) => joinFacts(c, out[i + 1]));
  // Without a condition input the trip count is M.
  const trips: Dim = !ctx.has(1) ? ctx.numbers(0)?.[0] : undefined;
  const scans = out.slice(1 + nCarried).map((s) => facts(s.elemType, s.shape ? [trips, ...s.shape] : undefined));
  return [...finals, ...scans];
};

/** Scan (opset ≥ 9): N state variables then M scan inputs; scan axes removed in the body, added back on outputs. */
const scan: OpInferFn = (ctx: OpContext) => {
  const body = ctx.graph('body') ?? ctx.fail('missing body');
  const m = ctx.int('num_scan_inputs') ?? ctx.fail('missing num_scan_inputs');
  const n = ctx.node.inputs.length - m;
  const inAxes = ctx.ints('scan_input_axes') ?? new Array<number>(m).fill(0);
  const state = Array.from({ length: n }, (_, i) => ctx.input(i));
  let seqLen: Dim;
  const scanned = Array.from({ length: m }, (_, j) => {
    const f = ctx.input(n + j);
    if (!f.shape) return facts(f.elemType, undefined);
    const a = normAxis(inAxes[j] ?? 0, f.shape.length);
    if (seqLen === undefined || !isNum(seqLen)) seqLen = f.shape[a] ?? seqLen;
    return facts(
      f.elemType,
      f.shape.filter((_, k) => k !== a),
    );
  });
  const out = ctx.inferSubgraph(body, [...state.map((s) => facts(s.elemType, s.shape)), ...scanned]);
  const finals = state.map((s, i) => joinFacts(s, out[i]));
  const outAxes = ctx.ints('scan_output_axes');
  const scans = out.slice(n).map((s, k) => {
    if (!s.shape) return facts(s.elemType, undefined);
    const a = normAxis(outAxes?.[k] ?? 0, s.shape.length + 1);
    const shape = [...s.shape];
    shape.splice(a, 0, seqLen);
    return facts(s.elemType, shape);
  });
  return [...finals, ...scans];
};

export function registerControlFlow(reg: (op: string, fn: OpInferFn, domain?: string) => void): void {
  reg('If', ifOp);
  reg('Loop', loop);
  reg('Scan', scan);
}
