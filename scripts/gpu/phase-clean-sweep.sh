#!/usr/bin/env bash
# GPU phase: the main pipeline paths re-measured with the streaming device-memory sampler (before it, every
# run spawned nvidia-smi every 250 ms from the pipeline process, and each spawn stalled it; see
# phase-host-stalls.sh). FP32 baseline, vocoder buckets of 128, + decode loop, + FP16 GPT, and Ditto's
# per-frame roles in FP16 with float32 I/O on top. Writes under $OUT/res.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
G='"gpt_prefill": "fp16", "gpt_decode": "fp16"'
D='"hubert": "fp16", "stitch_network": "fp16", "decoder": "fp16"'
cat > /tmp/wb/sweep-clean.json <<JSON
{ "schemaVersion": 1, "name": "h100-clean", "manifest": "$M/manifest.json", "steps": 50, "repeats": ${REPEATS:-2}, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "fp32, vocoder bucket 128", "vocoderBucket": 128 },
    { "name": "fp32, vocoder bucket 128, decode loop", "vocoderBucket": 128, "decodeLoop": true },
    { "name": "gpt fp16, vocoder bucket 128, decode loop", "precision": { $G }, "vocoderBucket": 128, "decodeLoop": true },
    { "name": "gpt + hubert/stitch/decoder fp16, vocoder bucket 128, decode loop", "precision": { $G, $D }, "vocoderBucket": 128, "decodeLoop": true }
  ] }
JSON
run_sweep /tmp/wb/sweep-clean.json sweep-clean
