#!/usr/bin/env bash
# GPU phase (issue 5/6): LMDM mixed precision calibrated on the pipeline's own LMDM inputs. The sweep's
# FP32 baseline records LMDM's feeds (every few DDIM steps) and the mixed variant searches on them, then
# runs in the pipeline; compared with Ditto FP16 + LMDM FP32. Writes under $OUT/res.
set -uo pipefail
. .gpubundle/sweep-job.sh
D='"hubert": "fp16", "appearance_extractor": "fp16", "motion_extractor": "fp16", "stitch_network": "fp16", "decoder": "fp16"'
cat > /tmp/wb/sweep-mixed.json <<JSON
{ "schemaVersion": 1, "name": "h100-mixed-calibrated", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "ditto fp16, lmdm mixed (pipeline-calibrated)", "precision": { $D }, "passes": { "lmdm": [ { "pass": "mixed", "budget": 0.01 } ] } },
    { "name": "ditto fp16 (lmdm fp32)", "precision": { $D } }
  ] }
JSON
run_sweep /tmp/wb/sweep-mixed.json sweep-mixed
