#!/usr/bin/env bash
#! The compare page's browser benchmark (issue 15): navigation → every run's curve drawn on one overlay, for 10
#! and 50 runs of a 10⁶-point Solution1D each, and four 1024² Solution2D on one scale with their difference maps,
#! in Chromium on the release monitor.
# Usage: scripts/bench-compare.sh   (the storage, 54 runs and ~830 MB, is written once into
#        target/bench-compare by the Python writer)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
bash scripts/build-release.sh
dir="$PWD/target/bench-compare"
if [ ! -f "$dir/.complete" ]; then
  rm -rf "$dir"
  .venv/bin/python - "$dir" <<'PY'
import sys
import numpy as np
from asgard_storage import AsgardStorage

storage = AsgardStorage(sys.argv[1])
x = np.linspace(0.0, 1.0, 1_000_000)
rng = np.random.default_rng(15)
for k in range(50):
    run = storage.create_run(f"overlay k={k}")
    storage.set_metadata(run.id, "k", k)
    storage.set_metadata(run.id, "bench", "compare")
    computed = np.sin(8 * x) * (1 + 0.01 * k) + 1e-3 * rng.standard_normal(x.size)
    storage.add_result(run.id, "Solution1D", {"x": x, "computed": computed}, {"title": "u"})
    storage.set_status(run.id, "completed")
# Four 1024² fields, each the first plus a shift: one colour scale and three difference maps.
g = np.linspace(0.0, 1.0, 1024)
base = np.sin(6 * g)[None, :] * np.cos(4 * g)[:, None]
for k in range(4):
    run = storage.create_run(f"field k={k}")
    storage.set_metadata(run.id, "k", k)
    storage.set_metadata(run.id, "bench", "fields")
    storage.add_result(run.id, "Solution2D", {"values": base + 0.1 * k}, {"title": "T"})
    storage.set_status(run.id, "completed")
PY
  touch "$dir/.complete"
fi
cd end2end
ASGARD_BENCH_STORAGE="$dir" npx playwright test -c bench.config.ts compare
