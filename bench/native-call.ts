/**
 * `npm run bench native-call`: per-call cost of each runtime backend on the CPU EP, on the tiny reference
 * models and a one-Add model (nearly pure binding overhead). Per model, interleaved rounds of:
 * - node: onnxruntime-node `session.run` with host tensors (JS wall time per call);
 * - native-host: the addon, host tensors in and out through IoBinding (JS wall time per call);
 * - native-device: the addon, inputs in device tensors uploaded once, outputs into preallocated device
 *   tensors (JS wall time, and the addon's own per-call time `callMs`, bind → synchronized outputs).
 * - native-inline: as native-device, run on the JS thread (`inline`: no thread-pool hand-off).
 * overheadMs = JS wall − the addon's callMs on the same call: what the async dispatch and JS side cost.
 * On a loaded 2-core machine the hand-off dominates small calls (ORT's spinning intra-op threads compete with
 * the JS thread): compare nativeDevice with nativeInline.
 * Writes bench/results/native-call.json. Without the addon it records why and measures node only.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReferenceSet } from '../src/models/build.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { DataType } from '../src/onnx/dtype.js';
import { writeModel } from '../src/onnx/write-model.js';
import { timeStats, type TimeStats } from '../src/core/stats.js';
import { createSession, nativeUnavailable, nativeRuntimeVersion, type DeviceTensor, type HostTensor, type Session } from '../src/runtime/index.js';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRng } from '../src/onnx/rng.js';

interface Row {
  model: string;
  node: TimeStats;
  nativeHost?: TimeStats;
  nativeDevice?: TimeStats;
  /** The addon's own per-call time on the device-IO calls. */
  nativeDeviceCallMs?: TimeStats;
  nativeInline?: TimeStats;
  /** Median of (JS wall − callMs) over the device-IO calls. */
  nativeOverheadMs?: number;
  /** node median / native-device median. */
  ratioNodeToNativeDevice?: number;
  ratioNodeToNativeHost?: number;
}

export interface NativeCallResult {
  schemaVersion: 1;
  bench: 'native-call';
  createdAt: string;
  ep: 'cpu';
  ortVersion?: string;
  nativeAvailable: boolean;
  nativeUnavailableWhy?: string;
  rounds: number;
  rows: Row[];
}

const ROLE_DIMS: Record<string, Record<string, number>> = {
  stitch_network: {},
  warp_network: {},
  decoder: {},
  lmdm: {},
  hubert: { N: 1600 },
  hifigan: { T: 6 },
  gpt_decode: { L: 8, L1: 9 },
};

function feedsFor(inputs: Record<string, { type: string; shape: (number | string)[] }>, dims: Record<string, number>): Record<string, HostTensor> {
  const rng = createRng(3);
  const out: Record<string, HostTensor> = {};
  for (const [name, spec] of Object.entries(inputs)) {
    const shape = spec.shape.map((d) => (typeof d === 'number' ? d : (dims[d] ?? 1)));
    const n = shape.reduce((a, b) => a * b, 1);
    if (spec.type === 'int64') out[name] = { type: 'int64', dims: shape, data: BigInt64Array.from({ length: n }, () => 1n) };
    else {
      const data = new Float32Array(n);
      rng.fillNormal(data, 0.5);
      out[name] = { type: 'float32', dims: shape, data };
    }
  }
  return out;
}

function addModel(dir: string): string {
  const b = new GraphBuilder('one_add', { seed: 1 });
  const x = b.input('x', DataType.FLOAT, [1, 16]);
  b.output(b.op('Add', [x, x]), 'y', [1, 16]);
  const f = join(dir, 'one-add.onnx');
  writeModel(b.finish(), f);
  return f;
}

async function wall(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

async function benchModel(name: string, file: string, feeds: Record<string, HostTensor>, rounds: number, native: boolean): Promise<Row> {
  const node = await createSession(file, { ep: 'cpu', backend: 'node', intraOpThreads: 1 });
  const times = { node: [] as number[], host: [] as number[], dev: [] as number[], call: [] as number[], over: [] as number[], inline: [] as number[] };
  let nat: Session | undefined;
  let io: { feeds: Record<string, DeviceTensor>; outputs: Record<string, DeviceTensor> } | undefined;
  if (native) {
    nat = await createSession(file, { ep: 'cpu', backend: 'native', intraOpThreads: 1 });
    const probe = await nat.run(feeds);
    io = { feeds: {}, outputs: {} };
    for (const [k, v] of Object.entries(feeds)) {
      const t = nat.allocate(v.type, v.dims);
      t.upload(v.data);
      io.feeds[k] = t;
    }
    for (const [k, v] of Object.entries(probe)) io.outputs[k] = nat.allocate(v.type, v.dims);
  }
  for (let r = 0; r < rounds + 5; r++) {
    const keep = r >= 5; // 5 warm-up rounds
    const a = await wall(() => node.run(feeds));
    if (keep) times.node.push(a);
    if (nat && io) {
      const b = await wall(() => (nat as Session).run(feeds));
      let callMs = 0;
      const ioNow = io;
      const c = await wall(async () => {
        callMs = (await (nat as Session).runBound(ioNow.feeds, ioNow.outputs)).ms;
      });
      const e = await wall(() => (nat as Session).runBound(ioNow.feeds, ioNow.outputs, { inline: true }));
      if (keep) {
        times.inline.push(e);
        times.host.push(b);
        times.dev.push(c);
        times.call.push(callMs);
        times.over.push(c - callMs);
      }
    }
  }
  const row: Row = { model: name, node: timeStats(times.node) };
  if (nat && io) {
    row.nativeHost = timeStats(times.host);
    row.nativeDevice = timeStats(times.dev);
    row.nativeDeviceCallMs = timeStats(times.call);
    row.nativeInline = timeStats(times.inline);
    row.nativeOverheadMs = timeStats(times.over).median;
    row.ratioNodeToNativeDevice = row.node.median / row.nativeDevice.median;
    row.ratioNodeToNativeHost = row.node.median / row.nativeHost.median;
    for (const t of [...Object.values(io.feeds), ...Object.values(io.outputs)]) t.release();
    await nat.release();
  }
  await node.release();
  return row;
}

export async function benchNativeCall(rounds = 60): Promise<NativeCallResult> {
  const why = nativeUnavailable();
  const dir = mkdtempSync(join(tmpdir(), 'wb-native-call-'));
  const set = await buildReferenceSet({ scale: 'tiny', seed: 1, outDir: join(tmpdir(), 'workbench-runner-tests', 'tiny-seed1') });
  const manifest = JSON.parse(readFileSync(set.manifestPath, 'utf8')) as {
    roles: Record<string, { file: string; inputs: Record<string, { type: string; shape: (number | string)[] }> }>;
  };
  const rows: Row[] = [];
  rows.push(await benchModel('one-add [1,16]', addModel(dir), { x: { type: 'float32', dims: [1, 16], data: new Float32Array(16).fill(1) } }, rounds, !why));
  for (const [role, dims] of Object.entries(ROLE_DIMS)) {
    const spec = manifest.roles[role];
    if (!spec) continue;
    process.stderr.write(`  ${role}\n`);
    rows.push(await benchModel(role, join(dirname(set.manifestPath), spec.file), feedsFor(spec.inputs, dims), rounds, !why));
  }
  const r: NativeCallResult = { schemaVersion: 1, bench: 'native-call', createdAt: new Date().toISOString(), ep: 'cpu', nativeAvailable: !why, rounds, rows };
  const v = nativeRuntimeVersion();
  if (v) r.ortVersion = v;
  if (why) r.nativeUnavailableWhy = why;
  return r;
}
