// Reduces a sweep's results.jsonl and run.json files to the issue-16 figures (JSON on stdout): per variant
// the render plan, render ms per frame and per call, LMDM ms per window and per step, pipeline RTF, time
// to first frame and frame PSNR against the FP32 per-frame baseline (variant 0).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const results = readFileSync(join(dir, 'results.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const rows = results.map((r) => {
  const runDir = r.metrics?.runDir ?? join(dir, 'runs', r.id);
  const file = join(runDir, 'run.json');
  const run = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  const roles = run?.roles ?? {};
  const ms = (role) => roles[role]?.totalMs ?? 0;
  const frames = run?.video?.frames ?? 0;
  const renderMs = roles.renderer ? ms('renderer') : ms('stitch_network') + ms('warp_network') + ms('decoder');
  const windows = run?.counts?.lmdmWindows ?? 0;
  return {
    name: r.name,
    id: r.id,
    status: r.status,
    error: r.error,
    backend: run?.appliedSettings?.backend ?? run?.config?.settings?.backend ?? 'node',
    render: run?.config?.render ?? null,
    diffusionLoop: run?.config?.diffusionLoop ?? null,
    renderCalls: run?.counts?.renderCalls ?? null,
    renderMsPerFrame: frames ? renderMs / frames : null,
    renderMsPerCall: run?.counts?.renderCalls ? renderMs / run.counts.renderCalls : null,
    lmdmCallsPerWindow: windows ? (roles.lmdm?.calls ?? 0) / windows : null,
    lmdmMsPerWindow: windows ? ms('lmdm') / windows : null,
    rtf: r.metrics?.rtf ?? null,
    ttffSeconds: r.metrics?.ttffSeconds ?? null,
    framePsnrMean: r.metrics?.quality?.framePsnrMean ?? null,
    framePsnrWorst: r.metrics?.quality?.framePsnrWorst ?? null,
    frames,
  };
});
process.stdout.write(
  `${JSON.stringify({ kind: 'workbench.ditto-calls', gpu: process.argv[3] && existsSync(process.argv[3]) ? readFileSync(process.argv[3], 'utf8').trim() : undefined, variants: rows }, null, 2)}\n`,
);
