#!/usr/bin/env bash
# GPU phase, round 7 third call (issue 16): CUDA stream priorities (`stream_priority`, the addon's provider
# option). Round 6's best path overlaps the TTS, HuBERT, LMDM and the renderer on one GPU, and each role's
# slowest call is 8–40× its median (GPT step 65–106 ms against 3.1 ms): the latency-critical calls wait behind
# other streams' kernels. One sweep, 3 repeats each, with its FP32 baseline: the best path; the same with every
# role but the renderer on high-priority streams; the same with only the GPT step on one. Results keep each
# role's median and slowest call. Everything comes back as one archive, $OUT/r7c.tgz. ~7 min.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
TEXT="Hello, I am your realtime avatar, and this is how I speak."
cat > /tmp/wb/sweep-r7c.json <<JSON
{ "schemaVersion": 1, "name": "h200-round7c", "manifest": "$M/manifest.json", "steps": 50, "repeats": 3, "warmup": true, "seed": 1, "text": "$TEXT",
  "variants": [
    { "name": "round-6 best path", $BEST, "providerOptions": { $H, "lmdm": { "enable_cuda_graph": "1" }, $REND, $GK } },
    { "name": "best path, every role but the renderer on high-priority streams", $BEST,
      "providerOptions": { "hifigan": { "cudnn_conv_algo_search": "HEURISTIC", $HI }, "lmdm": { "enable_cuda_graph": "1", $HI }, $REND,
        "gpt_decode": { "enable_cuda_graph": "1", $HI }, "gpt_prefill": { $HI }, "hubert": { $HI } } },
    { "name": "best path, the GPT step on a high-priority stream", $BEST,
      "providerOptions": { $H, "lmdm": { "enable_cuda_graph": "1" }, $REND, "gpt_decode": { "enable_cuda_graph": "1", $HI } } }
  ] }
JSON
export SWEEP_CACHE=/tmp/wb/cache-r7c
SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-440} run_sweep /tmp/wb/sweep-r7c.json sweep-r7c $R/r7c
(cd $OUT && tar -czf r7c.tgz res && rm -rf res)
