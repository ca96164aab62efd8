/**
 * Time and peak memory to compose and batch the full-scale Ditto renderer: stitch + warp + decoder built
 * with seeded weights (not timed), then the render-graph pass (compose, with a baked source of the right
 * shape) and the batch pass at 8 and 16 frames per call, each timed. Runs in a fresh child process so the
 * peak RSS is this work's; the RSS after building the roles is reported beside it.
 */
import { spawnSync } from 'node:child_process';
import { buildDecoder } from '../src/models/ditto/decoder.js';
import { buildStitchNetwork } from '../src/models/ditto/stitch-network.js';
import { buildWarpNetwork } from '../src/models/ditto/warp-network.js';
import { batch } from '../src/quantize/batch.js';
import { renderGraph } from '../src/quantize/render-graph.js';

export interface ComposeBatchResult {
  schemaVersion: 1;
  bench: 'compose-batch';
  createdAt: string;
  scale: 'full';
  nodes: number;
  buildSeconds: number;
  composeSeconds: number;
  composeBakedSeconds: number;
  batchSeconds: Record<string, number>;
  rssAfterBuildBytes: number;
  peakRssBytes: number;
}

const rss = (): number => process.resourceUsage().maxRSS * 1024;

export function composeBatchChild(): Omit<ComposeBatchResult, 'schemaVersion' | 'bench' | 'createdAt'> {
  const opts = { scale: 'full' as const, seed: 0, weights: 'random' as const };
  let t = performance.now();
  const roles = { stitch: buildStitchNetwork(opts), warp: buildWarpNetwork(opts), decoder: buildDecoder(opts) };
  const buildSeconds = (performance.now() - t) / 1000;
  const rssAfterBuildBytes = rss();
  t = performance.now();
  const composed = renderGraph(roles);
  const composeSeconds = (performance.now() - t) / 1000;
  const fdims = (roles.warp.graph.inputs.find((v) => v.name === 'feature_3d')?.tensorType?.shape ?? []) as number[];
  const feature = new Float32Array(fdims.reduce((a, b) => a * b, 1)).fill(0.1);
  t = performance.now();
  const baked = renderGraph(roles, {
    bakeSource: { feature3d: { dims: fdims, data: feature }, kpSource: { dims: [1, 21, 3], data: new Float32Array(63).fill(0.05) } },
  });
  const composeBakedSeconds = (performance.now() - t) / 1000;
  const batchSeconds: Record<string, number> = {};
  for (const n of [8, 16]) {
    t = performance.now();
    batch(baked, { size: n, inputs: ['kp_driving'] });
    batchSeconds[`baked-${n}`] = (performance.now() - t) / 1000;
  }
  t = performance.now();
  batch(composed, { size: 8, inputs: ['kp_driving', 'kp_source', 'feature_3d'] });
  batchSeconds['composed-8'] = (performance.now() - t) / 1000;
  return {
    scale: 'full',
    nodes: composed.graph.nodes.length,
    buildSeconds,
    composeSeconds,
    composeBakedSeconds,
    batchSeconds,
    rssAfterBuildBytes,
    peakRssBytes: rss(),
  };
}

export function benchComposeBatch(self: string): ComposeBatchResult {
  const r = spawnSync(process.execPath, [self, '--compose-batch-child'], { encoding: 'utf8', maxBuffer: 1 << 22, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`compose-batch child exited with ${r.status}`);
  const child = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Omit<ComposeBatchResult, 'schemaVersion' | 'bench' | 'createdAt'>;
  return { schemaVersion: 1, bench: 'compose-batch', createdAt: new Date().toISOString(), ...child };
}
