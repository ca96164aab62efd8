#!/usr/bin/env bash
# GPU phase (issue 15): the whole pipeline, warm, under both runtime backends, on the full-scale reference set.
# Sweep 1 (sweep-native, repeats 2): FP32 baseline and the best path so far (FP32, vocoder buckets of 128,
#   decode loop), each on node and on native; plus native with HEURISTIC + prefer_nhwc for every role.
#   Output-unchanged check (check.txt): every variant's audio SNR / frame PSNR / SSIM against the node baseline
#   (identical = Infinity; cuDNN's per-session algorithm choice can differ, so "within tolerance" is printed too).
# Sweep 2 (sweep-native-conc, repeats 1): concurrency on the best path with --overlap, workers 1 / 4 / 8, on
#   both backends: throughput (audio s per s) and device memory per worker from the worker pool (workers.json).
# Writes under $OUT/res/{sweep-native,sweep-native-conc}: results.jsonl, the spec, every run.json (+ workers.json),
# check.txt. Expected: ~6-7 min (sweep 1 ~3-4 min, sweep 2 ~3 min); each sweep is resumable: if one times out,
# run the script again on the same machine and it continues. ONLY_CONC=1 runs sweep 2 alone.
# Run: bash .gpu/install.sh && . /opt/wb/env.sh && wb-link-ort && bash .gpubundle/phase-native-pipeline.sh
set -uo pipefail
. .gpubundle/sweep-job.sh
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
TEXT="Hello, I am your realtime avatar, and this is how I speak."
BEST='"vocoderBucket": 128, "decodeLoop": true'
cat > /tmp/wb/sweep-native.json <<JSON
{ "schemaVersion": 1, "name": "h200-native", "manifest": "$M/manifest.json", "steps": 50, "repeats": ${REPEATS:-2}, "warmup": true, "seed": 1,
  "text": "$TEXT",
  "variants": [
    { "name": "fp32 native", "backend": "native" },
    { "name": "best node", $BEST },
    { "name": "best native", $BEST, "backend": "native" },
    { "name": "best native heuristic+nhwc", $BEST, "backend": "native", "providerOptions": { "*": { "cudnn_conv_algo_search": "HEURISTIC", "prefer_nhwc": "1" } } }
  ] }
JSON
cat > /tmp/wb/sweep-native-conc.json <<JSON
{ "schemaVersion": 1, "name": "h200-native-conc", "manifest": "$M/manifest.json", "steps": 50, "repeats": 1, "warmup": true, "seed": 1,
  "text": "$TEXT",
  "variants": [
    { "name": "best node overlap w1", $BEST, "overlap": true },
    { "name": "best native overlap w1", $BEST, "overlap": true, "backend": "native" },
    { "name": "best node overlap w4", $BEST, "overlap": true, "workers": 4 },
    { "name": "best native overlap w4", $BEST, "overlap": true, "workers": 4, "backend": "native" },
    { "name": "best node overlap w8", $BEST, "overlap": true, "workers": 8 },
    { "name": "best native overlap w8", $BEST, "overlap": true, "workers": 8, "backend": "native" }
  ] }
JSON
sweep() {
  local name=$1 budget=$2
  local RESUME=""; [ -f /tmp/wb/$name/results.jsonl ] && RESUME="--resume"
  echo "== sweep $name $RESUME ($(date +%T))"
  timeout $budget $W sweep /tmp/wb/$name.json $RESUME --ep cuda --out /tmp/wb/$name --cache-dir /tmp/wb/cache-native --no-report > $R/$name.log 2>&1
  echo "sweep exit $?"; tail -6 $R/$name.log
  mkdir -p $R/$name; cp /tmp/wb/$name/results.jsonl /tmp/wb/$name.json $R/$name/ 2>/dev/null
  for d in /tmp/wb/$name/runs/*/; do local id=$(basename $d); mkdir -p $R/$name/runs/$id; cp $d/run.json $d/workers.json $R/$name/runs/$id/ 2>/dev/null; done
}
[ "${ONLY_CONC:-0}" = 1 ] || sweep sweep-native ${SWEEP1_TIMEOUT:-240}
sweep sweep-native-conc ${SWEEP2_TIMEOUT:-200}
node -e '
const fs = require("fs");
const out = [];
for (const name of ["sweep-native", "sweep-native-conc"]) {
  const f = `/tmp/wb/${name}/results.jsonl`;
  if (!fs.existsSync(f)) { out.push(`${name}: no results`); continue; }
  for (const line of fs.readFileSync(f, "utf8").split("\n").filter(Boolean)) {
    const r = JSON.parse(line); const m = r.metrics ?? {}; const q = m.quality ?? {};
    if (r.status !== "ok") { out.push(`FAIL ${name} ${r.name}: ${r.error}`); continue; }
    const same = r.baseline || (q.audioSnr === null || q.audioSnr === undefined ? false : !Number.isFinite(q.audioSnr) && !Number.isFinite(q.framePsnrMean));
    const asked = r.settings?.backend ?? "node", served = m.settings?.backend ?? "?";
    const w = (m.workers ?? []).map((x) => `w${x.workers}: ${x.throughput?.toFixed?.(3)} audio-s/s, rtf ${x.rtf?.toFixed?.(3)}`).join("; ");
    out.push(`${name} | ${r.name} | backend ${asked}->${served} | rtf ${m.rtf?.toFixed?.(4)} | audio ${m.audioSeconds?.toFixed?.(2)} s | snr ${q.audioSnr} dB psnr ${q.framePsnrMean} ssim ${q.ssimMean} | ${r.baseline ? "baseline" : same ? "IDENTICAL" : "differs (see quality)"} | gpu ${m.memory?.gpuBytes} B${w ? " | " + w : ""}`);
  }
}
fs.writeFileSync(process.env.OUT + "/res/check.txt", out.join("\n") + "\n"); console.log(out.join("\n"));
'
echo "== done ($(date +%T))"
