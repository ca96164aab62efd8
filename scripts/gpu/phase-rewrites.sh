#!/usr/bin/env bash
# GPU phase: our FP16/INT8/weight-only variants against ORT's Python tools on the full-scale decoder, warp and
# GPT decode step (conversion time, output error, CUDA latency as ratios in one run), and the resolution pass
# on the renderer (issue 5). Writes under $OUT/res.
set -uo pipefail
W="node .gpubundle/workbench.mjs"
R=$OUT/res; mkdir -p $R
M=/tmp/wb/models/full
V=/tmp/wb/variants; mkdir -p $V
$W models build --scale full --out $M > $R/build.log 2>&1 || { echo build failed; tail $R/build.log; }
tm() { local name=$1; shift; local t0=$(date +%s%N); "$@" > $R/$name.log 2>&1; local rc=$?; local t1=$(date +%s%N); echo "{\"step\":\"$name\",\"rc\":$rc,\"wall_ms\":$(( (t1 - t0) / 1000000 ))}" >> $R/conversions.jsonl; }
for role in ${ROLES:-decoder warp_network gpt_decode}; do
  f=$(ls $M/*/$role.onnx); echo "== $role ($(date +%T))"
  tm ours-fp16-$role $W optimize $f -o $V/$role.ours-fp16.onnx --fp16 --keep-io-types --external-data --json
  tm ours-int8-$role $W optimize $f -o $V/$role.ours-int8.onnx --int8 dynamic --target-ep cuda --external-data --json
  tm peer-fp16-$role python3 .gpubundle/peer_convert.py fp16 $f $V/$role.peer-fp16.onnx
  tm peer-int8-$role python3 .gpubundle/peer_convert.py int8 $f $V/$role.peer-int8.onnx
  extra=(); labels=(fp32 ours-fp16 peer-fp16 ours-int8-qdq peer-int8-dynamic)
  if [ $role = gpt_decode ]; then
    tm ours-wo8-$role $W optimize $f -o $V/$role.ours-wo8.onnx --wo 8 --external-data --json
    tm ours-wo4-$role $W optimize $f -o $V/$role.ours-wo4.onnx --wo 4 --external-data --json
    tm ours-fp16io-$role $W optimize $f -o $V/$role.ours-fp16-io16.onnx --fp16 --external-data --json
    extra=($V/$role.ours-wo8.onnx $V/$role.ours-wo4.onnx $V/$role.ours-fp16-io16.onnx); labels+=(ours-wo8 ours-wo4 ours-fp16-io16)
  fi
  timeout 300 $W compare $f $V/$role.ours-fp16.onnx $V/$role.peer-fp16.onnx $V/$role.ours-int8.onnx $V/$role.peer-int8.onnx "${extra[@]}" \
    --ep cuda --runs ${RUNS:-30} --warmup 5 --dim L=255 --dim L1=256 --label "${labels[@]}" --json $R/compare-$role.json 2>$R/compare-$role.err
  echo "compare rc $?"; tail -3 $R/compare-$role.err
done
cat $R/conversions.jsonl
echo "== resolution ($(date +%T))"
for s in 48 32; do
  tm res$s-decoder $W optimize $M/ditto/decoder.onnx -o $V/decoder.res$s.onnx --input feature=1,256,$s,$s --external-data --json
  tm res$s-warp $W optimize $M/ditto/warp_network.onnx -o $V/warp.res$s.onnx --input feature_3d=1,32,16,$s,$s --external-data --json
done
for f in $M/ditto/decoder.onnx $V/decoder.res48.onnx $V/decoder.res32.onnx $M/ditto/warp_network.onnx $V/warp.res48.onnx $V/warp.res32.onnx; do
  n=$(basename $f .onnx)
  timeout 120 $W profile $f --ep cuda --runs 20 --warmup 5 --out /tmp/wb/prof-$n --no-html --top 3 > $R/profile-$n.txt 2>&1
  grep -E "end-to-end|output" $R/profile-$n.txt | head -3
  node -e "const p=require('/tmp/wb/prof-$n/profile.json');const r=p.roles[0];console.log(JSON.stringify({model:'$n',e2e:r.endToEnd??r.e2e??null, outputs:r.outputs??null}))" >> $R/resolution.jsonl 2>/dev/null
done
ls -la $R
