#!/usr/bin/env bash
# GPU phase, round 7 second call (issue 16): the per-session run thread of the native backend. The same
# best-path spec (round 6's best path, the avatar prepared once, 3 repeats, with its FP32 baseline) twice on one
# machine: first with WB_NATIVE_RUN_THREAD=pool (CUDA sessions' calls on the libuv pool's threads, as before),
# then with the default (every call of a CUDA session on its own thread). Results keep each role's median and
# slowest call. Everything comes back as one archive, $OUT/r7b.tgz (the device returns a limited number of files).
# ~6 min.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
PO="\"providerOptions\": { $H, \"lmdm\": { \"enable_cuda_graph\": \"1\" }, \"renderer\": { \"enable_cuda_graph\": \"1\", \"prefer_nhwc\": \"1\" }, $GK }"
TEXT="Hello, I am your realtime avatar, and this is how I speak."
cat > /tmp/wb/sweep-r7b.json <<JSON
{ "schemaVersion": 1, "name": "h200-round7b", "manifest": "$M/manifest.json", "steps": 50, "repeats": 3, "warmup": true, "seed": 1, "text": "$TEXT",
  "variants": [ { "name": "round-6 best path", $BEST, $PO } ] }
JSON
export SWEEP_CACHE=/tmp/wb/cache-r7b
WB_NATIVE_RUN_THREAD=pool SWEEP_TIMEOUT=250 run_sweep /tmp/wb/sweep-r7b.json sweep-r7b-pool $R/pool
SWEEP_TIMEOUT=250 run_sweep /tmp/wb/sweep-r7b.json sweep-r7b-session $R/session
(cd $OUT && tar -czf r7b.tgz res && rm -rf res)
