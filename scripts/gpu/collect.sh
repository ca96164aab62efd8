#!/usr/bin/env bash
# Packs $OUT/res into one archive (the transfer returns at most 8 files).
cd "$OUT" && tar czf results.tgz res && rm -rf res && ls -la "$OUT"
