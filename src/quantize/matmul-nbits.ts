/**
 * The `wo` pass (weight-only low-bit MatMul): every MatMul whose B is a constant 2-D float weight [K, N]
 * becomes com.microsoft `MatMulNBits` (ORT contrib op, CPU and CUDA kernels), the memory-bound GPT decode
 * step's friend: 4-bit weights read ~7× fewer bytes than float32.
 *
 * Layout (ORT contrib op schema, checked numerically against the float MatMul in the tests):
 * - attributes K, N, bits (4 or 8), block_size (power of 2, ≥ 16), accuracy_level;
 * - B: uint8 [N, n_blocks, blob_size], n_blocks = ceil(K / block_size), blob_size = block_size·bits/8;
 *   column n of the float weight, block by block along K, codes packed low nibble first (4-bit);
 * - scales: [N · n_blocks], same float type as A;
 * - zero_points: uint8 [N · ceil(n_blocks·bits/8)], per column packed like B (4-bit: two per byte, low
 *   first); omitted for symmetric quantization (the kernel then assumes 2^(bits−1)).
 * Quantization is per block, asymmetric by default: scale = (max − min)/(2^bits − 1) over the block with 0
 * included, zp = round(−min/scale), q = clamp(round(w/scale) + zp). K is zero-padded to whole blocks.
 */
import { PassError } from '../errors.js';
import { DataType, float32ToFloat16 } from '../onnx/dtype.js';
import { cloneModel, createNamer } from '../onnx/graph-utils.js';
import { makeTensor, readFloats } from '../onnx/tensor.js';
import type { Graph, Model } from '../onnx/types.js';
import { verifyModel } from '../onnx/verify.js';
import { addInitializer, bump, constantTensor, isOnnxDomain, listSubgraphs, newReport, recordPass, requireOpset, type PassResult } from './common.js';
import { propagateElemTypes } from './elem-types.js';
import { roundHalfEven } from './qmath.js';

export const WO_NAME = 'matmul-nbits';

/** The weight-only pass's counters. */
export type WoStat = 'nodesConverted' | 'skipped' | 'weightBytesBefore' | 'weightBytesAfter';

export interface MatMulNBitsOptions {
  /** Bits per weight: 4 or 8 (default 4). */
  bits?: 4 | 8;
  /** Weights per quantization block along K, a power of 2 ≥ 16 (default 32). */
  blockSize?: number;
  /** Asymmetric blocks with zero points (default true); false = symmetric, no zero_points input. */
  asymmetric?: boolean;
  /** MatMulNBits accuracy_level: 0 = unset, 1 fp32, 2 fp16, 3 bf16, 4 int8 compute on CPU (default 0). */
  accuracyLevel?: number;
  /** Node names left alone (default none). */
  nodesToExclude?: readonly string[];
  /** Weights with fewer elements stay float (default 0). */
  minWeightElements?: number;
}

export const WO_DEFAULTS: Required<MatMulNBitsOptions> = {
  bits: 4,
  blockSize: 32,
  asymmetric: true,
  accuracyLevel: 0,
  nodesToExclude: [],
  minWeightElements: 0,
};

export interface PackedWeight {
  /** [N, nBlocks, blobSize] bytes. */
  packed: Uint8Array;
  scales: Float32Array;
  /** Packed zero points, or undefined when symmetric. */
  zeroPoints: Uint8Array | undefined;
  nBlocks: number;
  blobSize: number;
}

