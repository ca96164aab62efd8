#!/usr/bin/env bash
# GPU phase: how much the run's own device-memory sampling costs. `poll` spawns nvidia-smi every 250 ms from
# the pipeline process (fork copies the page tables of its ~6 GB resident set, stalling the event loop);
# `stream` reads one nvidia-smi -lms process started before the sessions load; `off` samples nothing.
# Interleaved rounds of whole `workbench run`s on the same models: the best path (FP32, decode loop, vocoder
# buckets of 128) in all three modes, and the plain FP32 baseline in poll and stream. Writes under $OUT/res.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
V=/tmp/wb/variants
$W models variant --manifest $M/manifest.json --variant '{ "name": "loop", "decodeLoop": true }' --ep cuda --out $V > $R/variant.log 2>&1; cat $R/variant.log
VM=$(ls $V/manifests/*/manifest.json | head -1)
TEXT="Hello, I am your realtime avatar, and this is how I speak."
one() { # name manifest mode extra...
  local name=$1 man=$2 mode=$3; shift 3
  timeout 120 $W run --manifest $man --ep cuda --steps 50 --seed 1 --text "$TEXT" --device-memory $mode --out /tmp/wb/runs/$name "$@" > $R/$name.log 2>&1
  mkdir -p $R/runs/$name && cp /tmp/wb/runs/$name/run.json $R/runs/$name/ 2>/dev/null
  node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));const s=r.timing.stagesMs;console.log(process.argv[2].padEnd(22),"rtf",r.timing.rtf.endToEnd.toFixed(3),"render",(s["ditto.render"]/1000).toFixed(2),"decode",(s["tts.decode"]/1000).toFixed(2),"dev",r.memory.peakDeviceBytes)' /tmp/wb/runs/$name/run.json $name 2>/dev/null || { echo "$name failed"; tail -3 $R/$name.log; }
}
echo "== runs ($(date +%T))"
for i in 1 2; do
  for mode in poll stream off; do one best-$mode-$i $VM $mode --vocoder-bucket 128; done
  for mode in poll stream; do one fp32-$mode-$i $M/manifest.json $mode; done
done
echo "== done ($(date +%T))"
