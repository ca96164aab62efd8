/** Per-node times under the 'cupti' method, read from an attribution: GPU time, host launch time, contribution, kernels. */
import type { ParsedTrace, TraceKernelEvent, TraceNodeEvent } from '../trace.js';
import type { CuptiAttribution } from './attribute-capture.js';

const DEVICE_PROVIDER = 'CUDAExecutionProvider';

/** Whether a node's time is GPU time: it ran on the CUDA EP or launched GPU work. */
export function isDeviceNode(e: TraceNodeEvent, att: CuptiAttribution): boolean {
  return e.provider === DEVICE_PROVIDER || (att.byNode.get(e)?.activities.length ?? 0) > 0;
}

/** Node time under 'cupti' (µs): GPU time for device nodes, the host `_kernel_time` for CPU nodes. */
export function nodeGpuTimeUs(e: TraceNodeEvent, att: CuptiAttribution): number {
  return isDeviceNode(e, att) ? (att.byNode.get(e)?.gpuUs ?? 0) : e.dur;
}

/** Host time of launching a node's work (µs): its `_kernel_time` less time blocked in synchronizing calls. */
export function nodeHostLaunchUs(e: TraceNodeEvent, att: CuptiAttribution): number {
  return Math.max(0, e.dur - (att.byNode.get(e)?.blockedUs ?? 0));
}

/**
 * What a node adds to a run (µs): max(host launch time, GPU time). A GPU-bound node costs its GPU time; a
 * launch-bound one (tiny kernels) costs the host time of launching them. CPU nodes: their host time.
 */
export function nodeContributionUs(e: TraceNodeEvent, att: CuptiAttribution): number {
  if (!isDeviceNode(e, att)) return e.dur;
  return Math.max(nodeHostLaunchUs(e, att), att.byNode.get(e)?.gpuUs ?? 0);
}

/** Puts the attributed kernels on each node execution (`kernels`, in trace µs), as ORT's own Kernel events would be. */
export function attachKernels(att: CuptiAttribution): void {
  for (const [n, g] of att.byNode) {
    n.kernels = g.activities
      .filter((a) => a.kind === 'kernel')
      .map((a): TraceKernelEvent => {
        const k: TraceKernelEvent = { name: a.name, ts: a.startUs, dur: a.endUs - a.startUs, stream: a.stream };
        if (a.grid) k.grid = a.grid;
        if (a.block) k.block = a.block;
        return k;
      });
  }
}

/** The 'cupti' coverage block of profile.json (ms). */
/** Per node (by aggregate key): kernel names with count and GPU time per counted run, largest first. */
export function kernelsByNode(
  trace: ParsedTrace,
  att: CuptiAttribution,
  counted: readonly number[],
  key: (e: TraceNodeEvent) => string,
  top = 5,
): Map<string, { name: string; perRun: number; ms: number }[]> {
  const set = new Set(counted);
  const acc = new Map<string, Map<string, { n: number; us: number }>>();
  for (const e of trace.nodes) {
    if (!set.has(e.run)) continue;
    const g = att.byNode.get(e);
    if (!g) continue;
    const k = key(e);
    let m = acc.get(k);
    if (!m) {
      m = new Map();
      acc.set(k, m);
    }
    for (const a of g.activities) {
      const x = m.get(a.name) ?? { n: 0, us: 0 };
      x.n++;
      x.us += a.endUs - a.startUs;
      m.set(a.name, x);
    }
  }
  const out = new Map<string, { name: string; perRun: number; ms: number }[]>();
  const runs = Math.max(1, counted.length);
  for (const [k, m] of acc) {
    out.set(
      k,
      [...m.entries()]
        .map(([name, x]) => ({ name: name.length > 200 ? `${name.slice(0, 199)}…` : name, perRun: x.n / runs, ms: x.us / runs / 1000 }))
        .sort((p, q) => q.ms - p.ms)
        .slice(0, top),
    );
  }
  return out;
}
