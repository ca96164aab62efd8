#!/usr/bin/env bash
# Builds the GPU bundle of an earlier commit into .gpubundle-<name>/ (git-ignored), for a same-machine control:
# a job runs the same sweep on this bundle and on the current one (e.g. phase-h200-round8b.sh old). The commit is
# checked out in a temporary worktree that shares this checkout's node_modules; its own native addon is built
# there (a different addon may belong to it).
#
#   bash scripts/gpu/bundle-at.sh e8fa80f r8a     # → .gpubundle-r8a/
set -euo pipefail
cd "$(dirname "$0")/../.."
commit=${1:?usage: bundle-at.sh <commit> <name>}
name=${2:?usage: bundle-at.sh <commit> <name>}
root=$(pwd)
tmp=$(mktemp -d /tmp/wb-bundle-at-XXXXXX)
cleanup() { git -C "$root" worktree remove --force "$tmp" >/dev/null 2>&1 || rm -rf "$tmp"; }
trap cleanup EXIT
git worktree add --detach "$tmp" "$commit" >/dev/null
ln -s "$root/node_modules" "$tmp/node_modules"
(cd "$tmp" && node scripts/native/build-ort-node.mjs --strict >/dev/null && bash scripts/gpu/bundle.sh >/dev/null)
rm -rf ".gpubundle-$name" && cp -r "$tmp/.gpubundle" ".gpubundle-$name"
# Only the CLI, its worker and the addon are needed for a sweep.
rm -f ".gpubundle-$name"/bench.mjs ".gpubundle-$name"/native-calls.mjs ".gpubundle-$name"/render-calls.mjs
echo "bundle of $(git rev-parse --short "$commit") in .gpubundle-$name ($(du -sh ".gpubundle-$name" | cut -f1))"
