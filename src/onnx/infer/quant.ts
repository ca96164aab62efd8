/**
 * Quantization ops: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear (and their com.microsoft forms).
 */
import { DataType } from '../dtype.js';
import { facts, type OpInferFn } from './context.js';

/** Quantized type: the zero point's type, else output_dtype (opset 21), else uint8. */
const quantize: OpInferFn = (ctx) => {
  const dtype = ctx.int('output_dtype', 0);
  return [facts(ctx.type(2) ?? (dtype || DataType.UINT8), ctx.shape(0))];
};

/** Dequantized type: the scale's type (float32 / float16). */
const dequantize: OpInferFn = (ctx) => [facts(ctx.type(1) ?? DataType.FLOAT, ctx.shape(0))];

const dynamicQuantize: OpInferFn = (ctx) => [facts(DataType.UINT8, ctx.shape(0)), facts(DataType.FLOAT, []), facts(DataType.UINT8, [])];

export function registerQuant(reg: (op: string, fn: OpInferFn, domain?: string) => void): void {
  reg('QuantizeLinear', quantize);
  reg('DequantizeLinear', dequantize);
  reg('DynamicQuantizeLinear', dynamicQuantize);
  reg('QuantizeLinear', quantize, 'com.microsoft');
  reg('DequantizeLinear', dequantize, 'com.microsoft');
}
