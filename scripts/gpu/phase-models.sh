#!/usr/bin/env bash
# GPU phase: build the full-scale reference set, check every model loads and runs on the CUDA EP, and profile
# every role (issues 3 and 4). Writes under $OUT/res (tarred by collect.sh).
set -uo pipefail
W="node .gpubundle/workbench.mjs"
R=$OUT/res; mkdir -p $R
M=/tmp/wb/models/full
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv > $R/gpu.csv 2>&1
step() { echo "== $* ($(date +%T))"; }
step build
/usr/bin/time -v $W models build --scale full --out $M > $R/build.log 2>&1; tail -25 $R/build.log
$W models list --manifest $M/manifest.json > $R/models-list.txt 2>&1
step profile
timeout ${PROFILE_TIMEOUT:-420} $W profile $M/manifest.json --ep cuda --runs ${RUNS:-20} --warmup 5 --out /tmp/wb/prof-fp32 --no-html --top 8 ${ROLES:+--roles $ROLES} > $R/profile-console.txt 2>&1
echo "profile exit $?"; tail -60 $R/profile-console.txt
cp /tmp/wb/prof-fp32/profile.json $R/profile-fp32.json 2>/dev/null
ls -la $R
