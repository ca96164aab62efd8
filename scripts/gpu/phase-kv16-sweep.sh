#!/usr/bin/env bash
# GPU phase: the GPT with float16 I/O (KV cache kept float16 between steps by the runner) on top of vocoder
# buckets, and the lowered Ditto without its once-per-image extractors (their one FP16 call spends seconds
# in cuDNN's search). If this GPU is an H200, the FP16 profile for the projection validation runs first.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
if grep -q H200 $R/gpu.txt; then bash .gpubundle/phase-fp16-profile.sh; fi
cat > /tmp/wb/sweep-kv.json <<JSON
{ "schemaVersion": 1, "name": "${SWEEP_NAME:-h100-kv16}", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "fp32, vocoder bucket 128", "vocoderBucket": 128 },
    { "name": "gpt fp16 (fp16 KV), vocoder bucket 128", "precision": { "gpt_prefill": "fp16", "gpt_decode": "fp16" }, "vocoderBucket": 128 },
    { "name": "hubert/stitch/decoder fp16 (fp32 I/O) + lmdm mixed, vocoder bucket 128", "precision": { "hubert": "fp16", "stitch_network": "fp16", "decoder": "fp16" }, "passes": { "lmdm": [ { "pass": "mixed", "budget": 0.01 } ] }, "vocoderBucket": 128 },
    { "name": "gpt fp16 (fp16 KV) + hubert/stitch/decoder fp16 (fp32 I/O) + lmdm mixed, vocoder bucket 128", "precision": { "gpt_prefill": "fp16", "gpt_decode": "fp16", "hubert": "fp16", "stitch_network": "fp16", "decoder": "fp16" }, "passes": { "lmdm": [ { "pass": "mixed", "budget": 0.01 } ] }, "vocoderBucket": 128 }
  ] }
JSON
run_sweep /tmp/wb/sweep-kv.json sweep-kv2
