#!/usr/bin/env bash
# GPU phase for the FP16 warp network (issue 15): does the fixed fp16 pass keep every node of the full-scale
# warp on the CUDA EP, and how fast is it next to FP32? About 2-3 minutes on an H200:
#   1. the full-scale reference set (~30 s; `models build` has no per-role option);
#   2. three FP16 variants of warp_network.onnx, each followed by optimize's placement check on CUDA:
#      - warp16.onnx           the fixed pass (grid chain float32: both GridSample inputs float32);
#      - warp16-castonly.onnx  --no-grid-chain (grid computed in float16, cast to float32 before GridSample);
#      - warp16-gs16.onnx      GridSample converted too (negative control: ORT has no float16 CUDA GridSample,
#                              so the check must name both GridSamples);
#   3. `profile --ep cuda` of warp16.onnx: every node's provider (placement.json);
#   4. `compare --ep cuda`: FP32 vs the FP16 variants in one process (latency ratios, output error).
# Writes under $OUT/res: optimize-*.json (the per-pass placement check), placement.json, profile-warp16.txt,
# compare.json / compare.txt, gpu.csv and logs.
# Dry run on a CPU machine: OUT=tmp/out EP=cpu SCALE=tiny WB="node bin/workbench.js" bash scripts/gpu/phase-fp16-warp.sh
set -uo pipefail
W=${WB:-node .gpubundle/workbench.mjs}; EP=${EP:-cuda}; SCALE=${SCALE:-full}
R=$OUT/res; mkdir -p $R
M=/tmp/wb/models/$SCALE; V=/tmp/wb/fp16warp; mkdir -p $V
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv > $R/gpu.csv 2>&1; cat $R/gpu.csv
echo "== build ($(date +%T))"
$W models build --scale $SCALE --out $M > $R/build.log 2>&1 || { echo build failed; tail $R/build.log; exit 1; }
WARP=$M/ditto/warp_network.onnx
echo "== fp16 variants + placement check ($(date +%T))"
opt() { # name, extra flags...
  local name=$1; shift
  timeout 120 $W optimize $WARP -o $V/$name.onnx --fp16 --keep-io-types --target-ep $EP --json "$@" > $R/optimize-$name.json 2> $R/optimize-$name.err
  echo "$name: exit $? $(node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));for(const p of s.placement)console.log(p.pass,p.status,p.nodes,"nodes;",p.offEp.filter(n=>n.kind!=="shape").map(n=>n.name+"@"+n.provider).join(", ")||"none off EP")' $R/optimize-$name.json 2>&1)"
}
opt warp16
opt warp16-castonly --no-grid-chain
BL=$(node -e 'console.log(["Range","CumSum","TopK","NonMaxSuppression","RoiAlign","RandomNormal","RandomNormalLike","RandomUniform","RandomUniformLike","Multinomial","Bernoulli","QuantizeLinear","DequantizeLinear","DynamicQuantizeLinear"].join(","))')
opt warp16-gs16 --op-block-list "$BL"
echo "== profile warp16 ($(date +%T))"
timeout 150 $W profile $V/warp16.onnx --ep $EP --runs 20 --warmup 5 --out /tmp/wb/prof-warp16 --no-html --top 10 > $R/profile-warp16.txt 2>&1
echo "profile exit $?"; grep -E "cpu fallback|end-to-end" $R/profile-warp16.txt
node -e '
const fs=require("fs");const p=JSON.parse(fs.readFileSync("/tmp/wb/prof-warp16/profile.json","utf8"));const r=p.roles[0];
const nodes=r.nodes.map(n=>({name:n.name,opType:n.opType,provider:n.provider}));
const want=process.argv[2]==="cpu"?"CPUExecutionProvider":"CUDAExecutionProvider";
const off=nodes.filter(n=>n.provider!==want&&!/^Memcpy/.test(n.opType));
fs.writeFileSync(process.argv[1],JSON.stringify({model:"warp16.onnx",device:p.device,endToEnd:r.endToEnd,nodes:nodes.length,offEp:off,placement:nodes},null,1));
console.log(`placement: ${nodes.length} nodes, ${off.length} off ${want}${off.length?": "+off.map(n=>n.name+" ("+n.opType+"@"+n.provider+")").join(", "):""}`);' $R/placement.json $EP
echo "== compare FP32 vs FP16 ($(date +%T))"
timeout 150 $W compare $WARP $V/warp16.onnx $V/warp16-castonly.onnx $V/warp16-gs16.onnx --ep $EP --runs 50 --warmup 10 \
  --label fp32 fp16 fp16-castonly fp16-gridsample16 --json $R/compare.json > $R/compare.txt 2>&1
echo "compare exit $?"; cat $R/compare.txt | tail -12
echo "== done ($(date +%T))"
