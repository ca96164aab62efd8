#!/usr/bin/env bash
# GPU phase: overlapping the TTS with Ditto (`overlap`: Ditto renders each audio chunk while the TTS makes the
# next) on the fastest path, warm (steady state), against the same path run sequentially. Writes under $OUT/res.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
cat > /tmp/wb/sweep-overlap.json <<JSON
{ "schemaVersion": 1, "name": "h100-overlap", "manifest": "$M/manifest.json", "steps": 50, "repeats": ${REPEATS:-3}, "warmup": true, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "fp32, vocoder bucket 128, decode loop", "vocoderBucket": 128, "decodeLoop": true },
    { "name": "fp32, vocoder bucket 128, decode loop, overlap", "vocoderBucket": 128, "decodeLoop": true, "overlap": true }
  ] }
JSON
run_sweep /tmp/wb/sweep-overlap.json sweep-overlap
