#!/usr/bin/env bash
# GPU phase, round 8 second call (issue 16), for a fresh session's budget. Round 8a's timeline (run.json
# timing.timeline) showed the JS thread blocked on the critical path: each LMDM window's ~1M seeded normals
# drawn right before it (the first window started ~100 ms after its features were ready; one render call waited
# 92 ms outside its run), and ~2 ms between the renderer's back-to-back calls while a batch's frames were written.
# Since then: the window noise is drawn once per loaded sessions, a batch's frames go out while the next call runs,
# and HuBERT's chunks bind fixed device buffers (a CUDA graph on hubert). `new` (default): the round-7 best path;
# + HuBERT graph; + HuBERT graph and vocoderOverlap (the streaming vocoder calls beside the GPT's steps: 4 calls,
# ~38 ms, sat between the decode's steps on the path to the first LMDM window); + HuBERT graph with the
# renderer's graph off (NHWC alone). `old`: the round-7 best path on
# round 8a's code (a bundle built from commit e8fa80f, carried as .gpubundle-r8a): the same-machine control.
# 3 repeats each, one sweep each with its FP32 baseline. ~8 min (new; resumable), ~3 min (old). One archive per sweep:
# $OUT/r8b-new.tgz, $OUT/r8b-old.tgz.
#
#   bash scripts/gpu/bundle.sh && bash scripts/gpu/bundle-at.sh e8fa80f r8a   # then carry [".gpu", ".gpubundle", ".gpubundle-r8a"]
#   two device calls (the second on the warm machine, without install.sh): `… && bash .gpubundle/phase-h200-round8b.sh new`,
#   then `. /opt/wb/env.sh && wb-link-ort && bash .gpubundle/phase-h200-round8b.sh old`. The tree with .gpu/ and both
#   bundles is over the 64 MiB a call carries: move reports/ (11 MB, tracked) out for the calls, then put it back.
set -uo pipefail
. .gpubundle/sweep-job.sh
which=${1:-new}
[ "$which" = old ] && W="node .gpubundle-r8a/workbench.mjs"
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
TEXT="Hello, I am your realtime avatar, and this is how I speak."
VARIANTS="{ \"name\": \"round-7 best path (high-priority streams but the renderer's)\", $BEST, \"providerOptions\": { $TTS_HI, $REND, \"hubert\": { $HI } } }"
[ "$which" = new ] && VARIANTS="$VARIANTS,
    { \"name\": \"+ HuBERT on the device path with a CUDA graph\", $BEST, \"providerOptions\": { $TTS_HI, $REND, \"hubert\": { \"enable_cuda_graph\": \"1\", $HI } } },
    { \"name\": \"+ HuBERT graph + the vocoder beside the GPT (vocoderOverlap)\", $BEST, \"vocoderOverlap\": true,
      \"providerOptions\": { $TTS_HI, $REND, \"hubert\": { \"enable_cuda_graph\": \"1\", $HI } } },
    { \"name\": \"+ HuBERT graph, the renderer NHWC without a CUDA graph\", $BEST,
      \"providerOptions\": { $TTS_HI, \"renderer\": { \"prefer_nhwc\": \"1\" }, \"hubert\": { \"enable_cuda_graph\": \"1\", $HI } } }"
cat > /tmp/wb/sweep-r8b-$which.json <<JSON
{ "schemaVersion": 1, "name": "h200-round8b-$which", "manifest": "$M/manifest.json", "steps": 50, "repeats": 3, "warmup": true, "seed": 1, "text": "$TEXT",
  "variants": [ $VARIANTS ] }
JSON
export SWEEP_CACHE=/tmp/wb/cache-r8b
SWEEP_TIMEOUT=${SWEEP_TIMEOUT:-480} run_sweep /tmp/wb/sweep-r8b-$which.json sweep-r8b-$which $R/r8b-$which
(cd $OUT && tar -czf r8b-$which.tgz res && rm -rf res)
