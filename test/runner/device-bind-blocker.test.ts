/** Why a role's calls cannot bind on the device: the words a CUDA-graph role on the host path fails with. */
import { describe, expect, it } from 'vitest';
import { deviceBindBlocker } from '../../src/runner/role-sessions.js';
import type { SessionIO } from '../../src/runtime/index.js';

const io = (name: string, type: SessionIO['type']): SessionIO => ({ name, type });
const native = (inputs: SessionIO[], outputs: SessionIO[]) => ({ backend: 'native' as const, inputMetadata: inputs, outputMetadata: outputs });

describe('deviceBindBlocker', () => {
  it('a native session with float32, int64 and uint8 I/O binds on the device', () => {
    expect(deviceBindBlocker(native([io('x', 'float32'), io('time_cond', 'int64')], [io('frames', 'uint8')]), false)).toBeUndefined();
  });
  it('names a float16 input, the way out, the recorder, the backend and a missing session', () => {
    // Round 8d on the H200: a mixed-precision LMDM with float16 I/O under enable_cuda_graph.
    expect(deviceBindBlocker(native([io('x', 'float16')], [io('x_start', 'float32')]), false)).toBe(
      "input 'x' is float16; device buffers hold float32, int64 and uint8 (an fp16 or mixed pass with keepIo: true keeps float32 I/O)",
    );
    expect(deviceBindBlocker(native([io('x', 'float32')], [io('pred_noise', 'float16')]), false)).toMatch(/^output 'pred_noise' is float16/);
    expect(deviceBindBlocker(native([io('x', 'float32')], []), true)).toBe('an input recorder is attached (it needs host feeds)');
    expect(deviceBindBlocker({ backend: 'node', inputMetadata: [], outputMetadata: [] }, false)).toMatch(/^backend 'node'/);
    expect(deviceBindBlocker(undefined, false)).toBe('no session is loaded');
  });
});
