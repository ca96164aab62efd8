#!/usr/bin/env bash
# GPU phase, round 8 fourth call: LMDM in mixed precision on the round-8 best path. The best run's timeline
# (round 8b) has the first LMDM window (~156 ms, 50 graph-replayed steps) on the path to the first frame, and the
# render (the run's last 0.78 s) starts only when it ends. The FP32 baseline records LMDM's inputs across the DDIM
# steps; the `mixed` pass searches on them on the CUDA EP (budgets 1e-2 and 5e-2 of relative L2 at LMDM's
# outputs). 2 repeats each, one sweep. ~7 min; resumable. Writes $OUT/r8d.tgz.
# First call (session of 2026-12-03): both mixed variants failed, "enable_cuda_graph: 'x' is not a preallocated
# device tensor": the mixed pass gave LMDM float16 I/O, which leaves the runner's device path. The sweep now
# resolves the mixed pass's keepIo as the fp16 pass's (float32 I/O but for the GPT graphs). ONLY=1e-2 runs the
# best path and the 1e-2 variant alone (for a short budget).
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
TEXT="Hello, I am your realtime avatar, and this is how I speak."
PO="\"providerOptions\": { $TTS_HI, $REND, \"hubert\": { \"enable_cuda_graph\": \"1\", $HI } }"
R8="$BEST, \"vocoderOverlap\": true, $PO"
# BEST carries the GPT's static-KV pass list; a variant with LMDM's mixed pass spells the whole list.
R8M="\"backend\": \"native\", $F16, \"renderGraph\": \"baked\", \"renderBatch\": 8, \"shapeSessions\": { \"hifigan\": 5 }, \"overlap\": true, \"renderOverlap\": true, \"avatarCache\": true, \"vocoderOverlap\": true, $PO"
KVL='{ "pass": "static-kv", "capacity": 384 }'
cat > /tmp/wb/sweep-r8d.json <<JSON
{ "schemaVersion": 1, "name": "h200-round8d", "manifest": "$M/manifest.json", "steps": 50, "repeats": 2, "warmup": true, "seed": 1, "text": "$TEXT",
  "variants": [
    { "name": "round-8 best path", $R8 },
    { "name": "+ LMDM mixed precision, budget 1e-2", $R8M, "passes": { "gpt_decode": [ $KVL ], "lmdm": [ { "pass": "mixed", "budget": 0.01 } ] } }$([ -n "${ONLY:-}" ] || echo ',
    { "name": "+ LMDM mixed precision, budget 5e-2", '"$R8M"', "passes": { "gpt_decode": [ '"$KVL"' ], "lmdm": [ { "pass": "mixed", "budget": 0.05 } ] } }') ] }
JSON
SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-500} run_sweep /tmp/wb/sweep-r8d.json sweep-r8d $R/r8d
(cd $OUT && tar -czf r8d.tgz res && rm -rf res)
