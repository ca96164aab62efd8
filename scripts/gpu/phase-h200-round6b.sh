#!/usr/bin/env bash
# GPU phase, round 6 second call (issue 16). `new` (default): round 5's best path on this round's code, then
# + avatarCache, then + the unrolled LMDM window under a CUDA graph (3 repeats each, one sweep with its FP32
# baseline). `old`: the same best-path variant on round 5's code (a bundle built from commit 6c01ed7 and carried
# as .gpubundle-r5), in a second sweep on the same machine: the control for this round's runtime changes.
# ~5 min (new), ~3 min (old); resumable. Writes under $OUT/res/r6b-{new,old}.
set -uo pipefail
. .gpubundle/sweep-job.sh
which=${1:-new}
[ "$which" = old ] && W="node .gpubundle-r5/workbench.mjs"
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
BASE="\"backend\": \"native\", $KV, $F16, \"renderGraph\": \"baked\", \"shapeSessions\": { \"hifigan\": 5 }, \"overlap\": true, \"renderOverlap\": true, \"renderBatch\": 8"
GN='"lmdm": { "enable_cuda_graph": "1" }, "renderer": { "enable_cuda_graph": "1", "prefer_nhwc": "1" }'
TEXT="Hello, I am your realtime avatar, and this is how I speak."
if [ "$which" = old ]; then
  VARIANTS="{ \"name\": \"round-5 best path (b8)\", $BASE, \"providerOptions\": { $H, $GN, $GK } }"
else
  VARIANTS="{ \"name\": \"round-5 best path (b8)\", $BASE, \"providerOptions\": { $H, $GN, $GK } },
    { \"name\": \"+ avatarCache\", $BASE, \"avatarCache\": true, \"providerOptions\": { $H, $GN, $GK } },
    { \"name\": \"+ avatarCache + unrolled LMDM window\", $BASE, \"avatarCache\": true, \"diffusionLoop\": \"unrolled\", \"providerOptions\": { $H, $GN, $GK } }"
fi
cat > /tmp/wb/sweep-r6b-$which.json <<JSON
{ "schemaVersion": 1, "name": "h200-round6b-$which", "manifest": "$M/manifest.json", "steps": 50, "repeats": 3, "warmup": true, "seed": 1, "text": "$TEXT",
  "variants": [ $VARIANTS ] }
JSON
export SWEEP_CACHE=/tmp/wb/cache-r6b
SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-560} run_sweep /tmp/wb/sweep-r6b-$which.json sweep-r6b-$which $R/r6b-$which
