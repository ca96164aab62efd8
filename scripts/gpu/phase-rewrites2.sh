#!/usr/bin/env bash
# GPU phase (issue 5, second round): conversion time of our INT8/FP16 passes against ORT's Python tools
# after the rounding rewrite, and the FP16 output error with and without the float32 output tail, on the
# full-scale decoder, warp network and GPT decode step (ratios measured in one run). Needs the models of
# phase-fp16-profile.sh (same warm machine) or builds them. Writes under $OUT/res.
set -uo pipefail
W="node .gpubundle/workbench.mjs"
R=$OUT/res; mkdir -p $R
M=/tmp/wb/models/full; V=/tmp/wb/variants2; mkdir -p $V
[ -f $M/manifest.json ] || $W models build --scale full --out $M > $R/build.log 2>&1
tm() { local name=$1; shift; local t0=$(date +%s%N); "$@" > $R/$name.log 2>&1; local rc=$?; local t1=$(date +%s%N); echo "{\"step\":\"$name\",\"rc\":$rc,\"wall_ms\":$(( (t1 - t0) / 1000000 ))}" >> $R/conversions.jsonl; }
for role in ${ROLES:-decoder warp_network gpt_decode}; do
  f=$(ls $M/*/$role.onnx); echo "== $role ($(date +%T))"
  for rep in 1 2 3; do
    tm ours-int8-$role-$rep $W optimize $f -o $V/$role.ours-int8.onnx --int8 dynamic --target-ep cuda --external-data --json
    tm peer-int8-$role-$rep python3 .gpubundle/peer_convert.py int8 $f $V/$role.peer-int8.onnx
    tm ours-fp16-$role-$rep $W optimize $f -o $V/$role.ours-fp16.onnx --fp16 --keep-io-types --external-data --json
    tm peer-fp16-$role-$rep python3 .gpubundle/peer_convert.py fp16 $f $V/$role.peer-fp16.onnx
    [ $role = gpt_decode ] && break
  done
  tm ours-fp16-notail-$role $W optimize $f -o $V/$role.ours-fp16-notail.onnx --fp16 --keep-io-types --no-output-tail --external-data --json
  # The peer's INT8 warp (ConvInteger on the CPU) takes ~54 s a run: no compare for it.
  case " ${COMPARE_ROLES:-decoder gpt_decode} " in *" $role "*) ;; *) continue ;; esac
  timeout ${COMPARE_TIMEOUT:-150} $W compare $f $V/$role.ours-fp16.onnx $V/$role.ours-fp16-notail.onnx $V/$role.peer-fp16.onnx $V/$role.ours-int8.onnx $V/$role.peer-int8.onnx \
    --ep cuda --runs ${RUNS:-20} --warmup 5 --dim L=255 --dim L1=256 --label fp32 ours-fp16 ours-fp16-notail peer-fp16 ours-int8-qdq peer-int8-dynamic --json $R/compare-$role.json 2>$R/compare-$role.err
  echo "compare rc $?"; tail -2 $R/compare-$role.err
done
cat $R/conversions.jsonl
echo "== done ($(date +%T))"
