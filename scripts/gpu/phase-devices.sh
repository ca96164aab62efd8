#!/usr/bin/env bash
# GPU phase: `sweep --devices 0,1` on a 2-GPU host (kind nvidia-h200-x2; issue 18). On the tiny reference set,
# the same 6-variant sweep once on one device and once with --devices 0,1, while nvidia-smi is sampled every
# 0.5 s for the processes on each GPU. Checks (check.txt, "ok" or "FAIL" per line): same ids in the same
# order, every result ok, each --devices result names a device, both GPUs ran a worker process of the sweep,
# quality figures per variant vs the one-device sweep (max relative difference, reported: cuDNN may pick other
# algorithms per device), and the wall time of both sweeps. Writes under $OUT/res: both results.jsonl, the
# spec, both sweep logs, the nvidia-smi samples, check.txt.
set -uo pipefail
W="node .gpubundle/workbench.mjs"
R=$OUT/res; mkdir -p $R
T=/tmp/wb/models/tiny
[ -f $T/manifest.json ] || $W models build --scale tiny --out $T > $R/build.log 2>&1
nvidia-smi --query-gpu=index,uuid,name --format=csv,noheader | tee $R/gpus.txt
cat > /tmp/wb/sweep-devices.json <<JSON
{ "schemaVersion": 1, "name": "devices", "manifest": "$T/manifest.json", "steps": 4, "repeats": 2, "seed": 1,
  "text": "Hello there, this is a short test.",
  "variants": [
    { "name": "fp16", "precision": { "*": "fp16" } },
    { "name": "decoder-fp16", "precision": { "decoder": "fp16" } },
    { "name": "res-96", "resolution": 96 },
    { "name": "steps-2", "steps": 2 },
    { "name": "gpt-wo8", "precision": { "gpt_decode": "wo8" } }
  ] }
JSON
cp /tmp/wb/sweep-devices.json $R/
echo "== one device ($(date +%T))"
s0=$(date +%s%N)
timeout ${SWEEP_TIMEOUT:-400} $W sweep /tmp/wb/sweep-devices.json --ep cuda --out /tmp/wb/dev-one --cache-dir /tmp/wb/cache-devices --no-report > $R/sweep-one.log 2>&1
echo "exit $? wall $(( ($(date +%s%N) - s0) / 1000000 )) ms" | tee $R/wall-one.txt
echo "== --devices 0,1 ($(date +%T))"
( while true; do nvidia-smi --query-compute-apps=pid,gpu_uuid,used_memory --format=csv,noheader >> $R/compute-apps.txt 2>/dev/null; sleep 0.5; done ) &
SAMPLER=$!
s1=$(date +%s%N)
timeout ${SWEEP_TIMEOUT:-400} $W sweep /tmp/wb/sweep-devices.json --ep cuda --devices 0,1 --out /tmp/wb/dev-two --cache-dir /tmp/wb/cache-devices --no-report > $R/sweep-two.log 2>&1
echo "exit $? wall $(( ($(date +%s%N) - s1) / 1000000 )) ms" | tee $R/wall-two.txt
kill $SAMPLER 2>/dev/null
cp /tmp/wb/dev-one/results.jsonl $R/results-one.jsonl 2>/dev/null
cp /tmp/wb/dev-two/results.jsonl $R/results-two.jsonl 2>/dev/null
node -e '
const fs = require("fs");
const R = process.env.OUT + "/res";
const read = (f) => fs.existsSync(f) ? fs.readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
const one = read(R + "/results-one.jsonl"), two = read(R + "/results-two.jsonl");
const out = [];
const ok = (c, msg) => out.push(`${c ? "ok" : "FAIL"} ${msg}`);
ok(one.length === 6 && two.length === 6, `6 results each (one ${one.length}, two ${two.length})`);
ok(JSON.stringify(one.map((r) => r.id)) === JSON.stringify(two.map((r) => r.id)), "same ids in the same order");
ok([...one, ...two].every((r) => r.status === "ok"), "every result ok " + [...one, ...two].filter((r) => r.status !== "ok").map((r) => `${r.name}: ${r.error}`).join("; "));
ok(two.every((r) => r.env?.deviceId === 0 || r.env?.deviceId === 1), "each --devices result names device 0 or 1: " + two.map((r) => `${r.name}@${r.env?.deviceId}`).join(" "));
const pids = [...fs.readFileSync(R + "/sweep-two.log", "utf8").matchAll(/device (\d+): worker pid (\d+)/g)].map((m) => ({ device: +m[1], pid: m[2] }));
const uuids = Object.fromEntries(fs.readFileSync(R + "/gpus.txt", "utf8").split("\n").filter(Boolean).map((l) => l.split(",").map((x) => x.trim())).map(([i, u]) => [u, +i]));
const apps = fs.existsSync(R + "/compute-apps.txt") ? fs.readFileSync(R + "/compute-apps.txt", "utf8").split("\n").filter(Boolean).map((l) => l.split(",").map((x) => x.trim())) : [];
for (const p of pids) {
  const seen = [...new Set(apps.filter((a) => a[0] === p.pid).map((a) => uuids[a[1]]))];
  ok(seen.length === 1 && seen[0] === p.device, `worker of device ${p.device} (pid ${p.pid}) seen on GPU ${JSON.stringify(seen)}`);
}
ok(pids.length === 2, `two worker pids logged (${pids.length})`);
const keys = ["framePsnrMean", "ssimMean", "audioSnr", "logMelDistance", "motionError"];
for (let i = 1; i < Math.min(one.length, two.length); i++) {
  const a = one[i].metrics?.quality ?? {}, b = two[i].metrics?.quality ?? {};
  const rel = Math.max(0, ...keys.filter((k) => a[k] !== undefined).map((k) => Math.abs(a[k] - b[k]) / Math.max(1e-9, Math.abs(a[k]))));
  out.push(`${two[i].name} device ${two[i].env?.deviceId}: quality max rel diff vs one device ${rel.toExponential(2)}; rtf one ${one[i].metrics?.rtf?.toFixed(4)} two ${two[i].metrics?.rtf?.toFixed(4)}`);
}
out.push("wall one: " + fs.readFileSync(R + "/wall-one.txt", "utf8").trim() + "; --devices 0,1: " + fs.readFileSync(R + "/wall-two.txt", "utf8").trim());
fs.writeFileSync(R + "/check.txt", out.join("\n") + "\n");
console.log(out.join("\n"));
'
echo "== done ($(date +%T))"
