# Shared steps of the GPU sweep jobs (sourced, not run): the full-scale reference set, then
# `run_sweep <spec.json> <name> [dest]`: the sweep without HTML (plotly is not on the device), resumed when an
# earlier call on this machine left results, its log tail, and results.jsonl, the spec, every run.json and
# (gzipped) every workers.json copied under dest (default $R), and those files again as dest/runs.tar.gz. SWEEP_TIMEOUT (default 420 s) limits it;
# SWEEP_CACHE (default /tmp/wb/cache-<name>) is its variant cache. Expects $OUT; sets W, R, M.
W="node .gpubundle/workbench.mjs"
R=$OUT/res; mkdir -p $R
M=/tmp/wb/models/full
[ -f $M/manifest.json ] || $W models build --scale full --out $M > $R/build.log 2>&1

# Variant fragments the path sweeps share (JSON members, pasted into a spec's variants):
# B = the node-era best path (vocoder buckets + decode loop); F16 = the Ditto renderer's three roles in FP16;
# H = HiFi-GAN without the exhaustive cuDNN search; G = CUDA graphs on renderer and LMDM, GK = and on the GPT
# step; KV = the static-KV GPT step (capacity 384 holds the job's utterance).
B='"vocoderBucket": 128, "decodeLoop": true'
F16='"precision": { "stitch_network": "fp16", "warp_network": "fp16", "decoder": "fp16" }'
H='"hifigan": { "cudnn_conv_algo_search": "HEURISTIC" }'
G='"lmdm": { "enable_cuda_graph": "1" }, "renderer": { "enable_cuda_graph": "1" }'
GK='"gpt_decode": { "enable_cuda_graph": "1" }'
KV='"passes": { "gpt_decode": [ { "pass": "static-kv", "capacity": 384 } ] }'

# The round-7/8 best path's parts: BEST = its settings (native backend, static-KV GPT, FP16 baked renderer in
# batches of 8, shape-pinned vocoder, overlap, background render, the avatar prepared once); HI = a high-priority
# CUDA stream; TTS_HI = the vocoder, LMDM and the GPT on high-priority streams with their graphs and HiFi-GAN's
# heuristic search (round 7's best; add hubert's own); REND = the renderer's CUDA graph and NHWC.
BEST="\"backend\": \"native\", $KV, $F16, \"renderGraph\": \"baked\", \"renderBatch\": 8, \"shapeSessions\": { \"hifigan\": 5 }, \"overlap\": true, \"renderOverlap\": true, \"avatarCache\": true"
HI='"stream_priority": "high"'
TTS_HI="\"hifigan\": { \"cudnn_conv_algo_search\": \"HEURISTIC\", $HI }, \"lmdm\": { \"enable_cuda_graph\": \"1\", $HI }, \"gpt_decode\": { \"enable_cuda_graph\": \"1\", $HI }, \"gpt_prefill\": { $HI }"
REND='"renderer": { "enable_cuda_graph": "1", "prefer_nhwc": "1" }'

run_sweep() {
  local spec=$1 name=$2 dest=${3:-$R}
  local resume=""; [ -f /tmp/wb/$name/results.jsonl ] && resume="--resume"
  mkdir -p $dest
  echo "== sweep $name $resume ($(date +%T))"
  timeout ${SWEEP_TIMEOUT:-420} $W sweep $spec $resume --ep cuda --out /tmp/wb/$name --cache-dir ${SWEEP_CACHE:-/tmp/wb/cache-$name} --no-report > $dest/sweep.log 2>&1
  echo "sweep exit $?"; tail -16 $dest/sweep.log
  cp /tmp/wb/$name/results.jsonl $spec $dest/ 2>/dev/null
  for d in /tmp/wb/$name/runs/*/; do
    local id=$(basename $d); mkdir -p $dest/runs/$id; cp $d/run.json $dest/runs/$id/ 2>/dev/null
    [ -f $d/workers.json ] && gzip -c $d/workers.json > $dest/runs/$id/workers.json.gz
  done
  # The same files as one archive too: round 6's calls got no runs/ folder back ("runs (depth)").
  (cd /tmp/wb/$name && ls runs/*/run.json runs/*/workers.json 2>/dev/null | tar -czf $dest/runs.tar.gz -T - 2>/dev/null)
  echo "== done ($(date +%T))"
}
