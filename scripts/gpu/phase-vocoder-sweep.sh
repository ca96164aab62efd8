#!/usr/bin/env bash
# GPU phase: vocoder length buckets on the full-scale pipeline. Each streaming HiFi-GAN call on a new length
# re-runs cuDNN's algorithm search (~1 s per call on the H100); `vocoderBucket` pads calls to a multiple of
# N tokens. FP32 baseline, FP32 with buckets of 64 and 128 tokens, and the best lowered path (Ditto FP16,
# LMDM mixed calibrated on the pipeline) with buckets of 128. If this GPU is an H200, the FP16 profile for the
# projection validation runs first. Writes under $OUT/res.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
if grep -q H200 $R/gpu.txt; then bash .gpubundle/phase-fp16-profile.sh; fi
D='"hubert": "fp16", "appearance_extractor": "fp16", "motion_extractor": "fp16", "stitch_network": "fp16", "decoder": "fp16"'
cat > /tmp/wb/sweep-voc.json <<JSON
{ "schemaVersion": 1, "name": "h100-vocoder-buckets", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "fp32, vocoder bucket 64", "vocoderBucket": 64 },
    { "name": "fp32, vocoder bucket 128", "vocoderBucket": 128 },
    { "name": "ditto fp16, lmdm mixed (pipeline-calibrated), vocoder bucket 128", "precision": { $D }, "passes": { "lmdm": [ { "pass": "mixed", "budget": 0.01 } ] }, "vocoderBucket": 128 }
  ] }
JSON
run_sweep /tmp/wb/sweep-voc.json sweep-voc
