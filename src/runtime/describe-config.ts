/**
 * What each requested session option does on the backend that serves it: the record a profile or sweep keeps
 * so that "asked for" and "applied" can be told apart.
 */
import type { ResolvedBackend, SessionConfig } from './types.js';
import { nativeProviderOptions } from './native/provider-options.js';

/** How one requested session option reaches ONNX Runtime through onnxruntime-node 1.29. */
export interface AppliedSessionOption {
  key: string;
  value: string;
  /** 'yes': set through the binding; 'env': through an environment variable of the process; 'no': the binding cannot pass it. */
  applied: 'yes' | 'env' | 'no';
  how: string;
}

/**
 * What each option of `c` does in onnxruntime-node 1.29. Its binding (js/node/src/session_options_helper.cc)
 * reads only `deviceId` from a CUDA provider entry: cudnn_conv_algo_search, prefer_nhwc and enable_cuda_graph
 * cannot be set from Node (the strings are not even in onnxruntime_binding.node). TF32 can be switched off for
 * the whole process with NVIDIA_TF32_OVERRIDE=0 (honoured by cuBLAS and cuDNN), see {@link cudaEnvFor}.
 * IO binding: `preferredOutputLocation: 'gpu-buffer'` binds outputs to WebGPU buffers only, so CUDA outputs
 * always come back to the host and end-to-end times include the device-to-host copies.
 */
export function describeSessionConfig(c: SessionConfig, env: NodeJS.ProcessEnv = process.env, backend: ResolvedBackend = 'node'): AppliedSessionOption[] {
  if (backend === 'native') return describeNative(c, env);
  const r: AppliedSessionOption[] = [];
  const no = 'onnxruntime-node 1.29 forwards only deviceId to the CUDA provider; recorded, not applied';
  r.push({ key: 'ep', value: c.ep, applied: 'yes', how: 'executionProviders' });
  r.push({ key: 'graph_optimization_level', value: c.graphOptimizationLevel ?? 'all (ORT default)', applied: 'yes', how: 'graphOptimizationLevel' });
  if (c.ep === 'cpu' && c.intraOpThreads) r.push({ key: 'intra_op_num_threads', value: String(c.intraOpThreads), applied: 'yes', how: 'intraOpNumThreads' });
  if (c.ep === 'cuda') {
    r.push({ key: 'device_id', value: String(c.deviceId ?? 0), applied: 'yes', how: 'executionProviders[0].deviceId' });
    if (c.cudnnConvAlgoSearch) r.push({ key: 'cudnn_conv_algo_search', value: c.cudnnConvAlgoSearch, applied: 'no', how: no });
    if (c.useTf32 !== undefined) {
      const off = env.NVIDIA_TF32_OVERRIDE === '0';
      if (c.useTf32)
        r.push({
          key: 'use_tf32',
          value: '1',
          applied: off ? 'no' : 'yes',
          how: off ? 'NVIDIA_TF32_OVERRIDE=0 is set in this process and wins' : 'ORT default (TF32 allowed)',
        });
      else
        r.push({
          key: 'use_tf32',
          value: '0',
          applied: off ? 'env' : 'no',
          how: off ? 'NVIDIA_TF32_OVERRIDE=0 (cuBLAS/cuDNN)' : 'needs NVIDIA_TF32_OVERRIDE=0 before CUDA loads; not set in this process',
        });
    }
    if (c.cudaGraph) r.push({ key: 'enable_cuda_graph', value: '1', applied: 'no', how: no });
    if (c.preferNhwc) r.push({ key: 'prefer_nhwc', value: '1', applied: 'no', how: no });
  }
  for (const [k, v] of Object.entries(c.extra ?? {}))
    r.push({ key: k.includes('.') ? k : `session.${k}`, value: v, applied: 'yes', how: 'session config entry (extra)' });
  if (c.enableProfiling) r.push({ key: 'enable_profiling', value: '1', applied: 'yes', how: `profileFilePrefix=${c.profileFilePrefix ?? 'ort-profile'}` });
  return r;
}

/** The native backend applies every option (or the session fails naming it): each one is 'yes'. */
function describeNative(c: SessionConfig, env: NodeJS.ProcessEnv): AppliedSessionOption[] {
  const r: AppliedSessionOption[] = [{ key: 'ep', value: c.ep, applied: 'yes', how: 'native: SessionOptionsAppendExecutionProvider' }];
  r.push({ key: 'graph_optimization_level', value: c.graphOptimizationLevel ?? 'all (ORT default)', applied: 'yes', how: 'SetGraphOptimizationLevel' });
  if (c.intraOpThreads) r.push({ key: 'intra_op_num_threads', value: String(c.intraOpThreads), applied: 'yes', how: 'SetIntraOpNumThreads' });
  if (c.ep === 'cuda') {
    const pool = env.WB_NATIVE_RUN_THREAD === 'pool';
    r.push({
      key: 'run_thread',
      value: pool ? 'pool' : 'session',
      applied: 'yes',
      how: pool
        ? 'native: WB_NATIVE_RUN_THREAD=pool, each call on a libuv pool thread'
        : "native: every call on the session's own thread (ORT's per-thread CUDA context and CUDA graphs made once)",
    });
    for (const [k, v] of Object.entries(nativeProviderOptions(c)))
      r.push({
        key: k,
        value: v,
        applied: 'yes',
        how: k.startsWith('arena.')
          ? 'CreateArenaCfgV2 (default_memory_arena_cfg)'
          : k === 'stream_priority'
            ? 'native: cudaStreamCreateWithPriority → user_compute_stream'
            : 'UpdateCUDAProviderOptions',
      });
  }
  for (const [k, v] of Object.entries(c.extra ?? {})) r.push({ key: k.includes('.') ? k : `session.${k}`, value: v, applied: 'yes', how: 'AddConfigEntry' });
  if (c.enableProfiling) r.push({ key: 'enable_profiling', value: '1', applied: 'yes', how: `EnableProfiling(${c.profileFilePrefix ?? 'ort-profile'})` });
  return r;
}

/** Environment a fresh process needs (before CUDA loads) so that `c` takes effect: TF32 off → NVIDIA_TF32_OVERRIDE=0. */
export function cudaEnvFor(c: SessionConfig): Record<string, string> {
  return c.ep === 'cuda' && c.useTf32 === false ? { NVIDIA_TF32_OVERRIDE: '0' } : {};
}
