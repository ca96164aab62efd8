/** One row of profile.json's node table: a traced node's time, cost, roofline point and flags. */
import type { ExecutionProvider } from '../runtime/index.js';
import type { NodeAggregate } from './aggregate.js';
import { computePeakFor } from '../core/devices.js';
import { flagsOf } from './flags.js';
import { costTracedNode, type CostFn } from './node-costs.js';
import type { Node } from '../onnx/types.js';
import type { DeviceInfo, NodeRow } from './profile-report.js';
import { rooflinePoint } from './roofline.js';
import { scaleStats } from '../core/stats.js';
import type { TraceShape } from './trace.js';

function nullableShapes(s: (TraceShape | undefined)[]): ({ type: string; dims: number[] } | null)[] {
  return s.map((x) => (x ? { type: x.type, dims: x.dims } : null));
}

/** The row of one aggregated node: cost from the graph (or the trace), roofline on a GPU with known peaks. */
export function nodeRow(
  n: NodeAggregate,
  graphNodes: Map<string, Node>,
  graphOps: Set<string>,
  costFn: CostFn,
  ep: ExecutionProvider,
  device: DeviceInfo,
  share: number,
): NodeRow {
  const info = {
    name: n.name,
    opType: n.opType,
    inputShapes: n.inputShapes,
    outputShapes: n.outputShapes,
    ...(n.parameterBytes !== undefined ? { parameterBytes: n.parameterBytes } : {}),
    ...(n.activationBytes !== undefined ? { activationBytes: n.activationBytes } : {}),
    ...(n.outputBytes !== undefined ? { outputBytes: n.outputBytes } : {}),
  };
  const c = costTracedNode(info, graphNodes, graphOps, costFn);
  const time = scaleStats(n.stats, 1e-3);
  const execs = n.executionsPerRun || 1;
  const bytes = (c.bytesRead + c.bytesWritten) * execs;
  const flops = c.flops * execs;
  let roofline: NodeRow['roofline'] = null;
  const onDevice = ep === 'cuda' && n.provider === 'CUDAExecutionProvider';
  if (onDevice && device.peaks) {
    const elem = n.inputShapes[0]?.type ?? n.outputShapes[0]?.type ?? 'float';
    const peak = computePeakFor(device.peaks, elem, n.opType, device.tf32);
    const p = rooflinePoint(flops, bytes, time.median / 1000, peak.flops, peak.unit, device.peaks.memoryBandwidth);
    if (p) {
      roofline = {
        intensity: p.intensity,
        achievedFlops: p.achievedFlops,
        achievedBytesPerS: p.achievedBytesPerS,
        peakFlops: p.peakFlops,
        peakUnit: p.peakUnit,
        peakBytesPerS: p.peakBytesPerS,
        bound: p.bound,
        fractionOfBound: p.fractionOfBound,
      };
    }
  }
  const row: NodeRow = {
    name: n.name,
    opType: n.opType,
    provider: n.provider,
    inputShapes: nullableShapes(n.inputShapes),
    outputShapes: nullableShapes(n.outputShapes),
    activationBytes: n.activationBytes ?? c.activationBytes,
    parameterBytes: n.parameterBytes ?? c.paramBytes,
    outputBytes: n.outputBytes ?? c.bytesWritten,
    time,
    share,
    executionsPerRun: n.executionsPerRun,
    macs: c.macs,
    flops: c.flops,
    bytesRead: c.bytesRead,
    bytesWritten: c.bytesWritten,
    costSource: c.source,
    fused: c.fused,
    roofline,
    flags: flagsOf(
      { opType: n.opType, provider: n.provider, inputShapes: n.inputShapes, outputShapes: n.outputShapes, ...(c.perm ? { perm: c.perm } : {}) },
      ep,
    ),
  };
  if (n.nodeIndex !== undefined) row.nodeIndex = n.nodeIndex;
  if (c.note) row.costNote = c.note;
  if (Object.keys(n.mem).length) row.memory = n.mem;
  if (n.kernelsPerRun) row.kernelsPerRun = n.kernelsPerRun;
  return row;
}
