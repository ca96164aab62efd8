#!/usr/bin/env bash
# GPU phase (issue 16, next step): a CUPTI per-node profile of the round-5 renderer — stitch, warp and decoder in
# FP16 (float32 I/O), composed with the synthetic avatar baked, 8 frames a call, 8-bit frames out — on the native
# backend with prefer_nhwc, to see which kernels the ~7 ms a frame go to. Writes straight under $OUT (a cut job
# keeps what it wrote). ~2 min after the models are built.
set -uo pipefail
. .gpubundle/sweep-job.sh
R=$OUT
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
bash native/cupti-trace/build.sh > $R/cupti-build.log 2>&1 && export WB_CUPTI_LIB=$PWD/native/cupti-trace/libcupti_trace.so
D=/tmp/wb/rp; mkdir -p $D
for r in stitch_network warp_network decoder; do $W optimize $M/ditto/$r.onnx -o $D/$r.onnx --fp16 --keep-io-types --target-ep cuda > $R/build-$r.log 2>&1; done
$W render-graph --manifest $M/manifest.json --bake-source synthetic --batch 8 --role-file stitch_network=$D/stitch_network.onnx \
  --role-file warp_network=$D/warp_network.onnx --role-file decoder=$D/decoder.onnx -o $D/renderer.onnx > $R/build-renderer.log 2>&1
$W optimize $D/renderer.onnx --frame-u8 -o $D/renderer-u8.onnx >> $R/build-renderer.log 2>&1
echo "built ($(date +%T))"; tail -2 $R/build-renderer.log
timeout 120 $W profile $D/renderer-u8.onnx --ep cuda --backend native --provider-options prefer_nhwc=1 --gpu-time cupti --runs 20 --warmup 5 --out $D/p --no-html --top 30 > $R/profile-renderer.txt 2>&1
echo "profile exit $?"; grep -iE "end-to-end|gpu time|off the|attribution" $R/profile-renderer.txt | head -6
gzip -c $D/p/profile.json > $R/profile-renderer.json.gz 2>/dev/null
echo "== done ($(date +%T))"
