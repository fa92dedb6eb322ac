#!/usr/bin/env bash
#! The run explorer's browser benchmark (issue 14): keystroke → list redrawn, and write → visible, in Chromium,
#! on the release monitor over a generated storage.
# Usage: scripts/bench-browser.sh [RUNS]   (default 100000; the storage is generated once into
#        target/bench-browser/runs-RUNS by `asgard bench --generate-only`, ~3 minutes and 3 GB at 100,000)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-100000}"
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
bash scripts/build-release.sh
dir="$PWD/target/bench-browser"
if [ ! -d "$dir/runs-$runs" ]; then
  target/release/asgard bench --size full --runs "$runs" --dir "$dir" --generate-only
fi
cd end2end
ASGARD_BENCH_STORAGE="$dir/runs-$runs" npx playwright test -c bench.config.ts
