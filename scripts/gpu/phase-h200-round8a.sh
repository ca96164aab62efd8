#!/usr/bin/env bash
# GPU phase, round 8 first call (issue 16): HuBERT's chunks on the device path with a CUDA graph, and the
# renderer with NHWC but no CUDA graph. Round 7's best path (every role but the renderer on high-priority
# streams, RTF 0.376) runs HuBERT's 21 chunks as host calls without a graph (6–9 ms each; 3.4 ms with a graph in
# round 3's probe); the native calls probe measured the FP32 decoder at 6.69 ms with prefer_nhwc alone and 7.57
# with a graph on top. One sweep, 3 repeats each, with its FP32 baseline: the round-7 best path; + HuBERT graph;
# + HuBERT graph with the renderer's graph off. Run results now carry the timeline (each stage step's start and
# end). Everything comes back as one archive, $OUT/r8a.tgz. ~7 min.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
TEXT="Hello, I am your realtime avatar, and this is how I speak."
cat > /tmp/wb/sweep-r8a.json <<JSON
{ "schemaVersion": 1, "name": "h200-round8a", "manifest": "$M/manifest.json", "steps": 50, "repeats": 3, "warmup": true, "seed": 1, "text": "$TEXT",
  "variants": [
    { "name": "round-7 best path (high-priority streams but the renderer's)", $BEST, "providerOptions": { $TTS_HI, $REND, "hubert": { $HI } } },
    { "name": "+ HuBERT on the device path with a CUDA graph", $BEST, "providerOptions": { $TTS_HI, $REND, "hubert": { "enable_cuda_graph": "1", $HI } } },
    { "name": "+ HuBERT graph, the renderer NHWC without a CUDA graph", $BEST,
      "providerOptions": { $TTS_HI, "renderer": { "prefer_nhwc": "1" }, "hubert": { "enable_cuda_graph": "1", $HI } } }
  ] }
JSON
export SWEEP_CACHE=/tmp/wb/cache-r8a
SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-480} run_sweep /tmp/wb/sweep-r8a.json sweep-r8a $R/r8a
(cd $OUT && tar -czf r8a.tgz res && rm -rf res)
