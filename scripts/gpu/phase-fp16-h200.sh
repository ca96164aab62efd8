#!/usr/bin/env bash
# H200: the CUPTI profile of the all-FP16 variant (projection validation, issue 15's last bullet) and ORT's
# own placement log for the FP16 warp network (why its GridSamples land on the CPU). Writes under $OUT/res.
set -uo pipefail
bash scripts/gpu/phase-fp16-profile.sh
R=$OUT/res; W="node .gpubundle/workbench.mjs"; M=/tmp/wb/models/full
echo "== fp16 warp placement log ($(date +%T))"
$W optimize $(ls $M/*/warp_network.onnx | head -1) -o /tmp/wb/warp-fp16.onnx --fp16 --keep-io-types > $R/warp-fp16.txt 2>&1
cp scripts/gpu/diag-placement.cjs /tmp/wb/ && (cd /tmp/wb && NODE_PATH=$NODE_PATH node diag-placement.cjs /tmp/wb/warp-fp16.onnx > /tmp/wb/warp-verbose.log 2>&1)
grep -inE "gridsample|fallback|not found|cpu|cast" /tmp/wb/warp-verbose.log | grep -viE "memcpy|arena" | head -200 > $R/warp-fp16-placement.txt
wc -l /tmp/wb/warp-verbose.log; head -c 3000 $R/warp-fp16-placement.txt
echo "== done ($(date +%T))"
