#!/usr/bin/env bash
# GPU phase: the decode-loop pass on the full-scale pipeline. The one-token gpt_decode copies the whole KV
# cache to the host and back for every token (onnxruntime-node has no device IO binding); the loop graph
# generates each streaming chunk's tokens in one call with the cache on the GPU. FP32 and FP16 GPT, each with
# and without the loop, all with vocoder buckets of 128 (the fastest path so far). Writes under $OUT/res.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
G='"gpt_prefill": "fp16", "gpt_decode": "fp16"'
cat > /tmp/wb/sweep-loop.json <<JSON
{ "schemaVersion": 1, "name": "h100-decode-loop", "manifest": "$M/manifest.json", "steps": 50, "repeats": ${REPEATS:-2}, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "fp32, vocoder bucket 128", "vocoderBucket": 128 },
    { "name": "fp32, vocoder bucket 128, decode loop", "vocoderBucket": 128, "decodeLoop": true },
    { "name": "gpt fp16, vocoder bucket 128", "precision": { $G }, "vocoderBucket": 128 },
    { "name": "gpt fp16, vocoder bucket 128, decode loop", "precision": { $G }, "vocoderBucket": 128, "decodeLoop": true }
  ] }
JSON
run_sweep /tmp/wb/sweep-loop.json sweep-loop
