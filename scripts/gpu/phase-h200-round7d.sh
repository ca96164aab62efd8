#!/usr/bin/env bash
# GPU phase, round 7 fourth call (issue 16): where the slow calls wait. The best path with every role but the
# renderer on high-priority streams (round 7c's best, RTF 0.376), twice on one machine: with Node's default
# libuv pool of 4 threads (each native call takes one while it runs or waits for its session's thread), then
# with UV_THREADPOOL_SIZE=16. Results now split each bound role's slowest call into the backend's own run time
# (maxRunMs) and the longest wait outside it (maxWaitMs). 3 repeats each, with the FP32 baseline. One archive per
# sweep, $OUT/r7d-pool4.tgz and r7d-pool16.tgz. ~6 min.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
TEXT="Hello, I am your realtime avatar, and this is how I speak."
cat > /tmp/wb/sweep-r7d.json <<JSON
{ "schemaVersion": 1, "name": "h200-round7d", "manifest": "$M/manifest.json", "steps": 50, "repeats": 3, "warmup": true, "seed": 1, "text": "$TEXT",
  "variants": [
    { "name": "best path, every role but the renderer on high-priority streams", $BEST,
      "providerOptions": { "hifigan": { "cudnn_conv_algo_search": "HEURISTIC", $HI }, "lmdm": { "enable_cuda_graph": "1", $HI },
        "renderer": { "enable_cuda_graph": "1", "prefer_nhwc": "1" }, "gpt_decode": { "enable_cuda_graph": "1", $HI }, "gpt_prefill": { $HI }, "hubert": { $HI } } }
  ] }
JSON
export SWEEP_CACHE=/tmp/wb/cache-r7d
SWEEP_TIMEOUT=200 run_sweep /tmp/wb/sweep-r7d.json sweep-r7d-pool4 $R/pool4
(cd $OUT && tar -czf r7d-pool4.tgz res/pool4 res/gpu.txt && rm -rf res/pool4)   # kept if the second sweep is cut
UV_THREADPOOL_SIZE=16 SWEEP_TIMEOUT=200 run_sweep /tmp/wb/sweep-r7d.json sweep-r7d-pool16 $R/pool16
(cd $OUT && tar -czf r7d-pool16.tgz res/pool16 && rm -rf res)
