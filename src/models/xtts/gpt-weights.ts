/**
 * The GPT-2 backbone's weights as plain Tensors, made once and shared by `gpt_prefill` and `gpt_decode`
 * (the two graphs reference the same Tensor bytes, so a shared external-data file stores them once).
 *
 * Init: fan-in scaled uniform; the residual-branch output projections (attn.c_proj, mlp.c_proj) are scaled
 * by 1/√(2·layers) as GPT-2 does; LayerNorm scales 1, biases 0; embeddings and positions std 1/√2 so their
 * sum has unit variance like the perceiver's RMS-normalised conditioning latents.
 */
import { DataType } from '../../onnx/dtype.js';
import { createRng, type Rng } from '../../onnx/rng.js';
import { makeTensor, placeholderTensor } from '../../onnx/tensor.js';
import type { Tensor } from '../../onnx/types.js';
import type { BuildOptions } from '../manifest.js';
import { xttsDims, type GptDims } from './config.js';
import { componentSeed } from './seed.js';

/** A Linear as GPT-2's Conv1D stores it: weight [in, out], bias [out]. */
export interface LinearWeights {
  weight: Tensor;
  bias: Tensor;
}

export interface NormWeights {
  weight: Tensor;
  bias: Tensor;
}

export interface GptLayerWeights {
  ln1: NormWeights;
  cAttn: LinearWeights;
  attnProj: LinearWeights;
  ln2: NormWeights;
  cFc: LinearWeights;
  mlpProj: LinearWeights;
}

export interface GptWeights {
  dims: GptDims;
  textEmbedding: Tensor;
  textPositions: Tensor;
  melEmbedding: Tensor;
  melPositions: Tensor;
  layers: GptLayerWeights[];
  lnF: NormWeights;
  melHead: LinearWeights;
}

interface Maker {
  random(name: string, dims: number[], std: number): Tensor;
  constant(name: string, dims: number[], value: number): Tensor;
}

function maker(rng: Rng, weights: BuildOptions['weights']): Maker {
  const size = (dims: number[]): number => dims.reduce((a, d) => a * d, 1);
  return {
    random(name, dims, std) {
      if (weights === 'none') return placeholderTensor(name, DataType.FLOAT, dims);
      const data = new Float32Array(size(dims));
      rng.fillUniform(data, std);
      return makeTensor(name, DataType.FLOAT, dims, data);
    },
    constant(name, dims, value) {
      if (weights === 'none') return placeholderTensor(name, DataType.FLOAT, dims);
      return makeTensor(name, DataType.FLOAT, dims, new Float32Array(size(dims)).fill(value));
    },
  };
}

/**
 * Creates the GPT weights for a build (seeded; placeholders when `weights` is 'none'). `dims` overrides
 * the scale's dimensions (tests use 30 narrow layers to check the residual stream stays bounded).
 */
export function createGptWeights(opts: BuildOptions, dims: GptDims = xttsDims(opts.scale).gpt): GptWeights {
  const m = maker(createRng(componentSeed(opts.seed, 'gpt')), opts.weights);
  const residualGain = 1 / Math.sqrt(2 * dims.layers);
  const lin = (name: string, inDim: number, outDim: number, gain = 1): LinearWeights => ({
    weight: m.random(`${name}.weight`, [inDim, outDim], gain / Math.sqrt(inDim)),
    bias: m.constant(`${name}.bias`, [outDim], 0),
  });
  const norm = (name: string, dim: number): NormWeights => ({
    weight: m.constant(`${name}.weight`, [dim], 1),
    bias: m.constant(`${name}.bias`, [dim], 0),
  });
  const w = dims.width;
  const embStd = Math.SQRT1_2;
  return {
    dims,
    textEmbedding: m.random('text_embedding.weight', [dims.textVocab, w], embStd),
    textPositions: m.random('text_pos_embedding.emb.weight', [dims.textPositions, w], embStd),
    melEmbedding: m.random('mel_embedding.weight', [dims.audioVocab, w], embStd),
    melPositions: m.random('mel_pos_embedding.emb.weight', [dims.melPositions, w], embStd),
    layers: Array.from({ length: dims.layers }, (_, i) => {
      const p = `gpt.h.${i}`;
      return {
        ln1: norm(`${p}.ln_1`, w),
        cAttn: lin(`${p}.attn.c_attn`, w, 3 * w),
        attnProj: lin(`${p}.attn.c_proj`, w, w, residualGain),
        ln2: norm(`${p}.ln_2`, w),
        cFc: lin(`${p}.mlp.c_fc`, w, dims.ffn),
        mlpProj: lin(`${p}.mlp.c_proj`, dims.ffn, w, residualGain),
      };
    }),
    lnF: norm('final_norm', w),
    melHead: lin('mel_head', w, dims.audioVocab),
  };
}
