#!/usr/bin/env bash
# GPU phase (issue 15): per-call latency of stitch, warp, decoder, lmdm, hubert (6480 samples), hifigan (128
# tokens) and the gpt_decode step (KV fixed at 255) on the full-scale reference models, in ONE process: node
# (onnxruntime-node, host tensors) against the native backend with device IO under 7 CUDA option sets
# (defaults/EXHAUSTIVE, HEURISTIC, prefer_nhwc, HEURISTIC+nhwc, CUDA graph, nhwc+graph, HEURISTIC+nhwc+graph),
# plus native with host IO. 10 warm-up, 50 timed calls, interleaved; medians, p90, ratios to node.
# First `setup-cuda` (provider present: only its checks, now with the native backend's). Writes $OUT/res/native-calls.json, native-calls.log,
# setup-cuda.txt. Expected: ~5 min (build 30 s, then ~30-45 s per role; graph rows load a shape-probe session).
# Run: bash .gpu/install.sh && . /opt/wb/env.sh && wb-link-ort && bash .gpubundle/phase-native-calls.sh
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $R/gpu.txt
$W setup-cuda > $R/setup-cuda.txt 2>&1; echo "setup-cuda exit $?"; cat $R/setup-cuda.txt
echo "== native calls ($(date +%T))"
timeout ${CALLS_TIMEOUT:-420} node .gpubundle/native-calls.mjs $M/manifest.json $R/native-calls.json ${RUNS:-50} ${WARMUP:-10} ${ROLES:-} 2> $R/native-calls.log
echo "native-calls exit $?"; grep -v "^\s*$" $R/native-calls.log | tail -80
echo "== done ($(date +%T))"
