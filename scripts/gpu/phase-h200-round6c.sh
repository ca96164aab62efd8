#!/usr/bin/env bash
# GPU phase, round 6 last call (issue 16): the best-path sweep as users run it, examples/sweeps/h200-best-path.json
# (round 6's best path with the avatar prepared once, and its two controls: the avatar per utterance, no pinned
# vocoder), 2 repeats each, with its FP32 baseline. ~6 min; resumable. Writes under $OUT/res/r6c.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
# The spec's `scale: full` reads models/reference/full: the set sweep-job.sh just built (same scale and seed).
mkdir -p models/reference && [ -e models/reference/full ] || ln -s $M models/reference/full
SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-470} run_sweep examples/sweeps/h200-best-path.json sweep-best-path $R/r6c
