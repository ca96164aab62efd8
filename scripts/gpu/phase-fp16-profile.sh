#!/usr/bin/env bash
# GPU phase for the FP16 half of the projection validation (issue 9): the full-scale reference set, its
# all-FP16 variant (`models variant --precision '*=fp16'`), and a CUPTI profile of that variant on this GPU.
# Run on an H100 and on an H200; `workbench project validate` compares them on the CPU machine.
# Also (FP16_BENCH=1) the fp16-convert benchmark on this host. Writes under $OUT/res.
set -uo pipefail
W="node .gpubundle/workbench.mjs"
R=$OUT/res; mkdir -p $R
M=/tmp/wb/models/full; V=/tmp/wb/variants
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv > $R/gpu.csv 2>&1; cat $R/gpu.csv
echo "== build ($(date +%T))"
$W models build --scale full --out $M > $R/build.log 2>&1 || { echo build failed; tail $R/build.log; }
bash native/cupti-trace/build.sh > $R/cupti-build.log 2>&1 && export WB_CUPTI_LIB=$PWD/native/cupti-trace/libcupti_trace.so
echo "== fp16 variant ($(date +%T))"
# float16 I/O on every role (keepIo false): the variant the two H100 FP16 profiles of 2026-11-25 measured
# (before sweeps defaulted to float32 I/O for all but the GPT graphs), so profiles from any GPU compare.
P=""; for r in cond_encoder speaker_encoder gpt_prefill gpt_decode hifigan hubert lmdm appearance_extractor motion_extractor stitch_network warp_network decoder; do P="$P${P:+, }\"$r\": [{ \"pass\": \"fp16\", \"keepIo\": false }]"; done
$W models variant --manifest $M/manifest.json --variant "{ \"name\": \"fp16\", \"passes\": { $P } }" --ep cuda --out $V > $R/variant.log 2>&1; cat $R/variant.log
VM=$(ls $V/manifests/*/manifest.json | head -1)
echo "== profile fp16 ($(date +%T))"
timeout ${PROFILE_TIMEOUT:-300} $W profile $VM --ep cuda --gpu-time cupti --runs 20 --warmup 5 --out /tmp/wb/prof-fp16 --no-html --top 3 > $R/profile-fp16.txt 2>&1
echo "profile exit $?"; grep -E "^== |end-to-end" $R/profile-fp16.txt | head -40
node -e 'const fs=require("fs");const p=JSON.parse(fs.readFileSync("/tmp/wb/prof-fp16/profile.json"));fs.writeFileSync(process.argv[1],JSON.stringify(p))' $R/profile-fp16.json
if [ "${FP16_BENCH:-0}" = 1 ]; then
  echo "== fp16-convert bench ($(date +%T))"
  (mkdir -p /tmp/wb/bench && cd /tmp/wb/bench && timeout 120 node --expose-gc $OLDPWD/.gpubundle/bench.mjs fp16-convert > $R/bench-fp16.log 2>&1; cp bench/results/fp16-convert.json $R/ 2>/dev/null); tail -3 $R/bench-fp16.log
fi
echo "== done ($(date +%T))"
