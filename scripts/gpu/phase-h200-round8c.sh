#!/usr/bin/env bash
# GPU phase, round 8 third call (issue 16): the best-path sweep as users run it, examples/sweeps/h200-best-path.json
# (round 8b's best path, round 7's, round 6's and the avatar per utterance), 2 repeats each, with its FP32 baseline,
# on a machine other than round 8b's. ~6 min; resumable. Writes under $OUT/res/r8c and as $OUT/r8c.tgz.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
# The spec's `scale: full` reads models/reference/full: the set sweep-job.sh just built (same scale and seed).
mkdir -p models/reference && [ -e models/reference/full ] || ln -s $M models/reference/full
SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-500} run_sweep examples/sweeps/h200-best-path.json sweep-best-path $R/r8c
(cd $OUT && tar -czf r8c.tgz res && rm -rf res)
