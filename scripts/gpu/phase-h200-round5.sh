#!/usr/bin/env bash
# GPU phase, round 5 (issues 15 and 16): the round-3 best path (static-KV GPT with a CUDA graph, FP16 baked
# renderer in batches of 8, LMDM graph-replayed; the renderer now ends in frame-u8) as the anchor, then what
# this round adds: HiFi-GAN on shape-pinned sessions (shapeSessions: one session per recurring streaming
# length, exact audio), --overlap on the native backend (no device-wide syncs per call any more), the FP16
# renderer with prefer_nhwc, batches of 16, and the diagnostic "HiFi-GAN with cudnn_conv_algo_search=DEFAULT"
# (no algorithm query per shape: tells whether the per-length cost is the query or the per-shape preparation).
# ~6 min; resumable. Writes under $OUT/res. Run like phase-h200-fewcalls.sh.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
R3="\"backend\": \"native\", $KV, $F16, \"renderGraph\": \"baked\""
P='"shapeSessions": { "hifigan": 5 }'
GN='"lmdm": { "enable_cuda_graph": "1" }, "renderer": { "enable_cuda_graph": "1", "prefer_nhwc": "1" }'
cat > /tmp/wb/sweep-round5.json <<JSON
{ "schemaVersion": 1, "name": "h200-round5", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "warmup": true, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "r3 best (frame-u8)", $R3, "renderBatch": 8, "providerOptions": { $H, $G, $GK } },
    { "name": "r3 + pinned vocoder", $R3, "renderBatch": 8, $P, "providerOptions": { $H, $G, $GK } },
    { "name": "r3 + pinned vocoder + overlap", $R3, "renderBatch": 8, $P, "overlap": true, "providerOptions": { $H, $G, $GK } },
    { "name": "r3 + pinned + overlap + renderer nhwc", $R3, "renderBatch": 8, $P, "overlap": true, "providerOptions": { $H, $GN, $GK } },
    { "name": "r3 + pinned + overlap, b16", $R3, "renderBatch": 16, $P, "overlap": true, "providerOptions": { $H, $G, $GK } },
    { "name": "r3 + hifigan DEFAULT algo", $R3, "renderBatch": 8, "providerOptions": { "hifigan": { "cudnn_conv_algo_search": "DEFAULT" }, $G, $GK } }
  ] }
JSON
SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-540} run_sweep /tmp/wb/sweep-round5.json sweep-round5
node .gpubundle/ditto-calls-summary.mjs /tmp/wb/sweep-round5 $R/gpu.txt > $R/ditto-calls.json && head -c 2000 $R/ditto-calls.json
