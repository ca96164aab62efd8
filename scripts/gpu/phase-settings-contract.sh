#!/usr/bin/env bash
# GPU phase: the run settings reach the CUDA pipeline (issue 14, finding 1). On the tiny reference set (fast),
# a warm, profiled sweep with one variant that sets every other run setting; then checks, per result, that
# what the stages applied (metrics.settings) equals what was asked (settings), that each role has its ORT trace
# under runs/<id>/profile/, and that no nvidia-smi child of the sweep outlived it. Writes under $OUT/res:
# results.jsonl, the spec, every run.json, check.txt (one line per check, "ok" or "FAIL ...").
set -uo pipefail
W="node .gpubundle/workbench.mjs"
R=$OUT/res; mkdir -p $R
T=/tmp/wb/models/tiny
[ -f $T/manifest.json ] || $W models build --scale tiny --out $T > $R/build.log 2>&1
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
cat > /tmp/wb/sweep-settings.json <<JSON
{ "schemaVersion": 1, "name": "settings-contract", "manifest": "$T/manifest.json", "steps": 4, "repeats": 2, "seed": 1,
  "warmup": true, "profile": true, "text": "Hello there, this is a short test.",
  "variants": [
    { "name": "all-settings", "workers": 2, "vocoderBucket": 64, "overlap": true,
      "session": { "graphOptimizationLevel": "basic", "useTf32": false, "cudaGraph": true, "preferNhwc": true } },
    { "name": "native-settings", "backend": "native", "providerOptions": { "*": { "cudnn_conv_algo_search": "HEURISTIC" }, "decoder": { "prefer_nhwc": "1" } } }
  ] }
JSON
echo "== sweep ($(date +%T))"
timeout ${SWEEP_TIMEOUT:-420} $W sweep /tmp/wb/sweep-settings.json --ep cuda --out /tmp/wb/settings --cache-dir /tmp/wb/cache-settings --no-report > $R/sweep.log 2>&1
echo "sweep exit $?"; tail -8 $R/sweep.log
cp /tmp/wb/settings/results.jsonl /tmp/wb/sweep-settings.json $R/ 2>/dev/null
for d in /tmp/wb/settings/runs/*/; do id=$(basename $d); mkdir -p $R/runs/$id; cp $d/run.json $d/workers.json $R/runs/$id/ 2>/dev/null; done
node -e '
const fs = require("fs"); const path = require("path");
const out = [];
for (const line of fs.readFileSync("/tmp/wb/settings/results.jsonl", "utf8").split("\n").filter(Boolean)) {
  const r = JSON.parse(line);
  if (r.status !== "ok") { out.push(`FAIL ${r.name}: ${r.error}`); continue; }
  for (const [k, v] of Object.entries(r.settings ?? {})) {
    const got = JSON.stringify(r.metrics?.settings?.[k]);
    out.push(got === JSON.stringify(v) ? `ok ${r.name} ${k}` : `FAIL ${r.name} ${k}: asked ${JSON.stringify(v)}, applied ${got}`);
  }
  for (const role of (r.metrics?.roles ?? []).map((x) => x.role)) {
    const f = path.join(r.metrics.runDir, "profile", `${role}.json`);
    out.push(fs.existsSync(f) ? `ok ${r.name} trace ${role} (${fs.statSync(f).size} bytes)` : `FAIL ${r.name} no trace ${f}`);
  }
  out.push(`${r.name}: rtf ${r.metrics?.rtf}, workers ${JSON.stringify(r.metrics?.workers)}, warmup ${r.metrics?.warmupSeconds}`);
}
fs.writeFileSync(process.env.OUT + "/res/check.txt", out.join("\n") + "\n");
console.log(out.filter((l) => !l.startsWith("ok")).join("\n"));
'
pgrep -a nvidia-smi | tee $R/nvidia-smi-left.txt
echo "== done ($(date +%T))"
