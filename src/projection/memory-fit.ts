/**
 * Does one pipeline worker (every role's session plus a CUDA context) fit the target's memory, how many
 * workers would, and how many streams the GPU could then keep in real time. Model bytes do not change
 * between GPUs (same precision), so the source's session peaks carry over as they are.
 */
import { DEFAULT_CONTEXT_BYTES, DEFAULT_RESERVE_FRACTION } from './defaults.js';
import type { MemoryFit, RoleProjection } from './types.js';

/** Memory fit of one worker per `roles` on a target with `targetMemoryBytes`, at projected RTF `rtf`. */
export function memoryFit(
  roles: readonly Pick<RoleProjection, 'memoryBytes' | 'memorySource'>[],
  targetMemoryBytes: number,
  rtf: number,
  contextBytes = DEFAULT_CONTEXT_BYTES,
  reserveFraction = DEFAULT_RESERVE_FRACTION,
): MemoryFit {
  const sessions = roles.reduce((s, r) => s + (r.memoryBytes ?? 0), 0);
  const perWorkerBytes = sessions + contextBytes;
  const reserveBytes = Math.round(targetMemoryBytes * reserveFraction);
  const usable = targetMemoryBytes - reserveBytes;
  const workersByMemory = perWorkerBytes > 0 ? Math.max(0, Math.floor(usable / perWorkerBytes)) : 0;
  const byCompute = rtf > 0 ? Math.floor(1 / rtf) : 0;
  const estimated = roles.some((r) => r.memorySource.startsWith('estimate'));
  return {
    projected: true,
    perWorkerBytes,
    contextBytes,
    targetMemoryBytes,
    reserveBytes,
    fits: perWorkerBytes <= usable,
    workersByMemory,
    realtimeStreams: Math.min(workersByMemory, byCompute),
    note:
      "One worker = every role's session (device arena peak) + one CUDA context; workers share the GPU's compute, so real-time streams = min(workers that fit, floor(1 / RTF))." +
      (estimated ? ' Some roles had no device measurement: their memory is estimated from weights and activations.' : ''),
  };
}
