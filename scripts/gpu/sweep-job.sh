# Shared steps of the GPU sweep jobs (sourced, not run): the full-scale reference set, then
# `run_sweep <spec.json> <name>`: the sweep without HTML (plotly is not on the device), its log tail, and
# results.jsonl, the spec and every run.json copied under $R. Expects $OUT; sets W, R, M.
W="node .gpubundle/workbench.mjs"
R=$OUT/res; mkdir -p $R
M=/tmp/wb/models/full
[ -f $M/manifest.json ] || $W models build --scale full --out $M > $R/build.log 2>&1

run_sweep() {
  local spec=$1 name=$2
  echo "== sweep $name ($(date +%T))"
  timeout ${SWEEP_TIMEOUT:-420} $W sweep $spec --ep cuda --out /tmp/wb/$name --cache-dir /tmp/wb/cache-$name --no-report > $R/sweep.log 2>&1
  echo "sweep exit $?"; tail -12 $R/sweep.log
  cp /tmp/wb/$name/results.jsonl $spec $R/ 2>/dev/null
  for d in /tmp/wb/$name/runs/*/; do local id=$(basename $d); mkdir -p $R/runs/$id; cp $d/run.json $R/runs/$id/ 2>/dev/null; done
  echo "== done ($(date +%T))"
}
