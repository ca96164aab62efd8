#!/usr/bin/env bash
# Builds what runs on the GPU machine into .gpubundle/ (git-ignored, a few MB): the CLI as one ESM file,
# the runner's worker entry beside it, and the GPU job scripts. onnxruntime-node stays external: on the GPU
# machine `wb-link-ort` links the installed copy into ./node_modules.
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .gpubundle && mkdir -p .gpubundle
node scripts/bundle.mjs src/cli/entry.ts .gpubundle/workbench.mjs
node scripts/bundle.mjs src/runner/worker-entry.ts .gpubundle/worker-entry.js
node scripts/bundle.mjs bench/run.ts .gpubundle/bench.mjs
node scripts/bundle.mjs scripts/gpu/native-calls.ts .gpubundle/native-calls.mjs
node scripts/bundle.mjs scripts/gpu/render-calls.ts .gpubundle/render-calls.mjs
cp scripts/gpu/*.sh scripts/gpu/*.py scripts/gpu/*.mjs .gpubundle/
# The native backend's addon, prebuilt here (the GPU machine has no Node toolchain): it needs only Node's N-API
# and glibc >= 2.34 / libstdc++ with GLIBCXX_3.4.29 (gcc 11+) there; it dlopens onnxruntime-node's
# libonnxruntime.so.1 (linked into node_modules by wb-link-ort) and finds it beside workbench.mjs.
addon=native/ort-node/build/Release/ort_node.node
[ -f $addon ] || node scripts/native/build-ort-node.mjs --strict
cp $addon .gpubundle/ort_node.node
echo "addon needs: $(objdump -T .gpubundle/ort_node.node | grep -oE 'GLIBC_[0-9.]+' | sort -uV | tail -n 1) $(objdump -T .gpubundle/ort_node.node | grep -oE 'GLIBCXX_[0-9.]+' | sort -uV | tail -n 1)"
du -sh .gpubundle
