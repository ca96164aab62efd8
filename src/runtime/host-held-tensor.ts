/**
 * "Device tensors" of the node backend: onnxruntime-node has no CUDA IO binding, so they hold a host tensor.
 * With them, code written against the runtime interface's device IO runs unchanged on the node backend (it
 * then copies through the host on every call, as onnxruntime-node always does).
 */
import { UsageError } from '../errors.js';
import type { BoundRunOptions, BoundRunResult, DeviceTensor, HostTensor, OutputTarget, PreparedRun, Session, Tensor, TensorData } from './types.js';
import { isDeviceTensor } from './types.js';

const CTOR: Record<HostTensor['type'], new (n: number) => TensorData> = {
  float32: Float32Array,
  float16: Uint16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  int8: Int8Array,
  bool: Uint8Array,
  float64: Float64Array,
};

export class HostHeldTensor implements DeviceTensor {
  readonly kind = 'device' as const;
  readonly location = 'cpu' as const;
  constructor(private t: HostTensor) {}
  static zeros(type: HostTensor['type'], dims: readonly number[]): HostHeldTensor {
    return new HostHeldTensor({ type, dims: [...dims], data: new CTOR[type](dims.reduce((a, b) => a * b, 1)) });
  }
  get type(): HostTensor['type'] {
    return this.t.type;
  }
  get dims(): readonly number[] {
    return this.t.dims;
  }
  /** The held tensor itself (no copy): what the node backend feeds. */
  get host(): HostTensor {
    return this.t;
  }
  upload(data: TensorData): void {
    if (data.byteLength !== this.t.data.byteLength) throw new RangeError(`upload: ${data.byteLength} bytes for a tensor of ${this.t.data.byteLength}`);
    new Uint8Array(this.t.data.buffer, this.t.data.byteOffset, this.t.data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  download(): HostTensor {
    return { type: this.t.type, dims: [...this.t.dims], data: this.t.data.slice() as TensorData };
  }
  /** Replaces the held tensor (an output bound into this one). */
  hold(t: HostTensor): void {
    this.t = t;
  }
  release(): void {}
}

/** runBound for a backend that only has host runs: device tensors are host-held, outputs land where asked. */
export async function bindWithHostRuns(
  run: (feeds: Record<string, HostTensor>, fetches?: readonly string[]) => Promise<Record<string, HostTensor>>,
  feeds: Record<string, Tensor>,
  outputs: Record<string, OutputTarget> = {},
  options: BoundRunOptions = {},
): Promise<BoundRunResult> {
  const download = boundDownloads(outputs, options.download);
  const f: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = isDeviceTensor(v) ? hostOf(v) : v;
  const names = Object.keys(outputs);
  const t0 = performance.now();
  const out = await run(f, names.length ? names : undefined);
  const ms = performance.now() - t0;
  const r: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(out)) {
    const target = outputs[k] ?? 'host';
    if (target === 'host') r[k] = v;
    else if (target === 'device') r[k] = new HostHeldTensor(v);
    else {
      if (target instanceof HostHeldTensor) target.hold(v);
      else target.upload(v.data);
      r[k] = target;
    }
  }
  if (!download.length) return { outputs: r, ms };
  return { outputs: r, ms, downloads: Object.fromEntries(download.map(([name, t]) => [name, t.download()])) };
}

/** The outputs `download` names, each bound to a device tensor, or a UsageError naming the first that is not. */
export function boundDownloads(outputs: Record<string, OutputTarget>, download: readonly string[] = []): [string, DeviceTensor][] {
  return download.map((name) => {
    const t = outputs[name];
    if (t === undefined || !isDeviceTensor(t)) throw new UsageError(`download: output '${name}' is not bound to a device tensor in this run`);
    return [name, t];
  });
}

/** A prepared run over a backend's runBound (binding again each call: the node backend's form). */
export function preparedFromRunBound(runBound: Session['runBound'], feeds: Record<string, DeviceTensor>, outputs: Record<string, DeviceTensor>): PreparedRun {
  let live = true;
  return {
    run(options) {
      if (!live) return Promise.reject(new UsageError('prepared run was released'));
      return runBound(feeds, outputs, options);
    },
    release() {
      live = false;
    },
  };
}

function hostOf(t: DeviceTensor): HostTensor {
  return t instanceof HostHeldTensor ? t.host : t.download();
}
