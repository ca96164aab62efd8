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
cp scripts/gpu/*.sh scripts/gpu/*.py scripts/gpu/*.mjs .gpubundle/
du -sh .gpubundle
