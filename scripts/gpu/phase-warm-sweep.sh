#!/usr/bin/env bash
# GPU phase: the main pipeline paths in the steady state. `warmup: true` runs each repeat's pipeline once
# untimed on its loaded sessions first, so cuDNN's first-call searches (decoder ~1 s, HiFi-GAN per bucket) and
# arena growth are not in the timed run; run.json keeps the cold pass as warmupMs. Same variants as
# phase-clean-sweep.sh. Resumable: a second call on the same machine continues the sweep. Writes under $OUT/res.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
G='"gpt_prefill": "fp16", "gpt_decode": "fp16"'
cat > /tmp/wb/sweep-warm.json <<JSON
{ "schemaVersion": 1, "name": "h100-warm", "manifest": "$M/manifest.json", "steps": 50, "repeats": ${REPEATS:-2}, "warmup": true, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "fp32, vocoder bucket 128", "vocoderBucket": 128 },
    { "name": "fp32, vocoder bucket 128, decode loop", "vocoderBucket": 128, "decodeLoop": true },
    { "name": "gpt fp16, vocoder bucket 128, decode loop", "precision": { $G }, "vocoderBucket": 128, "decodeLoop": true }
  ] }
JSON
RESUME=""; [ -f /tmp/wb/sweep-warm/results.jsonl ] && RESUME="--resume"
echo "== sweep sweep-warm $RESUME ($(date +%T))"
timeout ${SWEEP_TIMEOUT:-420} $W sweep /tmp/wb/sweep-warm.json $RESUME --ep cuda --out /tmp/wb/sweep-warm --cache-dir /tmp/wb/cache-sweep-warm --no-report > $R/sweep.log 2>&1
echo "sweep exit $?"; tail -8 $R/sweep.log
cp /tmp/wb/sweep-warm/results.jsonl /tmp/wb/sweep-warm.json $R/ 2>/dev/null
for d in /tmp/wb/sweep-warm/runs/*/; do id=$(basename $d); mkdir -p $R/runs/$id; cp $d/run.json $R/runs/$id/ 2>/dev/null; done
echo "== done ($(date +%T))"
