#!/usr/bin/env bash
# GPU phase, round 5 diagnostics (issue 16): where the GPT decode's ~1.6 ms a token of host time goes. One sweep
# of the round-5 best path (+ renderOverlap) under `node --cpu-prof` (the main thread's JS profile, 0.5 ms
# sampling), gzipped. Then the graph path at 4 native workers with UV_THREADPOOL_SIZE=16 (Node's pool that runs
# every worker's native calls has 4 threads by default; round 5 measured 1.15 audio-s/s with 4).
# ~4 min. Writes under $OUT/res/{prof,conc16}.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
BASE="\"backend\": \"native\", $KV, $F16, \"renderGraph\": \"baked\", \"renderBatch\": 8, \"shapeSessions\": { \"hifigan\": 5 }, \"overlap\": true"
GN='"lmdm": { "enable_cuda_graph": "1" }, "renderer": { "enable_cuda_graph": "1", "prefer_nhwc": "1" }'
TEXT="Hello, I am your realtime avatar, and this is how I speak."
cat > /tmp/wb/sweep-prof.json <<JSON
{ "schemaVersion": 1, "name": "h200-hostprof", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "warmup": true, "seed": 1, "text": "$TEXT",
  "variants": [ { "name": "round-5 best + renderOverlap", $BASE, "renderOverlap": true, "providerOptions": { $H, $GN, $GK } } ] }
JSON
cat > /tmp/wb/sweep-conc16.json <<JSON
{ "schemaVersion": 1, "name": "h200-conc16", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "warmup": true, "seed": 1, "text": "$TEXT",
  "variants": [ { "name": "graph path native overlap w4 (pool 16)", $BASE, "workers": 4, "providerOptions": { $H, $G, $GK } } ] }
JSON
mkdir -p $R/prof $R/conc16
echo "== prof ($(date +%T))"
timeout 200 node --cpu-prof --cpu-prof-dir=$R/prof --cpu-prof-interval 500 .gpubundle/workbench.mjs sweep /tmp/wb/sweep-prof.json --ep cuda --out /tmp/wb/sweep-prof --cache-dir /tmp/wb/cache-prof --no-report > $R/prof/sweep.txt 2>&1
echo "exit $?"; grep ": ok\|: failed" $R/prof/sweep.txt
cp /tmp/wb/sweep-prof/results.jsonl $R/prof/; gzip $R/prof/*.cpuprofile; ls -la $R/prof
echo "== conc16 ($(date +%T))"
UV_THREADPOOL_SIZE=16 timeout 240 $W sweep /tmp/wb/sweep-conc16.json --ep cuda --out /tmp/wb/sweep-conc16 --cache-dir /tmp/wb/cache-prof --no-report > $R/conc16/sweep.txt 2>&1
echo "exit $?"; grep ": ok\|: failed" $R/conc16/sweep.txt
cp /tmp/wb/sweep-conc16/results.jsonl $R/conc16/
for d in /tmp/wb/sweep-conc16/runs/*/; do [ -f $d/workers.json ] && gzip -c $d/workers.json > $R/conc16/workers-$(basename $d).json.gz; done
echo "== done ($(date +%T))"