/** Block-quantizes a float weight [K, N] (row-major) into MatMulNBits' layout. */
export function packMatMulNBits(w: Float32Array, K: number, N: number, bits: 4 | 8, blockSize: number, asymmetric: boolean): PackedWeight {
  const nBlocks = Math.ceil(K / blockSize);
  const blobSize = (blockSize * bits) / 8;
  const packed = new Uint8Array(N * nBlocks * blobSize);
  const scales = new Float32Array(N * nBlocks);
  const zpPerCol = Math.ceil((nBlocks * bits) / 8);
  const zeroPoints = asymmetric ? new Uint8Array(N * zpPerCol) : undefined;
  const qmax = (1 << bits) - 1;
  const half = 1 << (bits - 1);
  const codes = new Uint8Array(blockSize);
  // Column n of [K, N] is strided by N; one tiled transpose makes every block contiguous (on the GPT's
  // 1024×4096 weights the strided reads were most of the pass's time).
  const wt = transposeKN(w, K, N);
  for (let n = 0; n < N; n++) {
    const col = n * K;
    for (let b = 0; b < nBlocks; b++) {
      const k0 = b * blockSize;
      const k1 = Math.min(K, k0 + blockSize);
      let lo = 0;
      let hi = 0;
      for (let k = col + k0; k < col + k1; k++) {
        const v = wt[k] as number;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const amax = -lo > hi ? -lo : hi;
      let scale: number;
      let zp: number;
      if (asymmetric) {
        scale = hi > lo ? (hi - lo) / qmax : 1;
        zp = Math.max(0, Math.min(qmax, Math.round(-lo / scale)));
      } else {
        // Symmetric: codes in [-(half-1), half-1] around zero point `half`; scale from the max magnitude.
        scale = amax > 0 ? amax / (half - 1) : 1;
        zp = half;
      }
      scales[n * nBlocks + b] = scale;
      codes.fill(zp);
      for (let k = k0; k < k1; k++) {
        const q = roundHalfEven((wt[col + k] as number) / scale) + zp;
        codes[k - k0] = q < 0 ? 0 : q > qmax ? qmax : q;
      }
      const off = (n * nBlocks + b) * blobSize;
      if (bits === 8) packed.set(codes, off);
      else for (let j = 0; j < blobSize; j++) packed[off + j] = ((codes[2 * j] as number) & 0xf) | (((codes[2 * j + 1] as number) & 0xf) << 4);
      if (zeroPoints) {
        if (bits === 8) zeroPoints[n * zpPerCol + b] = zp;
        else {
          const idx = n * zpPerCol + (b >> 1);
          zeroPoints[idx] = (zeroPoints[idx] as number) | ((zp & 0xf) << ((b & 1) * 4));
        }
      }
    }
  }
  return { packed, scales, zeroPoints, nBlocks, blobSize };
}

/** [K, N] row-major → [N, K] row-major, in 64×64 tiles so both sides stay in cache. */
function transposeKN(w: Float32Array, K: number, N: number): Float32Array {
  const t = new Float32Array(K * N);
  const T = 64;
  for (let k0 = 0; k0 < K; k0 += T) {
    const k1 = Math.min(K, k0 + T);
    for (let n0 = 0; n0 < N; n0 += T) {
      const n1 = Math.min(N, n0 + T);
      for (let k = k0; k < k1; k++) {
        const row = k * N;
        for (let n = n0; n < n1; n++) t[n * K + k] = w[row + n] as number;
      }
    }
  }
  return t;
}

/** Dequantizes a packed weight back to float [K, N] (what the kernel computes with). */
export function unpackMatMulNBits(p: PackedWeight, K: number, N: number, bits: 4 | 8, blockSize: number): Float32Array {
  const out = new Float32Array(K * N);
  const zpPerCol = Math.ceil((p.nBlocks * bits) / 8);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < p.nBlocks; b++) {
      const scale = p.scales[n * p.nBlocks + b] as number;
      let zp = 1 << (bits - 1);
      if (p.zeroPoints)
        zp = bits === 8 ? (p.zeroPoints[n * zpPerCol + b] as number) : ((p.zeroPoints[n * zpPerCol + (b >> 1)] as number) >> ((b & 1) * 4)) & 0xf;
      const off = (n * p.nBlocks + b) * p.blobSize;
      for (let j = 0; j < blockSize; j++) {
        const k = b * blockSize + j;
        if (k >= K) break;
        const byte = p.packed[off + (bits === 8 ? j : j >> 1)] as number;
        const q = bits === 8 ? byte : (byte >> ((j & 1) * 4)) & 0xf;
        out[k * N + n] = (q - zp) * scale;
      }
    }
  }
  return out;
}

