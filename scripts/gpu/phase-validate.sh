#!/usr/bin/env bash
# GPU phase for projection validation (issue 9): the same full-scale profile (CUPTI) and device peaks on a
# second GPU kind; `workbench project validate` then compares projection and measurement on the CPU machine.
set -uo pipefail
W="node .gpubundle/workbench.mjs"
R=$OUT/res; mkdir -p $R
M=/tmp/wb/models/full
nvidia-smi --query-gpu=name,memory.total --format=csv > $R/gpu.csv 2>&1
$W models build --scale full --out $M > $R/build.log 2>&1 || { echo build failed; tail $R/build.log; }
bash native/cupti-trace/build.sh > $R/cupti-build.log 2>&1 && export WB_CUPTI_LIB=$PWD/native/cupti-trace/libcupti_trace.so
timeout 200 $W profile $M/manifest.json --ep cuda --gpu-time cupti --runs 20 --warmup 5 --out /tmp/wb/prof-v --no-html --top 3 > $R/profile.txt 2>&1
echo "profile exit $?"; grep -E "^== |end-to-end" $R/profile.txt
node -e 'const fs=require("fs");const p=JSON.parse(fs.readFileSync("/tmp/wb/prof-v/profile.json"));fs.writeFileSync(process.argv[1],JSON.stringify(p))' $R/profile.json
timeout 100 $W device-peaks --ep cuda --out $R/peaks.json > $R/peaks.log 2>&1; tail -6 $R/peaks.log
