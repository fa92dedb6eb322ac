#!/usr/bin/env bash
#! Builds the monitor, writes sample results into ./demo-storage and serves them at http://localhost:8000.
# Usage: scripts/demo.sh [--port N]   (installs what is missing first; see scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"

cargo leptos build --release
if [ ! -d demo-storage/runs ] || [ -z "$(ls -A demo-storage/runs 2>/dev/null)" ]; then
  target/release/asgard demo --storage demo-storage
fi
exec target/release/asgard monitor --storage demo-storage "$@"
