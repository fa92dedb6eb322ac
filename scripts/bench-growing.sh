#!/usr/bin/env bash
#! Growing results' browser benchmark (issue 18): an append by another process → the point drawn on an open page,
#! and one writer at 10,000 steps a second for a minute while 50 pages watch (events, server CPU, traffic), in
#! Chromium on the release monitor over a fresh storage.
# Usage: scripts/bench-growing.sh   (ASGARD_BENCH_SECONDS=N shortens the minute)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
bash scripts/build-release.sh
dir="$PWD/target/bench-growing"
rm -rf "$dir"
mkdir -p "$dir"
target/release/asgard dump --storage "$dir" > /dev/null   # lays the storage out
cd end2end
ASGARD_BENCH_STORAGE="$dir" npx playwright test -c bench.config.ts growing