/** Runs the pass and returns the model with a report. */
export function matMulNBitsWithReport(model: Model, options: MatMulNBitsOptions = {}): PassResult<WoStat> {
  const o = { ...WO_DEFAULTS, ...options };
  if (o.bits !== 4 && o.bits !== 8) throw new PassError(WO_NAME, undefined, `bits must be 4 or 8, got ${String(o.bits)}`);
  if (o.blockSize < 16 || (o.blockSize & (o.blockSize - 1)) !== 0)
    throw new PassError(WO_NAME, undefined, `block size must be a power of 2 ≥ 16, got ${o.blockSize}`);
  const report = newReport<WoStat>(WO_NAME, o);
  const m = cloneModel(model);
  const namer = createNamer(m.graph);
  const types = propagateElemTypes(m.graph);
  const exclude = new Set(o.nodesToExclude);
  let bytesBefore = 0;
  let bytesAfter = 0;
  const visit = (g: Graph): void => {
    for (const n of g.nodes) {
      for (const sg of listSubgraphs(n)) visit(sg);
      if (n.opType !== 'MatMul' || !isOnnxDomain(n) || exclude.has(n.name)) continue;
      const a = n.inputs[0];
      const bv = n.inputs[1];
      const w = constantTensor(bv);
      const aType = a ? types.get(a) : undefined;
      if (
        !w ||
        w.dims.length !== 2 ||
        !(w.dataType === DataType.FLOAT || w.dataType === DataType.FLOAT16) ||
        !(aType === DataType.FLOAT || aType === DataType.FLOAT16)
      ) {
        bump(report, 'skipped');
        continue;
      }
      const [K, N] = w.dims as [number, number];
      if (K * N < o.minWeightElements) {
        bump(report, 'skipped');
        continue;
      }
      const p = packMatMulNBits(readFloats(w), K, N, o.bits, o.blockSize, o.asymmetric);
      const base = w.name || n.name;
      const bq = addInitializer(g, makeTensor(namer(`${base}_Q${o.bits}`), DataType.UINT8, [N, p.nBlocks, p.blobSize], p.packed));
      const scales =
        aType === DataType.FLOAT16
          ? makeTensor(namer(`${base}_scales`), DataType.FLOAT16, [N * p.nBlocks], float32ToFloat16(p.scales))
          : makeTensor(namer(`${base}_scales`), DataType.FLOAT, [N * p.nBlocks], p.scales);
      const sv = addInitializer(g, scales);
      const inputs = [a, bq, sv];
      if (p.zeroPoints) inputs.push(addInitializer(g, makeTensor(namer(`${base}_zero_points`), DataType.UINT8, [p.zeroPoints.length], p.zeroPoints)));
      n.opType = 'MatMulNBits';
      n.domain = 'com.microsoft';
      n.inputs = inputs;
      n.attributes = [
        { name: 'K', attr: { type: 'int', value: BigInt(K) } },
        { name: 'N', attr: { type: 'int', value: BigInt(N) } },
        { name: 'bits', attr: { type: 'int', value: BigInt(o.bits) } },
        { name: 'block_size', attr: { type: 'int', value: BigInt(o.blockSize) } },
        ...(o.accuracyLevel ? [{ name: 'accuracy_level', attr: { type: 'int' as const, value: BigInt(o.accuracyLevel) } }] : []),
      ];
      bytesBefore += w.data.length;
      bytesAfter += p.packed.length + scales.data.length + (p.zeroPoints?.length ?? 0);
      bump(report, 'nodesConverted');
    }
    // Drop the float weights nothing reads any more.
    const used = new Set(g.nodes.flatMap((x) => x.inputs));
    const outs = new Set(g.outputs);
    g.initializers = g.initializers.filter((v) => used.has(v) || outs.has(v) || g.inputs.includes(v) || usedBySubgraphs(g, v));
  };
  visit(m.graph);
  if ((report.stats.nodesConverted ?? 0) > 0) requireOpset(m, 'com.microsoft', 1);
  else report.warnings.push({ pass: WO_NAME, code: 'nothing-quantized', message: 'no MatMul with a constant 2-D float weight was found' });
  report.stats.weightBytesBefore = bytesBefore;
  report.stats.weightBytesAfter = bytesAfter;
  recordPass(m, WO_NAME, o);
  verifyModel(m, `pass ${WO_NAME}`);
  return { model: m, report };
}

function usedBySubgraphs(g: Graph, v: Graph['initializers'][number]): boolean {
  for (const n of g.nodes)
    for (const sg of listSubgraphs(n)) {
      if (sg.nodes.some((x) => x.inputs.includes(v))) return true;
      if (usedBySubgraphs(sg, v)) return true;
    }
  return false;
}

/** The weight-only MatMulNBits pass (see module docs). Pure. */
export function matMulNBits(model: Model, options: MatMulNBitsOptions = {}): Model {
  return matMulNBitsWithReport(model, options).model;
}
