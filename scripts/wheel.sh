#!/usr/bin/env bash
#! Builds the Python wheel of Asgard Monitor: dist/asgard_monitor-VERSION-py3-none-PLATFORM.whl, holding the
#! `asgard` command (the release binary, its front end built into it) and the storage API (`asgard_storage`,
#! `gimle.asgard.monitor.storage`). Install it anywhere with `pip install dist/asgard_monitor-*.whl`.
# Usage: scripts/wheel.sh   (needs what scripts/setup.sh installs; maturin comes from scripts/requirements-wheel.txt)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"

if ! "$here/.venv/bin/maturin" --version >/dev/null 2>&1; then
  bash scripts/setup.sh
fi

# 1. The self-contained release binary (exporting the settings the wheel's build below must share).
source scripts/build-release.sh
# 2. The wheel around that binary (maturin's `bin` bindings, configured in pyproject.toml); tagged manylinux
#    when the binary qualifies, else for this platform.
rm -f dist/asgard_monitor-*.whl
"$here/.venv/bin/maturin" build --release --out dist
ls -1 dist/asgard_monitor-*.whl
