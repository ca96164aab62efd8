#!/usr/bin/env bash
# GPU phase, round 6 fifth call (issue 16): round 6's best path once more, 1 repeat, for the per-role median and
# slowest call that sweep results now keep (medianCallMs, maxCallMs): is round 5's one ~90 ms GPT call per run
# gone? ~2 min. Writes under $OUT/res/r6d.
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
mkdir -p models/reference && [ -e models/reference/full ] || ln -s $M models/reference/full
python3 - <<'PY'
import json
d = json.load(open('examples/sweeps/h200-best-path.json'))
d['name'] = 'h200-round6d'; d['repeats'] = 1; d['variants'] = d['variants'][:1]
json.dump(d, open('/tmp/wb/sweep-r6d.json', 'w'))
PY
SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-200} run_sweep /tmp/wb/sweep-r6d.json sweep-r6d $R/r6d
