#!/usr/bin/env bash
# GPU phase (issues 15 and 16 together, one warm sweep on the H200 so every ratio comes from one process
# family and one machine): FP32 and the best path under both backends (FP32 native: same kernels, so the
# quality columns must say identical), the few-calls Ditto path (render graph with the avatar baked, 8 or 16
# frames per call, the DDIM loop in the graph) on both backends, and concurrency (overlap + 4 workers) on
# both backends. Then ditto-calls-summary.mjs reduces the run.json files to ditto-calls.json (render ms per
# frame and per call, LMDM ms per window, RTF, first frame, PSNR). ~7 min; resumable. Writes under $OUT/res.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
B='"vocoderBucket": 128, "decodeLoop": true'
F='"renderGraph": "baked", "diffusionLoop": true'
cat > /tmp/wb/sweep-paths.json <<JSON
{ "schemaVersion": 1, "name": "h200-paths", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "warmup": true, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "fp32 native", "backend": "native" },
    { "name": "best", $B },
    { "name": "best native", "backend": "native", $B },
    { "name": "best + few calls b8", $B, $F, "renderBatch": 8 },
    { "name": "best native + few calls b8", "backend": "native", $B, $F, "renderBatch": 8 },
    { "name": "best native + few calls b16 + nhwc", "backend": "native", $B, $F, "renderBatch": 16, "providerOptions": { "*": { "prefer_nhwc": "1" } } },
    { "name": "best + overlap, 4 workers", $B, "overlap": true, "workers": 4 },
    { "name": "best native + overlap, 4 workers", "backend": "native", $B, "overlap": true, "workers": 4 }
  ] }
JSON
RESUME=""; [ -f /tmp/wb/sweep-paths/results.jsonl ] && RESUME="--resume"
echo "== sweep paths $RESUME ($(date +%T))"
timeout ${SWEEP_TIMEOUT:-450} $W sweep /tmp/wb/sweep-paths.json $RESUME --ep cuda --out /tmp/wb/sweep-paths --cache-dir /tmp/wb/cache-paths --no-report > $R/sweep.log 2>&1
echo "sweep exit $?"; tail -20 $R/sweep.log
cp /tmp/wb/sweep-paths/results.jsonl /tmp/wb/sweep-paths.json $R/ 2>/dev/null
for d in /tmp/wb/sweep-paths/runs/*/; do id=$(basename $d); mkdir -p $R/runs/$id; cp $d/run.json $d/workers.json $R/runs/$id/ 2>/dev/null; done
node .gpubundle/ditto-calls-summary.mjs /tmp/wb/sweep-paths $R/gpu.txt > $R/ditto-calls.json && cat $R/ditto-calls.json | head -c 4000
echo "== done ($(date +%T))"
