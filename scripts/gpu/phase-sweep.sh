#!/usr/bin/env bash
# GPU phase: the full-scale pipeline sweep (issues 6 and 7): FP32 baseline, FP16 (warp kept FP32, and all),
# mixed precision on the warp network, weight-only INT4 GPT, two lower resolutions, fewer diffusion steps;
# ~9 s utterance. Writes results.jsonl, summary.json and each run.json under $OUT/res.
set -uo pipefail
W="node .gpubundle/workbench.mjs"
R=$OUT/res; mkdir -p $R
M=/tmp/wb/models/full
$W models build --scale full --out $M > $R/build.log 2>&1 || { echo build failed; tail $R/build.log; }
TEXT=${TEXT:-"Hello, I am your realtime avatar, and this is how I speak."}
cat > /tmp/wb/sweep.json <<JSON
{
  "schemaVersion": 1, "name": "h100-full", "manifest": "$M/manifest.json",
  "steps": 50, "repeats": 1, "seed": 1, "text": "$TEXT",
  "variants": [
    { "name": "ditto fp16, lmdm mixed", "precision": { "hubert": "fp16", "appearance_extractor": "fp16", "motion_extractor": "fp16", "stitch_network": "fp16", "decoder": "fp16" }, "passes": { "lmdm": [ { "pass": "mixed", "budget": 0.01 } ] } },
    { "name": "ditto fp16, lmdm mixed @384", "precision": { "hubert": "fp16", "appearance_extractor": "fp16", "motion_extractor": "fp16", "stitch_network": "fp16", "decoder": "fp16" }, "passes": { "lmdm": [ { "pass": "mixed", "budget": 0.01 } ] }, "resolution": 384 },
    { "name": "ditto fp16, lmdm mixed @256", "precision": { "hubert": "fp16", "appearance_extractor": "fp16", "motion_extractor": "fp16", "stitch_network": "fp16", "decoder": "fp16" }, "passes": { "lmdm": [ { "pass": "mixed", "budget": 0.01 } ] }, "resolution": 256 },
    { "name": "ditto fp16, lmdm mixed, 10 steps", "precision": { "hubert": "fp16", "appearance_extractor": "fp16", "motion_extractor": "fp16", "stitch_network": "fp16", "decoder": "fp16" }, "passes": { "lmdm": [ { "pass": "mixed", "budget": 0.01 } ] }, "steps": 10 },
    { "name": "all fp16 (warp fp32, lmdm mixed)", "precision": { "*": "fp16", "warp_network": "fp32" }, "passes": { "lmdm": [ { "pass": "mixed", "budget": 0.01 } ] } },
    { "name": "ditto fp16 + gpt wo4", "precision": { "hubert": "fp16", "appearance_extractor": "fp16", "motion_extractor": "fp16", "stitch_network": "fp16", "decoder": "fp16", "gpt_decode": "wo4" }, "passes": { "lmdm": [ { "pass": "mixed", "budget": 0.01 } ] } }
  ]
}
JSON
timeout ${SWEEP_TIMEOUT:-480} $W sweep /tmp/wb/sweep.json --ep cuda --out /tmp/wb/sweep --cache-dir /tmp/wb/cache --no-report ${RESUME:+--resume} > $R/sweep.log 2>&1
echo "sweep exit $?"; tail -30 $R/sweep.log
cp /tmp/wb/sweep/results.jsonl $R/ 2>/dev/null
cp /tmp/wb/sweep.json $R/
for d in /tmp/wb/sweep/runs/*/; do id=$(basename $d); mkdir -p $R/runs/$id; cp $d/run.json $R/runs/$id/ 2>/dev/null; cp $d/*.png $R/runs/$id/ 2>/dev/null; done
du -sh $R
