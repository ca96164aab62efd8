#!/usr/bin/env bash
# GPU phase (issue 5/6): LMDM mixed precision calibrated on the pipeline's own LMDM inputs. The sweep's
# FP32 baseline records LMDM's feeds (every few DDIM steps) and the mixed variant searches on them, then
# runs in the pipeline; compared with Ditto FP16 + LMDM FP32. Writes under $OUT/res.
set -uo pipefail
W="node .gpubundle/workbench.mjs"
R=$OUT/res; mkdir -p $R
M=/tmp/wb/models/full
[ -f $M/manifest.json ] || $W models build --scale full --out $M > $R/build.log 2>&1
D='"hubert": "fp16", "appearance_extractor": "fp16", "motion_extractor": "fp16", "stitch_network": "fp16", "decoder": "fp16"'
cat > /tmp/wb/sweep-mixed.json <<JSON
{ "schemaVersion": 1, "name": "h100-mixed-calibrated", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "ditto fp16, lmdm mixed (pipeline-calibrated)", "precision": { $D }, "passes": { "lmdm": [ { "pass": "mixed", "budget": 0.01 } ] } },
    { "name": "ditto fp16 (lmdm fp32)", "precision": { $D } }
  ] }
JSON
echo "== sweep ($(date +%T))"
timeout ${SWEEP_TIMEOUT:-420} $W sweep /tmp/wb/sweep-mixed.json --ep cuda --out /tmp/wb/sweep-mixed --cache-dir /tmp/wb/cache-mixed --no-report > $R/sweep.log 2>&1
echo "sweep exit $?"; tail -25 $R/sweep.log
cp /tmp/wb/sweep-mixed/results.jsonl /tmp/wb/sweep-mixed/summary.json /tmp/wb/sweep-mixed/index.html /tmp/wb/sweep-mixed.json $R/ 2>/dev/null
ls /tmp/wb/sweep-mixed/runs/*/calib/lmdm 2>/dev/null | head -3; ls /tmp/wb/sweep-mixed/runs/*/calib/lmdm/*.json 2>/dev/null | wc -l
for d in /tmp/wb/sweep-mixed/runs/*/; do id=$(basename $d); mkdir -p $R/runs/$id; cp $d/run.json $R/runs/$id/ 2>/dev/null; done
find /tmp/wb/cache-mixed -name "*.json" -path "*mixed*" 2>/dev/null | head
echo "== done ($(date +%T))"
