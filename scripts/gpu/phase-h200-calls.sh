#!/usr/bin/env bash
# GPU phase (issues 15 and 16): per-call figures in one process each, on the full-scale reference set.
# 1. render-calls.mjs: Ditto's render per frame for batch 1/4/8/16 as three graphs, composed, or baked, FP32 and
#    FP16, on node, native (device IO) and native + CUDA graph; LMDM per window as 50 calls and as one loop.
# 2. CUPTI per-node profiles of the decoder and the FP16 warp network under both backends (profile --backend
#    native keeps the per-node attribution; the FP16 warp has no node off the CUDA EP).
# ~8 min. Writes under $OUT/res: render-calls.json, render-calls.log, profile-<model>-<backend>.{txt,json.gz}.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
echo "== render calls ($(date +%T))"
timeout ${CALLS_TIMEOUT:-360} node .gpubundle/render-calls.mjs $M/manifest.json $R/render-calls.json ${RUNS:-20} ${WARMUP:-3} > $R/render-calls.log 2>&1
echo "render-calls exit $?"; tail -30 $R/render-calls.log
echo "== cupti ($(date +%T))"
bash native/cupti-trace/build.sh > $R/cupti-build.log 2>&1 && export WB_CUPTI_LIB=$PWD/native/cupti-trace/libcupti_trace.so
mkdir -p /tmp/wb/p && $W optimize $M/ditto/warp_network.onnx -o /tmp/wb/p/warp_fp16.onnx --fp16 --keep-io-types --target-ep cuda > $R/warp-fp16.log 2>&1
for target in $M/ditto/decoder.onnx /tmp/wb/p/warp_fp16.onnx; do
  name=$(basename $target .onnx)
  for be in node native; do
    timeout 90 $W profile $target --ep cuda --backend $be --gpu-time cupti --runs 20 --warmup 5 --out /tmp/wb/p/$name-$be --no-html --top 8 > $R/profile-$name-$be.txt 2>&1
    echo "profile $name $be exit $?"; grep -iE "end-to-end|gpu time|off the|cupti|attributed" $R/profile-$name-$be.txt | head -6
    gzip -c /tmp/wb/p/$name-$be/profile.json > $R/profile-$name-$be.json.gz 2>/dev/null
  done
done
echo "== done ($(date +%T))"
