#!/usr/bin/env bash
# GPU phase, round 7 first call (issue 16): does zero-padding the warp network's misaligned conv channels
# (`pad-channels`: the hourglass's 110 input channels → 112, its last conv 142 → 144, the 7×7×7 mask conv
# 142 → 22 as 144 → 24) make the FP16 renderer faster? In one process each:
#  1. the round-6 renderer (stitch + warp + decoder in FP16, avatar baked, 8 frames a call, 8-bit frames) against
#     the same with the warp padded to multiples of 8 and of 16: native backend, device IO, prefer_nhwc + CUDA
#     graph, 40 timed calls after 5 warm-up (median), and the frames' difference;
#  2. CUDA EP option sets on the padded renderer (NCHW, fuse_conv_bias, HEURISTIC search, small workspace);
#  3. the best-path sweep: round 6's best path against the same with the padded warp (2 repeats, FP32 baseline).
# Writes under $OUT/res. ~8 min with the model builds; the sweep resumes in a later call.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
D=/tmp/wb/r7; mkdir -p $D
echo "== models ready ($(date +%T))"
for r in stitch_network decoder; do
  [ -f $D/$r.onnx ] || $W optimize $M/ditto/$r.onnx -o $D/$r.onnx --fp16 --keep-io-types --target-ep cuda > $R/build-$r.log 2>&1
done
# build_renderer NAME [warp optimize flags]: the round-6 renderer with the warp rewritten by the flags first.
build_renderer() {
  local name=$1; shift
  [ -f $D/$name.onnx ] && return
  $W optimize $M/ditto/warp_network.onnx -o $D/warp-$name.onnx "$@" --fp16 --keep-io-types --target-ep cuda > $R/build-$name.log 2>&1
  $W render-graph --manifest $M/manifest.json --bake-source synthetic --batch 8 --role-file stitch_network=$D/stitch_network.onnx \
    --role-file warp_network=$D/warp-$name.onnx --role-file decoder=$D/decoder.onnx -o $D/$name-f.onnx >> $R/build-$name.log 2>&1
  $W optimize $D/$name-f.onnx --frame-u8 -o $D/$name.onnx >> $R/build-$name.log 2>&1
  grep -E "passes|convs" $R/build-$name.log | head -3
}
build_renderer r0
build_renderer pad8 --pad-channels
build_renderer pad16 --pad-channels 16
echo "== renderers built ($(date +%T))"
timeout 170 $W compare $D/r0.onnx $D/pad8.onnx $D/pad16.onnx --label r0 pad8 pad16 --ep cuda --backend native --device-io \
  --provider-options prefer_nhwc=1,enable_cuda_graph=1 --runs 40 --warmup 5 --json $R/compare-pad.json > $R/compare-pad.txt 2>&1
echo "compare exit $?"; cat $R/compare-pad.txt | tail -12
cat > $D/sets.json <<'JSON'
[ { "prefer_nhwc": "1", "enable_cuda_graph": "1" },
  { "enable_cuda_graph": "1" },
  { "prefer_nhwc": "1", "enable_cuda_graph": "1", "fuse_conv_bias": "1" },
  { "prefer_nhwc": "1", "enable_cuda_graph": "1", "cudnn_conv_algo_search": "HEURISTIC" },
  { "prefer_nhwc": "1", "enable_cuda_graph": "1", "cudnn_conv_use_max_workspace": "0" } ]
JSON
timeout 170 $W compare $D/pad8.onnx --ep cuda --backend native --device-io --provider-options @$D/sets.json --runs 40 --warmup 5 \
  --json $R/compare-sets.json > $R/compare-sets.txt 2>&1
echo "sets exit $?"; cat $R/compare-sets.txt | tail -10
BASE="\"backend\": \"native\", \"renderGraph\": \"baked\", \"renderBatch\": 8, \"shapeSessions\": { \"hifigan\": 5 }, \"overlap\": true, \"renderOverlap\": true, \"avatarCache\": true"
PO="\"providerOptions\": { $H, \"lmdm\": { \"enable_cuda_graph\": \"1\" }, \"renderer\": { \"enable_cuda_graph\": \"1\", \"prefer_nhwc\": \"1\" }, $GK }"
TEXT="Hello, I am your realtime avatar, and this is how I speak."
cat > /tmp/wb/sweep-r7.json <<JSON
{ "schemaVersion": 1, "name": "h200-round7", "manifest": "$M/manifest.json", "steps": 50, "repeats": 2, "warmup": true, "seed": 1, "text": "$TEXT",
  "variants": [
    { "name": "round-6 best path", $BASE, $KV, $F16, $PO },
    { "name": "round-6 best path, warp channels padded to 8", $BASE, $PO,
      "precision": { "stitch_network": "fp16", "decoder": "fp16" },
      "passes": { "gpt_decode": [ { "pass": "static-kv", "capacity": 384 } ], "warp_network": [ { "pass": "pad-channels" }, { "pass": "fp16" } ] } }
  ] }
JSON
export SWEEP_CACHE=/tmp/wb/cache-r7
SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-300} run_sweep /tmp/wb/sweep-r7.json sweep-r7 $R/sweep-r7
