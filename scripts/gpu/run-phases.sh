#!/usr/bin/env bash
# Runs several GPU phases in one device call and packs each one's $OUT/res into $OUT/<phase>.tgz (the device
# tool returns at most 8 files). Usage: bash scripts/gpu/run-phases.sh phase-a phase-b ...
set -uo pipefail
FINAL=$OUT
for p in "$@"; do
  echo "######## $p ($(date +%T))"
  export OUT=/tmp/wb-out/$p; rm -rf $OUT; mkdir -p $OUT
  bash .gpubundle/$p.sh 2>&1 | tee $OUT/console.log | tail -60
  tar czf $FINAL/$p.tgz -C $OUT . ; ls -la $FINAL/$p.tgz
done
