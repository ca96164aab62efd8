#!/usr/bin/env bash
# GPU phase (issue 16): Ditto in few GPU calls. One warm sweep (warmup: true, repeats 1) on the full-scale
# set, backend `node`, and `native` (the addon behind src/runtime; `.gpubundle/ort_node.node`) for the
# per-frame path, baked batch 8 and 16, and the best path:
#  - per-frame render: batch 1, 4, 8, 16, with stitch/warp/decoder as three graphs or one composed renderer
#    (source as inputs, or baked);
#  - LMDM per window: 50 calls (every variant without diffusionLoop) vs one loop call;
#  - the paths: per-frame FP32 baseline (variant 0, the PSNR reference) and render-graph baked + batch 8 +
#    diffusion loop on top of the best path so far (FP32, vocoder buckets 128, decode loop), and that with
#    an FP16 decoder.
# Then scripts/gpu/ditto-calls-summary.mjs reduces the run.json files to $OUT/res/ditto-calls.json:
# render ms per frame and per call, LMDM ms per window and per step, RTF, time to first frame, PSNR per
# variant. Budget ~8 min on an H200 (SWEEP_TIMEOUT, default 480 s; resumable, so a second call finishes what a first one left). Resumable. Writes under $OUT/res.
# Build the bundle first on the CPU machine (bash scripts/gpu/bundle.sh; .gpubundle travels as a carried path).
# Run: bash .gpu/install.sh && . /opt/wb/env.sh && wb-link-ort && bash scripts/gpu/phase-ditto-calls.sh
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
B='"vocoderBucket": 128, "decodeLoop": true'
cat > /tmp/wb/sweep-ditto-calls.json <<JSON
{ "schemaVersion": 1, "name": "h200-ditto-calls", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "warmup": true, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "batch 4", "renderBatch": 4 },
    { "name": "batch 8", "renderBatch": 8 },
    { "name": "batch 16", "renderBatch": 16 },
    { "name": "composed", "renderGraph": true },
    { "name": "composed, batch 8", "renderGraph": true, "renderBatch": 8 },
    { "name": "baked", "renderGraph": "baked" },
    { "name": "baked, batch 4", "renderGraph": "baked", "renderBatch": 4 },
    { "name": "baked, batch 8", "renderGraph": "baked", "renderBatch": 8 },
    { "name": "baked, batch 16", "renderGraph": "baked", "renderBatch": 16 },
    { "name": "diffusion loop", "diffusionLoop": true },
    { "name": "best: voc128 + decode loop", $B },
    { "name": "best + baked + batch 8 + diffusion loop", $B, "renderGraph": "baked", "renderBatch": 8, "diffusionLoop": true },
    { "name": "best + baked + batch 8 + diffusion loop + decoder fp16", $B, "renderGraph": "baked", "renderBatch": 8, "diffusionLoop": true, "precision": { "decoder": "fp16" } },
    { "name": "native: per-frame", "backend": "native" },
    { "name": "native: baked, batch 8", "backend": "native", "renderGraph": "baked", "renderBatch": 8 },
    { "name": "native: baked, batch 16", "backend": "native", "renderGraph": "baked", "renderBatch": 16 },
    { "name": "native: best + baked + batch 8 + diffusion loop", "backend": "native", $B, "renderGraph": "baked", "renderBatch": 8, "diffusionLoop": true }
  ] }
JSON
RESUME=""; [ -f /tmp/wb/sweep-ditto-calls/results.jsonl ] && RESUME="--resume"
echo "== sweep ditto-calls $RESUME ($(date +%T))"
timeout ${SWEEP_TIMEOUT:-480} $W sweep /tmp/wb/sweep-ditto-calls.json $RESUME --ep cuda --out /tmp/wb/sweep-ditto-calls --cache-dir /tmp/wb/cache-ditto-calls --no-report > $R/sweep.log 2>&1
echo "sweep exit $?"; tail -16 $R/sweep.log
cp /tmp/wb/sweep-ditto-calls/results.jsonl /tmp/wb/sweep-ditto-calls.json $R/ 2>/dev/null
for d in /tmp/wb/sweep-ditto-calls/runs/*/; do id=$(basename $d); mkdir -p $R/runs/$id; cp $d/run.json $R/runs/$id/ 2>/dev/null; done
node .gpubundle/ditto-calls-summary.mjs /tmp/wb/sweep-ditto-calls $R/gpu.txt > $R/ditto-calls.json && cat $R/ditto-calls.json
echo "== done ($(date +%T))"
