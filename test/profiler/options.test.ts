import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { computePeakFor, detectGpus, findDevicePeaks, parseGpuQuery } from '../../src/core/devices.js';
import { parseComputeApps, watchGpuMemory } from '../../src/core/gpu-memory.js';
import { fillFor, materializeInput, parseInputsOption, planInputs } from '../../src/profiler/inputs.js';
import { rooflinePoint } from '../../src/profiler/roofline.js';
import { parseSessionOptions } from '../../src/profiler/session-options.js';
import { cudaEnvFor, describeSessionConfig, diagnoseCuda } from '../../src/runtime/index.js';
import { profileTarget } from '../../src/profiler/profile.js';
import { RuntimeError } from '../../src/errors.js';

describe('session options', () => {
  it('maps key=value onto SessionConfig', () => {
    const c = parseSessionOptions(
      [
        'graph_optimization_level=basic',
        'cudnn_conv_algo_search=heuristic',
        'use_tf32=0',
        'enable_cuda_graph=1',
        'prefer_nhwc=true',
        'session.intra_op.allow_spinning=0',
      ],
      { ep: 'cuda' },
    );
    expect(c).toEqual({
      ep: 'cuda',
      graphOptimizationLevel: 'basic',
      cudnnConvAlgoSearch: 'HEURISTIC',
      useTf32: false,
      cudaGraph: true,
      preferNhwc: true,
      extra: { 'session.intra_op.allow_spinning': '0' },
    });
    expect(() => parseSessionOptions(['bogus=1'], { ep: 'cpu' })).toThrow(UsageError);
    expect(() => parseSessionOptions(['use_tf32=maybe'], { ep: 'cpu' })).toThrow(/1\/0/);
  });

  it('records which options onnxruntime-node 1.29 can apply', () => {
    const c = parseSessionOptions(['cudnn_conv_algo_search=DEFAULT', 'use_tf32=0', 'enable_cuda_graph=1'], { ep: 'cuda' });
    const a = Object.fromEntries(describeSessionConfig(c, {}).map((x) => [x.key, x.applied]));
    expect(a).toMatchObject({ ep: 'yes', cudnn_conv_algo_search: 'no', use_tf32: 'no', enable_cuda_graph: 'no' });
    expect(cudaEnvFor(c)).toEqual({ NVIDIA_TF32_OVERRIDE: '0' });
    expect(describeSessionConfig(c, { NVIDIA_TF32_OVERRIDE: '0' }).find((x) => x.key === 'use_tf32')?.applied).toBe('env');
  });
});

describe('inputs', () => {
  it('parses inline shapes and symbolic dims', () => {
    expect(parseInputsOption('x:1x3x64x64,N=6480')).toMatchObject({ shapes: { x: [1, 3, 64, 64] }, dims: { N: 6480 } });
    expect(() => parseInputsOption('x:1xAx2')).toThrow(UsageError);
  });

  it('chooses fills from names and types', () => {
    expect(fillFor('attention_mask', 'int64').fill).toBe('ones');
    expect(fillFor('input_ids', 'int64').fill).toBe('token-ids');
    expect(fillFor('timestep', 'int64').fill).toBe('zeros');
    expect(fillFor('position_ids', 'int64').fill).toBe('positions');
    expect(fillFor('audio', 'float32').fill).toBe('normal');
  });

  it('is deterministic and warns about unresolved symbolic dims', () => {
    const { plan, warnings } = planInputs(
      [
        { name: 'x', type: 'float32', shape: [1, 'T', 4] },
        { name: 'position_ids', type: 'int64', shape: [1, 5] },
      ],
      { dims: {}, shapes: {}, data: {}, roles: {} },
      7,
      'm',
    );
    expect(plan[0]?.dims).toEqual([1, 1, 4]);
    expect(warnings[0]).toMatch(/symbolic dim\(s\) T; used 1/);
    const a = materializeInput(plan[0]!);
    const b = materializeInput(plan[0]!);
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from(b.data as Float32Array));
    expect(Array.from(materializeInput(plan[1]!).data as BigInt64Array)).toEqual([0n, 1n, 2n, 3n, 4n]);
  });
});

describe('devices and roofline', () => {
  it('identifies GPUs from nvidia-smi names and memory', () => {
    const g = parseGpuQuery(
      'NVIDIA H100 80GB HBM3, 81559\nNVIDIA A100-SXM4-40GB, 40960\nNVIDIA A100-SXM4-80GB, 81920\nNVIDIA H100 PCIe, 81559\nNVIDIA H200, 143771\nTesla T4, 15360\nNVIDIA L4, 23034\nNVIDIA A10, 23028\n',
    );
    expect(g.map((x) => x.peaks?.id)).toEqual(['h100-sxm', 'a100-40gb', 'a100-80gb', 'h100-pcie', 'h200', 't4', 'l4', 'a10']);
    expect(findDevicePeaks('h200')?.memoryBandwidth).toBe(4.8e12);
    expect(
      detectGpus(() => {
        throw new Error('ENOENT');
      }),
    ).toEqual([]);
  });

  it('picks the tensor-core roof for matrix ops and classifies the bound', () => {
    const h = findDevicePeaks('h100-sxm')!;
    expect(computePeakFor(h, 'float', 'MatMul', true).unit).toBe('TF32 tensor');
    expect(computePeakFor(h, 'float16', 'Conv', true).flops).toBe(h.fp16Tensor);
    expect(computePeakFor(h, 'float', 'Add', true).unit).toBe('FP32');
    // 1 GFLOP over 1 MB in 1 ms: intensity 1000 > ridge ≈ 148 → compute-bound at 1 TFLOP/s.
    const p = rooflinePoint(1e9, 1e6, 1e-3, h.tf32Tensor!, 'TF32 tensor', h.memoryBandwidth)!;
    expect(p.bound).toBe('compute');
    expect(p.fractionOfBound).toBeCloseTo(1e12 / h.tf32Tensor!, 9);
    const m = rooflinePoint(1e6, 1e8, 1e-4, h.fp32, 'FP32', h.memoryBandwidth)!;
    expect(m.bound).toBe('memory');
    expect(m.fractionOfBound).toBeCloseTo(1e12 / h.memoryBandwidth, 9);
  });

  it('parses nvidia-smi compute apps and degrades when nvidia-smi is missing', async () => {
    expect(parseComputeApps('1234, 512\n99, 100\n')).toEqual([
      { pid: 1234, usedMiB: 512 },
      { pid: 99, usedMiB: 100 },
    ]);
    const w = watchGpuMemory(1234, 5, () => Promise.resolve('1234, 512\n99, 100\n'));
    await new Promise((r) => setTimeout(r, 30));
    const rep = await w.stop();
    expect(rep.source).toBe('nvidia-smi');
    expect(rep.peakBytes).toBe(512 * 1024 * 1024);
    const gone = watchGpuMemory(1, 5, () => Promise.reject(Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' })));
    await new Promise((r) => setTimeout(r, 20));
    expect(await gone.stop()).toMatchObject({ source: 'unavailable', note: 'nvidia-smi not found' });
  });
});

describe('--ep cuda without a GPU or provider', () => {
  it('is a clear error saying what is missing, not a CPU run', async () => {
    const why = diagnoseCuda();
    if (!why) return; // a machine with CUDA: nothing to check here
    await expect(profileTarget({ target: 'x.onnx', ep: 'cuda' })).rejects.toThrow(RuntimeError);
    await expect(profileTarget({ target: 'x.onnx', ep: 'cuda' })).rejects.toThrow(
      /--ep cuda cannot run: (the CUDA execution provider is not installed|no NVIDIA GPU)/,
    );
  });
});
