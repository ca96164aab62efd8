#!/usr/bin/env bash
# GPU phase, round 5 (issue 15): concurrency on the native backend again, after the two fixes to the addon
# (no cudaDeviceSynchronize around each run: round 3's worker failure at w4 came from it; a process-wide
# gate around CUDA graph capture). The node-era best path (vocoder buckets + decode loop) with --overlap at
# workers 4 and 8 on both backends (round 3 measured node w4/w8 and native w4 with one worker failed), and
# the round-5 graph path (static-KV GPT graph, FP16 baked renderer b8 with graphs, pinned vocoder) at
# workers 4 on native: graph captures in several worker threads at once.
# ~6 min; resumable. Writes under $OUT/res.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
R3="\"backend\": \"native\", $KV, $F16, \"renderGraph\": \"baked\", \"renderBatch\": 8, \"shapeSessions\": { \"hifigan\": 5 }"
cat > /tmp/wb/sweep-conc5.json <<JSON
{ "schemaVersion": 1, "name": "h200-conc5", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "warmup": true, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "best native overlap w4", $B, "overlap": true, "workers": 4, "backend": "native" },
    { "name": "best node overlap w4", $B, "overlap": true, "workers": 4 },
    { "name": "best native overlap w8", $B, "overlap": true, "workers": 8, "backend": "native" },
    { "name": "graph path native overlap w4", $R3, "overlap": true, "workers": 4, "providerOptions": { $H, $G, $GK } }
  ] }
JSON
SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-540} run_sweep /tmp/wb/sweep-conc5.json sweep-conc5
