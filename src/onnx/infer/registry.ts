/**
 * The table of per-op inference functions, keyed by domain and op type.
 */
import { registerAttention } from './attention.js';
import type { OpInferFn } from './context.js';
import { registerControlFlow } from './control-flow.js';
import { registerElementwise } from './elementwise.js';
import { registerMatmul } from './matmul.js';
import { registerNn } from './nn.js';
import { registerQuant } from './quant.js';
import { registerReduce } from './reduce.js';
import { registerResize } from './resize.js';
import { registerShapeOps } from './shape-ops.js';

/** '' and 'ai.onnx' are the same domain. */
export function normDomain(domain: string): string {
  return domain === 'ai.onnx' ? '' : domain;
}

const TABLE = new Map<string, OpInferFn>();
const reg = (op: string, fn: OpInferFn, domain = ''): void => {
  TABLE.set(`${domain}|${op}`, fn);
};
registerElementwise(reg);
registerShapeOps(reg);
registerReduce(reg);
registerNn(reg);
registerMatmul(reg);
registerResize(reg);
registerQuant(reg);
registerAttention(reg);
registerControlFlow(reg);

/** The inference function for an op, or undefined when it is not supported. */
export function findInferFn(domain: string, opType: string): OpInferFn | undefined {
  return TABLE.get(`${normDomain(domain)}|${opType}`);
}
