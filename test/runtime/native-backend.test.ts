/**
 * The native backend (native/ort-node) on the CPU EP against onnxruntime-node: bit-identical outputs on the
 * tiny reference models through IoBinding, a device-tensor chain equal to the host path, bad provider options
 * as one line / exit 2 through the CLI, and the fallback notice when the addon is missing.
 * In CI the addon must have been built (`.ci/run` builds it); elsewhere the addon tests skip without it.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readManifestSpecs } from './manifest-specs.js';
import { feedsFor } from '../models-ditto/helpers.js';
import { tinyManifest, TINY_DIR } from '../runner/tiny-set.js';
import { runCli } from '../helpers/capture.js';
import { loadAddon, resetAddonForTests, type AddonHostTensor, type AddonRunResult, type AddonSession } from '../../src/runtime/native/addon.js';
import { createSession, describeSessionConfig, setFallbackNotice, type HostTensor, type Session, type SessionConfig } from '../../src/runtime/index.js';

const available = 'addon' in loadAddon();
if (!available && process.env.CI) throw new Error(`CI: the native addon is missing (${JSON.stringify(loadAddon())}); .ci/run must build it`);
const d = available ? describe : describe.skip;

const bytes = (t: HostTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

// Roles and the symbolic dims to run them at.
const ROLES: [string, Record<string, number>][] = [
  ['stitch_network', {}],
  ['warp_network', {}],
  ['decoder', {}],
  ['lmdm', {}],
  ['hubert', { N: 1600 }],
  ['hifigan', { T: 6 }],
];

let manifest: string;
beforeAll(async () => {
  manifest = await tinyManifest();
}, 120_000);

async function both(file: string, config: Omit<SessionConfig, 'backend'>): Promise<[Session, Session]> {
  const n = await createSession(file, { ...config, backend: 'node' });
  const a = await createSession(file, { ...config, backend: 'native' });
  return [n, a];
}

d('native backend on the CPU EP', () => {
  it('serves sessions on the native backend with the model metadata', async () => {
    const file = join(TINY_DIR, 'ditto', 'stitch_network.onnx');
    const [n, a] = await both(file, { ep: 'cpu' });
    expect(a.backend).toBe('native');
    expect(n.backend).toBe('node');
    expect(a.inputNames).toEqual(n.inputNames);
    expect(a.outputNames).toEqual(n.outputNames);
    expect(a.inputMetadata.map((m) => m.shape)).toEqual(n.inputMetadata.map((m) => m.shape));
    await Promise.all([a.release(), n.release()]);
  });

  it.each(ROLES)('%s: IoBinding outputs bit-identical to onnxruntime-node', async (role, dims) => {
    const specs = readManifestSpecs(manifest);
    const spec = specs[role];
    if (!spec) throw new Error(`no ${role} in the tiny manifest`);
    const feeds = feedsFor(spec.inputs, dims, 3);
    const [n, a] = await both(spec.file, { ep: 'cpu', intraOpThreads: 1 });
    const ref = await n.run(feeds);
    const got = await a.runBound(feeds); // every output to the host, through IoBinding
    expect(Object.keys(got.outputs).sort()).toEqual(Object.keys(ref).sort());
    for (const [k, v] of Object.entries(ref)) {
      const g = got.outputs[k] as HostTensor;
      expect(g.type).toBe(v.type);
      expect(g.dims).toEqual(v.dims);
      expect(bytes(g).equals(bytes(v)), `${role}.${k}`).toBe(true);
    }
    expect(got.ms).toBeGreaterThan(0);
    await Promise.all([a.release(), n.release()]);
  });

  it('device-tensor chain warp → decoder equals the host path, with preallocated and ORT-allocated outputs', async () => {
    const specs = readManifestSpecs(manifest);
    const warp = specs.warp_network;
    const dec = specs.decoder;
    if (!warp || !dec) throw new Error('tiny manifest lacks warp/decoder');
    const feeds = feedsFor(warp.inputs, {}, 5);
    const host = async (): Promise<HostTensor> => {
      const w = await createSession(warp.file, { ep: 'cpu', backend: 'node', intraOpThreads: 1 });
      const dd = await createSession(dec.file, { ep: 'cpu', backend: 'node', intraOpThreads: 1 });
      const f = (await w.run(feeds)).out as HostTensor;
      const frame = (await dd.run({ feature: f })).output as HostTensor;
      await Promise.all([w.release(), dd.release()]);
      return frame;
    };
    const ref = await host();
    const w = await createSession(warp.file, { ep: 'cpu', backend: 'native', intraOpThreads: 1 });
    const dd = await createSession(dec.file, { ep: 'cpu', backend: 'native', intraOpThreads: 1 });
    // feature_3d uploaded once into a device tensor and kept across calls.
    const f3d = feeds.feature_3d as HostTensor;
    const vol = w.allocate(f3d.type, f3d.dims);
    vol.upload(f3d.data);
    const rest = { kp_source: feeds.kp_source as HostTensor, kp_driving: feeds.kp_driving as HostTensor };
    // (1) the warp output left on the device by ORT, fed to the decoder.
    const r1 = await w.runBound({ feature_3d: vol, ...rest }, { out: 'device' });
    const onDevice = r1.outputs.out;
    if (!onDevice || 'data' in onDevice) throw new Error('expected a device tensor');
    const f1 = (await dd.runBound({ feature: onDevice }, { output: 'host' })).outputs.output as HostTensor;
    // (2) into a preallocated tensor, reused for two calls (the replay pattern).
    const fixed = w.allocate('float32', onDevice.dims);
    const frameBuf = dd.allocate('float32', ref.dims);
    for (let i = 0; i < 2; i++) {
      await w.runBound({ feature_3d: vol, ...rest }, { out: fixed });
      await dd.runBound({ feature: fixed }, { output: frameBuf });
    }
    const f2 = frameBuf.download();
    expect(bytes(f1).equals(bytes(ref))).toBe(true);
    expect(bytes(f2).equals(bytes(ref))).toBe(true);
    for (const t of [vol, onDevice, fixed, frameBuf]) t.release();
    await Promise.all([w.release(), dd.release()]);
  });

  it.each(['node', 'native'] as const)('%s: a prepared run replays its binding and downloads what it names, as runBound does', async (backend) => {
    const specs = readManifestSpecs(manifest);
    const dec = specs.decoder;
    if (!dec) throw new Error('tiny manifest lacks the decoder');
    const feeds = feedsFor(dec.inputs, {}, 4);
    const n = await createSession(dec.file, { ep: 'cpu', backend: 'node', intraOpThreads: 1 });
    const ref = (await n.run(feeds)).output as HostTensor;
    const s = await createSession(dec.file, { ep: 'cpu', backend, intraOpThreads: 1 });
    const f = feeds.feature as HostTensor;
    const feature = s.allocate(f.type, f.dims);
    const frames = s.allocate('float32', ref.dims);
    const p = s.prepare({ feature }, { output: frames });
    const runs = [];
    for (let i = 0; i < 2; i++) {
      feature.upload(i === 0 ? new Float32Array(f.data.length) : f.data); // the same binding, new input bytes
      runs.push(await p.run({ download: ['output'] }));
    }
    const last = runs[1]?.downloads?.output;
    expect(last?.dims).toEqual(ref.dims);
    expect(bytes(last as HostTensor).equals(bytes(ref))).toBe(true);
    expect(bytes(runs[0]?.downloads?.output as HostTensor).equals(bytes(ref))).toBe(false);
    expect(runs[1]?.outputs.output).toBe(frames);
    // runBound's download option gives the same bytes; naming an output not bound to a device tensor is refused.
    const once = await s.runBound({ feature }, { output: frames }, { download: ['output'] });
    expect(bytes(once.downloads?.output as HostTensor).equals(bytes(ref))).toBe(true);
    await expect(s.runBound({ feature }, { output: 'host' }, { download: ['output'] })).rejects.toThrow(
      /download: output 'output' is not bound to a device tensor/,
    );
    p.release();
    await expect(p.run()).rejects.toThrow(/released/);
    for (const t of [feature, frames]) t.release();
    await Promise.all([s.release(), n.release()]);
  });

  it('runs concurrently off the JS thread', async () => {
    const file = join(TINY_DIR, 'ditto', 'decoder.onnx');
    const s = await createSession(file, { ep: 'cpu', backend: 'native', intraOpThreads: 1 });
    const feeds = feedsFor(readManifestSpecs(manifest).decoder?.inputs ?? {}, {}, 2);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const rs = await Promise.all([s.run(feeds), s.run(feeds), s.run(feeds)]);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0); // the event loop ran while the calls were in flight
    for (const r of rs) expect(bytes(r.output as HostTensor).equals(bytes(rs[0]?.output as HostTensor))).toBe(true);
    await s.release();
  });

  it("runs every call of a 'session' run-thread session on one thread of its own (the CUDA default), the same outputs", async () => {
    const loaded = loadAddon();
    if (!('addon' in loaded)) throw new Error(loaded.why);
    const file = join(TINY_DIR, 'ditto', 'stitch_network.onnx');
    const spec = readManifestSpecs(manifest).stitch_network;
    const feeds = Object.fromEntries(
      Object.entries(feedsFor(spec?.inputs ?? {}, {}, 4)).map(([k, t]): [string, AddonHostTensor] => [k, { ...t, dims: [...t.dims] }]),
    );
    const session = new loaded.addon.Session(file, { ep: 'cpu', intraOpThreads: 1, runThread: 'session' });
    const pool = new loaded.addon.Session(file, { ep: 'cpu', intraOpThreads: 1 });
    const calls = (s: AddonSession) => Promise.all(Array.from({ length: 12 }, () => s.run(feeds, { out: 'host' })));
    const [own, shared] = [await calls(session), await calls(pool)];
    const threads = (rs: AddonRunResult[]) => new Set(rs.map((r) => r.thread));
    expect(typeof own[0]?.thread).toBe('number');
    expect(threads(own).size).toBe(1);
    // The pool's calls run on libuv threads, never on the session thread.
    expect([...threads(shared)].some((t) => threads(own).has(t))).toBe(false);
    const out = (r: AddonRunResult | undefined) => {
      const t = r?.outputs.out as AddonHostTensor;
      return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    };
    for (const r of [...own, ...shared]) expect(out(r).equals(out(own[0]))).toBe(true);
    session.release();
    pool.release();
    expect(() => new loaded.addon.Session(file, { ep: 'cpu', runThread: 'main' as 'pool' })).toThrow(/runThread: unknown value 'main' \(session, pool\)/);
  });
});

describe('native backend: options and fallback', () => {
  it('a bad provider option key is one line, exit 2, through the CLI', async () => {
    const file = join(TINY_DIR, 'ditto', 'stitch_network.onnx');
    await tinyManifest();
    for (const opt of ['bogus_key=1', 'prefer_nhwc=2', 'cudnn_conv_algo_search=FAST', 'stream_priority=urgent']) {
      const r = await runCli(['compare', file, '--ep', 'cuda', '--backend', 'native', '--provider-options', opt]);
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^error: .*${opt.split('=')[0]}`));
    }
  });

  it('records what the native backend applies: the run thread and the stream priority', () => {
    const c: SessionConfig = { ep: 'cuda', providerOptions: { stream_priority: 'high', prefer_nhwc: '1' } };
    const rows = (env: NodeJS.ProcessEnv) => Object.fromEntries(describeSessionConfig(c, env, 'native').map((r) => [r.key, r]));
    expect(rows({}).run_thread).toMatchObject({ value: 'session', applied: 'yes' });
    expect(rows({ WB_NATIVE_RUN_THREAD: 'pool' }).run_thread).toMatchObject({ value: 'pool' });
    expect(rows({}).stream_priority).toMatchObject({
      value: 'high',
      applied: 'yes',
      how: expect.stringMatching(/cudaStreamCreateWithPriority → user_compute_stream/),
    });
    expect(rows({}).prefer_nhwc?.how).toBe('UpdateCUDAProviderOptions');
  });

  it('a missing addon falls back to onnxruntime-node with a one-line notice', async () => {
    const file = join(TINY_DIR, 'ditto', 'stitch_network.onnx');
    await tinyManifest();
    const saved = process.env.WB_NATIVE_ADDON;
    const notices: string[] = [];
    process.env.WB_NATIVE_ADDON = join(TINY_DIR, 'no-such-addon.node');
    resetAddonForTests();
    setFallbackNotice((l) => notices.push(l));
    try {
      const s = await createSession(file, { ep: 'cpu', backend: 'auto' });
      expect(s.backend).toBe('node');
      const again = await createSession(file, { ep: 'cpu', backend: 'native' });
      expect(again.backend).toBe('node');
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/native backend unavailable \(no addon at .*no-such-addon\.node\); using onnxruntime-node/);
      await Promise.all([s.release(), again.release()]);
    } finally {
      if (saved === undefined) delete process.env.WB_NATIVE_ADDON;
      else process.env.WB_NATIVE_ADDON = saved;
      resetAddonForTests();
      setFallbackNotice((l) => process.stderr.write(`${l}\n`));
    }
  });
});

d('native backend: setup-cuda check', () => {
  it('reports the addon loaded and, without CUDA here, the CUDA checks skipped with the reason', async () => {
    const { checkNative, diagnoseCuda } = await import('../../src/runtime/index.js');
    const r = await checkNative();
    expect(r.available).toBe(true);
    expect(r.ortVersion).toBe('1.29.0');
    if (diagnoseCuda()) {
      expect(r.ok).toBe(false);
      expect(r.detail).toMatch(/CUDA checks skipped/);
    }
  });
});
