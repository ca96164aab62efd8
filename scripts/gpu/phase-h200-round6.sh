#!/usr/bin/env bash
# GPU phase, round 6 (issue 16): round 5's best path after this round's runtime changes (fingerprints kept from
# the warm-up, pinned staging, in-run downloads, prepared bindings for the GPT step and the renderer), at b8
# and b16, 3 repeats each, against the FP32 baseline of the same sweep. VARIANTS_EXTRA (JSON members, each
# starting with a comma) adds variants. ~6 min; resumable. Writes under $OUT/res/r6.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
BASE="\"backend\": \"native\", $KV, $F16, \"renderGraph\": \"baked\", \"shapeSessions\": { \"hifigan\": 5 }, \"overlap\": true, \"renderOverlap\": true"
GN='"lmdm": { "enable_cuda_graph": "1" }, "renderer": { "enable_cuda_graph": "1", "prefer_nhwc": "1" }'
TEXT="Hello, I am your realtime avatar, and this is how I speak."
cat > /tmp/wb/sweep-r6.json <<JSON
{ "schemaVersion": 1, "name": "h200-round6", "manifest": "$M/manifest.json", "steps": 50, "repeats": 3, "warmup": true, "seed": 1, "text": "$TEXT",
  "variants": [
    { "name": "round-5 best path (b8)", $BASE, "renderBatch": 8, "providerOptions": { $H, $GN, $GK } },
    { "name": "round-5 best path, b16", $BASE, "renderBatch": 16, "providerOptions": { $H, $GN, $GK } }
    ${VARIANTS_EXTRA:-}
  ] }
JSON
export SWEEP_CACHE=/tmp/wb/cache-r6
SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-420} run_sweep /tmp/wb/sweep-r6.json ${SWEEP_NAME:-sweep-r6} $R/${SWEEP_NAME:-sweep-r6}
