#!/usr/bin/env bash
# GPU phase: per-node GPU time through CUPTI for every full-scale role (issue 4), mixed precision on LMDM
# whose plain FP16 overflows (issue 5), concurrent workers 1/2/4/8 (issue 6) and the device's measured peaks
# (issue 9). Writes under $OUT/res.
set -uo pipefail
W="node .gpubundle/workbench.mjs"
R=$OUT/res; mkdir -p $R
M=/tmp/wb/models/full; V=/tmp/wb/variants; mkdir -p $V
$W models build --scale full --out $M > $R/build.log 2>&1 || { echo build failed; tail $R/build.log; }
echo "== cupti ($(date +%T))"
bash native/cupti-trace/build.sh > $R/cupti-build.log 2>&1 && export WB_CUPTI_LIB=$PWD/native/cupti-trace/libcupti_trace.so
tail -3 $R/cupti-build.log
timeout ${PROFILE_TIMEOUT:-240} $W profile $M/manifest.json --ep cuda --gpu-time ${GPU_TIME:-cupti} --runs 20 --warmup 5 --out /tmp/wb/prof-cupti --no-html --top 5 --keep-trace > $R/profile-cupti.txt 2>&1
echo "profile exit $?"; grep -E "^== |method|end-to-end|GPU \(CUPTI\)|alignment|coverage|warning" $R/profile-cupti.txt | head -80
cp /tmp/wb/prof-cupti/profile.json $R/profile-cupti.json 2>/dev/null
(cd /tmp/wb/prof-cupti && tar czf $R/traces-decoder-hubert.tgz traces/*decoder* traces/*hubert* 2>/dev/null)
echo "== mixed lmdm ($(date +%T))"
timeout 60 $W optimize $M/ditto/lmdm.onnx -o $V/lmdm.fp16.onnx --fp16 --keep-io-types > $R/lmdm-fp16.log 2>&1
timeout 150 $W optimize $M/ditto/lmdm.onnx -o $V/lmdm.mixed.onnx --mixed auto --mixed-ep cuda --max-error 0.01 --keep-io-types --report $R/mixed-lmdm.json > $R/lmdm-mixed.log 2>&1
echo "mixed exit $?"; tail -12 $R/lmdm-mixed.log
timeout 90 $W compare $M/ditto/lmdm.onnx $V/lmdm.fp16.onnx $V/lmdm.mixed.onnx --ep cuda --runs 30 --label fp32 fp16 mixed-1e-2 --json $R/compare-lmdm.json 2>/dev/null
echo "== device peaks ($(date +%T))"
timeout 120 $W device-peaks --ep cuda --out $R/peaks-h100.json > $R/peaks.log 2>&1; tail -8 $R/peaks.log
echo "== workers ($(date +%T))"
for n in 1 2 4 8; do
  timeout 150 $W run --manifest $M/manifest.json --ep cuda --text "Hello, I am your avatar. Nice to meet you." --steps 25 --workers $n --out /tmp/wb/w$n --stage-timeout 60000 > $R/workers-$n.log 2>&1
  echo "workers $n exit $?"; tail -4 $R/workers-$n.log; cp /tmp/wb/w$n/workers.json $R/workers-$n.json 2>/dev/null; cp /tmp/wb/w$n/run.json $R/run-w$n.json 2>/dev/null
done
du -sh $R
