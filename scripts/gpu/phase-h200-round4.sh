#!/usr/bin/env bash
# GPU phase for the next round (issues 15 and 16), ready to run: the round-3 best path again, now that the
# sweep's renderer ends in the frame-u8 pass (8-bit frames out of the graph), with and without --overlap and
# with vocoder buckets (speed vs the 35 dB bar); the FP32 baseline and "best" anchor the ratios (round 3's own
# renderer without frame-u8 cannot be rebuilt by the sweep now). Then the native concurrency not reached in round 3 (w8).
# ~8 min; resumable. Writes under $OUT/res. Run like phase-h200-fewcalls.sh.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
BEST="\"backend\": \"native\", $KV, $F16, \"renderGraph\": \"baked\", \"renderBatch\": 8"
cat > /tmp/wb/sweep-round4.json <<JSON
{ "schemaVersion": 1, "name": "h200-round4", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "warmup": true, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "best", $B },
    { "name": "round-3 best + frame-u8", $BEST, "providerOptions": { $H, $G, $GK } },
    { "name": "round-3 best + frame-u8 + overlap", $BEST, "overlap": true, "providerOptions": { $H, $G, $GK } },
    { "name": "round-3 best + frame-u8 + buckets 128", $BEST, "vocoderBucket": 128, "providerOptions": { $G, $GK } },
    { "name": "round-3 best + frame-u8 + buckets 128 + overlap", $BEST, "vocoderBucket": 128, "overlap": true, "providerOptions": { $G, $GK } },
    { "name": "best native overlap w8", $B, "overlap": true, "workers": 8, "backend": "native" }
  ] }
JSON
RESUME=""; [ -f /tmp/wb/sweep-round4/results.jsonl ] && RESUME="--resume"
echo "== sweep round4 $RESUME ($(date +%T))"
timeout ${SWEEP_TIMEOUT:-480} $W sweep /tmp/wb/sweep-round4.json $RESUME --ep cuda --out /tmp/wb/sweep-round4 --cache-dir /tmp/wb/cache-round4 --no-report > $R/sweep.log 2>&1
echo "sweep exit $?"; tail -16 $R/sweep.log
cp /tmp/wb/sweep-round4/results.jsonl /tmp/wb/sweep-round4.json $R/ 2>/dev/null
for d in /tmp/wb/sweep-round4/runs/*/; do id=$(basename $d); mkdir -p $R/runs/$id; cp $d/run.json $R/runs/$id/ 2>/dev/null; [ -f $d/workers.json ] && gzip -c $d/workers.json > $R/runs/$id/workers.json.gz; done
node .gpubundle/ditto-calls-summary.mjs /tmp/wb/sweep-round4 $R/gpu.txt > $R/ditto-calls.json && head -c 3000 $R/ditto-calls.json
echo "== done ($(date +%T))"
