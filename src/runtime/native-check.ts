/**
 * `setup-cuda`'s check of the native backend: the addon loads onnxruntime-node's libonnxruntime.so.1, and on
 * the CUDA EP a MatMul runs with device IO, with provider options applied, and a captured CUDA graph replays
 * into the bound output (the same values as the first call, not zeros).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession, nativeRuntimeVersion, nativeUnavailable } from './sessions.js';
import { diagnoseCuda } from './ort-files.js';
import type { HostTensor } from './types.js';
import { writeMatMulCheckModel } from './check-model.js';

export interface NativeCheck {
  /** The addon is built and loads. */
  available: boolean;
  /** The CUDA checks passed (false when skipped: no addon, or no CUDA here). */
  ok: boolean;
  ortVersion?: string;
  detail: string;
  steps: { name: string; ok: boolean; detail: string }[];
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] ?? NaN))), 0);

export async function checkNative(): Promise<NativeCheck> {
  const why = nativeUnavailable();
  if (why) return { available: false, ok: false, detail: `native backend unavailable: ${why}`, steps: [] };
  const base = { available: true, ortVersion: nativeRuntimeVersion() ?? '?' };
  const cuda = diagnoseCuda();
  if (cuda) return { ...base, ok: false, detail: `addon loads (ONNX Runtime ${base.ortVersion}); CUDA checks skipped: ${cuda}`, steps: [] };
  const dir = mkdtempSync(join(tmpdir(), 'wb-native-check-'));
  const steps: NativeCheck['steps'] = [];
  try {
    const model = writeMatMulCheckModel(dir, 'native_check');
    const feeds: Record<string, HostTensor> = { x: { type: 'float32', dims: [1, 64], data: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)) } };
    const ref = await createSession(model, { ep: 'cpu', backend: 'node' });
    const want = (await ref.run(feeds)).y?.data as Float32Array;
    await ref.release();
    const s = await createSession(model, {
      ep: 'cuda',
      backend: 'native',
      providerOptions: { enable_cuda_graph: '1', prefer_nhwc: '1', cudnn_conv_algo_search: 'HEURISTIC' },
    });
    const xin = s.allocate('float32', [1, 64]);
    xin.upload(feeds.x?.data as Float32Array);
    const yout = s.allocate('float32', [1, 64]);
    steps.push({ name: 'device tensors', ok: xin.location === 'cuda' && yout.location === 'cuda', detail: `input and output on ${xin.location}` });
    const first = await s.runBound({ x: xin }, { y: yout });
    const got1 = yout.download().data as Float32Array;
    const d1 = maxAbsDiff(got1, want);
    steps.push({ name: 'device IO run (graph capture)', ok: d1 < 1e-3, detail: `max |diff| vs CPU ${d1.toExponential(2)}, ${first.ms.toFixed(2)} ms` });
    yout.upload(new Float32Array(64));
    const replay = await s.runBound({ x: xin }, { y: yout });
    const got2 = yout.download().data as Float32Array;
    const d2 = maxAbsDiff(got2, got1);
    steps.push({ name: 'CUDA graph replay', ok: d2 === 0, detail: `max |diff| vs the captured run ${d2}, ${replay.ms.toFixed(3)} ms` });
    xin.release();
    yout.release();
    await s.release();
    const ok = steps.every((t) => t.ok);
    return {
      ...base,
      ok,
      steps,
      detail: ok
        ? `native backend on CUDA: device IO, provider options and CUDA graph replay work (ONNX Runtime ${base.ortVersion})`
        : `native backend on CUDA: ${steps
            .filter((t) => !t.ok)
            .map((t) => `${t.name}: ${t.detail}`)
            .join('; ')}`,
    };
  } catch (e) {
    return { ...base, ok: false, steps, detail: `native backend on CUDA failed: ${String((e as Error).message).split('\n')[0]}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
