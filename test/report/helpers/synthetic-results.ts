/** Synthetic sweep results (the fake driver's metrics) for report tests: a baseline, variants and a failure. */
import { expandVariants } from '../../../src/sweep/spec.js';
import type { RunMetrics, SweepSpec, VariantResult } from '../../../src/sweep/types.js';
import { metricsFor } from '../../sweep/helpers/fake-driver.js';

export function syntheticResults(o: { profile?: boolean; workers?: boolean } = {}): VariantResult[] {
  const spec: SweepSpec = {
    schemaVersion: 1,
    name: 'synthetic',
    steps: 4,
    variants: [
      { precision: { '*': 'fp16' } },
      { precision: { '*': 'int8-dynamic' } },
      { precision: { decoder: 'fp16' } },
      { resolution: 96 },
      { steps: 2 },
      { precision: { '*': 'wo4' } },
    ],
  };
  const planned = expandVariants(spec);
  const results: VariantResult[] = planned.map((v) => {
    const metrics = metricsFor(v, v.spec.steps ?? 4, o.profile ?? false);
    return {
      schemaVersion: 1,
      id: v.id,
      index: v.index,
      name: v.name,
      baseline: v.baseline,
      spec: v.spec,
      passes: v.passes,
      status: 'ok',
      manifest: `/m/${v.id}.json`,
      metrics,
      env: { ep: 'cpu', node: 'v20', ortVersion: '1.29.0', cpus: 2 },
      startedAt: '2025-01-01T00:00:00Z',
      finishedAt: '2025-01-01T00:00:01Z',
      totalSeconds: 1,
    };
  });
  if (o.workers && results[1]?.metrics)
    results[1].metrics.workers = [
      { workers: 1, rtf: 0.5 },
      { workers: 2, rtf: 0.3 },
      { workers: 4, rtf: 0.25 },
    ];
  results.push({
    schemaVersion: 1,
    id: 'deadbeef0000',
    index: planned.length,
    name: 'broken-variant',
    baseline: false,
    spec: {},
    passes: { decoder: [{ pass: 'fp16' }] },
    status: 'error',
    error: "pass fp16, node '/decoder/Conv_3': <script>alert(1)</script> unsupported",
    env: { ep: 'cpu', node: 'v20' },
    startedAt: '',
    finishedAt: '',
    totalSeconds: 0.1,
  });
  return results;
}

/** One hand-made ok result around `metrics` (no spec, passes or settings): the report tests' single rows. */
export function okResult(id: string, metrics: RunMetrics, o: { baseline?: boolean; manifest?: string } = {}): VariantResult {
  return {
    schemaVersion: 1,
    id,
    index: 0,
    name: id,
    baseline: o.baseline ?? false,
    spec: {},
    passes: {},
    status: 'ok',
    metrics,
    ...(o.manifest ? { manifest: o.manifest } : {}),
    env: { ep: 'cpu', node: 'v20' },
    startedAt: '',
    finishedAt: '',
    totalSeconds: 1,
  };
}
