/**
 * CUDA EP provider options for the native backend: every key ONNX Runtime 1.29's CUDA EP takes through
 * UpdateCUDAProviderOptions (cuda_execution_provider_info.cc), checked here so that a bad key or value is one
 * line naming it on any machine (ORT itself can only check them where the CUDA provider library loads).
 * `arena.<key>` keys go to the default memory arena (CreateArenaCfgV2).
 */
import { UsageError } from '../../errors.js';
import type { SessionConfig } from '../types.js';

type Check = { kind: 'bool' } | { kind: 'int'; min: number } | { kind: 'enum'; values: readonly string[] } | { kind: 'refused'; why: string };

const BOOL: Check = { kind: 'bool' };
const UINT: Check = { kind: 'int', min: 0 };
const POINTER: Check = { kind: 'refused', why: 'takes a process address (an allocator or stream pointer), which a workbench option cannot supply' };

export const CUDA_PROVIDER_OPTIONS: Readonly<Record<string, Check>> = {
  device_id: UINT,
  gpu_mem_limit: UINT,
  arena_extend_strategy: { kind: 'enum', values: ['kNextPowerOfTwo', 'kSameAsRequested'] },
  cudnn_conv_algo_search: { kind: 'enum', values: ['EXHAUSTIVE', 'HEURISTIC', 'DEFAULT'] },
  do_copy_in_default_stream: BOOL,
  cudnn_conv_use_max_workspace: BOOL,
  cudnn_conv1d_pad_to_nc1d: BOOL,
  enable_cuda_graph: BOOL,
  tunable_op_enable: BOOL,
  tunable_op_tuning_enable: BOOL,
  tunable_op_max_tuning_duration_ms: UINT,
  enable_skip_layer_norm_strict_mode: BOOL,
  prefer_nhwc: BOOL,
  use_ep_level_unified_stream: BOOL,
  use_tf32: BOOL,
  sdpa_kernel: UINT,
  fuse_conv_bias: BOOL,
  // The addon's own, not ORT's: a CUDA stream of this priority made for the session and given to the EP as
  // its compute stream (user_compute_stream). high = the device's greatest priority; low/default = a plain stream's.
  stream_priority: { kind: 'enum', values: ['high', 'low', 'default'] },
  has_user_compute_stream: POINTER,
  user_compute_stream: POINTER,
  gpu_external_alloc: POINTER,
  gpu_external_free: POINTER,
  gpu_external_empty_cache: POINTER,
};

/** OrtArenaCfg keys (CreateArenaCfgV2), all non-negative integers; arena_extend_strategy is 0 or 1. */
export const ARENA_OPTIONS: readonly string[] = [
  'max_mem',
  'arena_extend_strategy',
  'initial_chunk_size_bytes',
  'max_dead_bytes_per_chunk',
  'initial_growth_chunk_size_bytes',
  'max_power_of_two_extend_bytes',
];

function checkValue(key: string, value: string, c: Check, where: string): void {
  const bad = (want: string): never => {
    throw new UsageError(`${where}: provider option ${key}=${value}: ${want}`);
  };
  if (c.kind === 'refused') bad(`not settable: it ${c.why}`);
  if (c.kind === 'bool' && !['0', '1', 'true', 'false'].includes(value)) bad('expected 0 or 1');
  if (c.kind === 'int' && (!/^\d+$/.test(value) || Number(value) < c.min)) bad('expected a non-negative integer');
  if (c.kind === 'enum' && !c.values.includes(value)) bad(`expected one of ${c.values.join(', ')}`);
}

/** Throws a one-line UsageError naming the first unknown key or bad value. `where` names the flag or field. */
export function validateProviderOptions(opts: Record<string, string>, where = '--provider-options'): void {
  for (const [key, value] of Object.entries(opts)) {
    if (key.startsWith('arena.')) {
      const k = key.slice('arena.'.length);
      if (!ARENA_OPTIONS.includes(k))
        throw new UsageError(`${where}: unknown arena option '${key}'. Known: ${ARENA_OPTIONS.map((a) => `arena.${a}`).join(', ')}`);
      if (!/^\d+$/.test(value)) throw new UsageError(`${where}: arena option ${key}=${value}: expected a non-negative integer`);
      continue;
    }
    const c = CUDA_PROVIDER_OPTIONS[key];
    if (!c)
      throw new UsageError(
        `${where}: unknown CUDA provider option '${key}'. Known: ${Object.keys(CUDA_PROVIDER_OPTIONS).join(', ')}, arena.<${ARENA_OPTIONS.join('|')}>`,
      );
    checkValue(key, value, c, where);
  }
}

/** Parses 'k=v,k2=v2' (a --provider-options value) into a record; one line naming the bad part otherwise. */
export function parseProviderOptions(text: string, where = '--provider-options'): Record<string, string> {
  const r: Record<string, string> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`${where}: '${part}' is not key=value`);
    r[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  validateProviderOptions(r, where);
  return r;
}

/**
 * Every CUDA option of a config as provider-option keys: the typed fields (cudnnConvAlgoSearch, useTf32,
 * cudaGraph, preferNhwc, deviceId) mapped to ORT's names, then `providerOptions` (which wins on a clash).
 */
export function nativeProviderOptions(c: SessionConfig): Record<string, string> {
  const r: Record<string, string> = {};
  if (c.deviceId !== undefined) r.device_id = String(c.deviceId);
  if (c.cudnnConvAlgoSearch) r.cudnn_conv_algo_search = c.cudnnConvAlgoSearch;
  if (c.useTf32 !== undefined) r.use_tf32 = c.useTf32 ? '1' : '0';
  if (c.cudaGraph) r.enable_cuda_graph = '1';
  if (c.preferNhwc) r.prefer_nhwc = '1';
  return { ...r, ...(c.providerOptions ?? {}) };
}

/** Whether a session config asks for CUDA graph capture (enable_cuda_graph on the CUDA EP). */
export function cudaGraphEnabled(c: SessionConfig): boolean {
  return c.ep === 'cuda' && nativeProviderOptions(c).enable_cuda_graph === '1';
}
