#!/usr/bin/env bash
# GPU phase: CUPTI profiles again (GPU time as the union of a node's kernels), LMDM mixed precision measured
# on CUDA with timesteps 999 and 0, INT8 conversion time ours vs peer, and the FP16 sweep variants whose LMDM
# overflowed before. Writes under $OUT/res.
set -uo pipefail
W="node .gpubundle/workbench.mjs"
R=$OUT/res; mkdir -p $R
M=/tmp/wb/models/full; V=/tmp/wb/variants; mkdir -p $V
$W models build --scale full --out $M > $R/build.log 2>&1 || { echo build failed; tail $R/build.log; }
bash native/cupti-trace/build.sh > $R/cupti-build.log 2>&1 && export WB_CUPTI_LIB=$PWD/native/cupti-trace/libcupti_trace.so
echo "== profile ($(date +%T))"
timeout 200 $W profile $M/manifest.json --ep cuda --gpu-time cupti --runs 20 --warmup 5 --out /tmp/wb/prof-c2 --no-html --top 3 > $R/profile-cupti.txt 2>&1
echo "profile exit $?"; grep -E "^== |GPU time accounted|end-to-end" $R/profile-cupti.txt
node -e 'const fs=require("fs");const p=JSON.parse(fs.readFileSync("/tmp/wb/prof-c2/profile.json"));for(const r of p.roles){const n=r.nodes.length;r.nodes=[...r.nodes].sort((a,b)=>(b.time?.median??0)-(a.time?.median??0)).slice(0,40);r.nodesTrimmed={kept:r.nodes.length,of:n,order:"slowest by GPU time"}};fs.writeFileSync(process.argv[1],JSON.stringify(p))' $R/profile-cupti-trimmed.json
gzip -c /tmp/wb/prof-c2/profile.json > $R/profile-cupti-full.json.gz
echo "== mixed lmdm ($(date +%T))"
timeout 200 $W optimize $M/ditto/lmdm.onnx -o $V/lmdm.mixed.onnx --mixed auto --mixed-ep cuda --max-error 0.01 --keep-io-types --report $R/mixed-lmdm.json > $R/lmdm-mixed.log 2>&1
echo "mixed exit $?"; tail -6 $R/lmdm-mixed.log
echo "== int8 conversion ($(date +%T))"
for i in 1; do
  t0=$(date +%s%N); $W optimize $M/ditto/decoder.onnx -o $V/dec.int8.onnx --int8 dynamic --target-ep cuda --json > $R/int8-ours.json 2>&1; t1=$(date +%s%N)
  python3 .gpubundle/peer_convert.py int8 $M/ditto/decoder.onnx $V/dec.peer8.onnx > $R/int8-peer.json 2>&1; t2=$(date +%s%N)
  echo "{\"ours_wall_ms\":$(( (t1-t0)/1000000 )),\"peer_wall_ms\":$(( (t2-t1)/1000000 ))}" | tee $R/int8-conversion.json
done
echo "== sweep ($(date +%T))"
D='"hubert": "fp16", "appearance_extractor": "fp16", "motion_extractor": "fp16", "stitch_network": "fp16", "decoder": "fp16"'
cat > /tmp/wb/sweep-final.json <<JSON
{ "schemaVersion": 1, "name": "h100-fp16", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "seed": 1,
  "text": "Hello, I am your realtime avatar, and this is how I speak.",
  "variants": [
    { "name": "ditto fp16, lmdm mixed (t=999 calibrated)", "precision": { $D }, "passes": { "lmdm": [ { "pass": "mixed", "budget": 0.01 } ] } },
    { "name": "ditto fp16 (lmdm fp32)", "precision": { $D } },
    { "name": "ditto fp16 (lmdm fp32), 10 steps", "precision": { $D }, "steps": 10 }
  ] }
JSON
timeout 300 $W sweep /tmp/wb/sweep-final.json --ep cuda --out /tmp/wb/sweep-final --cache-dir /tmp/wb/cache --no-report > $R/sweep.log 2>&1
echo "sweep exit $?"; tail -8 $R/sweep.log
cp /tmp/wb/sweep-final/results.jsonl $R/sweep-results.jsonl 2>/dev/null; cp /tmp/wb/sweep-final.json $R/
du -sh $R
