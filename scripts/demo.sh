#!/usr/bin/env bash
#! Builds the monitor (release), then runs every built-in example simulation into ./demo-storage while the
#! dashboard serves them live at http://localhost:8000, and keeps serving until Ctrl-C.
# Usage: scripts/demo.sh [--port N]   (installs the build tools first if missing: `scripts/setup.sh build`)
set -euo pipefail
cd "$(dirname "$0")/.."

# The self-contained release binary (its front end inside it).
bash scripts/build-release.sh
# The first time, the examples run into the storage with the dashboard open; after that it only serves.
if [ ! -d demo-storage/runs ] || [ -z "$(ls -A demo-storage/runs 2>/dev/null)" ]; then
  exec target/release/asgard example --all --monitor --storage demo-storage --pause-ms 500 "$@"
fi
exec target/release/asgard monitor --storage demo-storage "$@"
