#!/usr/bin/env bash
# GPU phase, round 5 second call (issues 15 and 16). Sweep 1: round 5's best path (static-KV GPT graph, FP16
# baked renderer b8 with nhwc and graphs, LMDM graphs, pinned vocoder, --overlap) with and without
# renderOverlap (Ditto renders finished frames in the background while LMDM samples the next window), at b8
# and b16. Sweep 2: the graph path at 4 and 8 native workers after the per-thread capture gate (round 5's
# first try failed in every worker), and the node-era best path at 8 node workers for the same-sweep ratio.
# ~7 min; resumable. Writes under $OUT/res/{paths,conc}.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
BASE="\"backend\": \"native\", $KV, $F16, \"renderGraph\": \"baked\", \"shapeSessions\": { \"hifigan\": 5 }, \"overlap\": true"
GN='"lmdm": { "enable_cuda_graph": "1" }, "renderer": { "enable_cuda_graph": "1", "prefer_nhwc": "1" }'
TEXT="Hello, I am your realtime avatar, and this is how I speak."
cat > /tmp/wb/sweep-r5b-paths.json <<JSON
{ "schemaVersion": 1, "name": "h200-round5b", "manifest": "$M/manifest.json", "steps": 50, "repeats": 2, "warmup": true, "seed": 1, "text": "$TEXT",
  "variants": [
    { "name": "round-5 best (b8 nhwc)", $BASE, "renderBatch": 8, "providerOptions": { $H, $GN, $GK } },
    { "name": "round-5 best + renderOverlap", $BASE, "renderBatch": 8, "renderOverlap": true, "providerOptions": { $H, $GN, $GK } },
    { "name": "round-5 best + renderOverlap, b16", $BASE, "renderBatch": 16, "renderOverlap": true, "providerOptions": { $H, $GN, $GK } }
  ] }
JSON
cat > /tmp/wb/sweep-r5b-conc.json <<JSON
{ "schemaVersion": 1, "name": "h200-round5b-conc", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "warmup": true, "seed": 1, "text": "$TEXT",
  "variants": [
    { "name": "graph path native overlap w4", $BASE, "renderBatch": 8, "workers": 4, "providerOptions": { $H, $G, $GK } },
    { "name": "graph path native overlap w8", $BASE, "renderBatch": 8, "workers": 8, "providerOptions": { $H, $G, $GK } },
    { "name": "best node overlap w8", $B, "overlap": true, "workers": 8 }
  ] }
JSON
export SWEEP_CACHE=/tmp/wb/cache-r5b
SWEEP_TIMEOUT=${SWEEP1_TIMEOUT:-240} run_sweep /tmp/wb/sweep-r5b-paths.json sweep-r5b-paths $R/sweep-r5b-paths
SWEEP_TIMEOUT=${SWEEP2_TIMEOUT:-300} run_sweep /tmp/wb/sweep-r5b-conc.json sweep-r5b-conc $R/sweep-r5b-conc
