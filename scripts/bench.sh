#!/usr/bin/env bash
#! The benchmark suite in one command: builds the release binary, generates the workloads, measures every
#! scenario against the real monitor over loopback, then the browser (headless Chromium drawing a run page with a
#! 10⁷-point series) and the WASM bundle's size. Prints the table that BENCHMARKS.md records.
# Usage: scripts/bench.sh [full|smoke]   (default full: about 1.5 GB under $BENCH_DIR, 5 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"

size="${1:-full}"
dir="${BENCH_DIR:-${TMPDIR:-/tmp}/asgard-bench}"
bash scripts/build-release.sh
target/release/asgard bench --size "$size" --dir "$dir" 2> >(tee "$dir.log" >&2)

# The browser: navigation → drawn canvas of the huge Solution1D, on the workload the table was measured on.
line=$(grep "main workload in" "$dir.log")
storage=$(sed -E 's/.*main workload in ([^:]+):.*/\1/' <<<"$line")
run=$(sed -E 's/.*huge run ([0-9a-f-]+).*/\1/' <<<"$line")
result=$(sed -E 's/.*Solution1D ([0-9a-f-]+).*/\1/' <<<"$line")
target/release/asgard monitor --storage "$storage" --port 0 > "$dir.monitor" 2>&1 &
monitor=$!
trap 'kill $monitor 2>/dev/null || true' EXIT
until url=$(grep -oE 'http://[0-9.:]+' "$dir.monitor"); do sleep 0.2; done
browser=$(cd end2end && node perf/huge-series.mjs "$url" "$run" "$result" 5)
points=$(sed -E 's/.*Solution1D [0-9a-f-]+ \(([0-9]+) points\).*/\1/' <<<"$line")
echo "| browser: run page with a ${points}-point Solution1D, navigation → drawn canvas | $browser | < 1.5 s |"
echo "| release WASM bundle, gzip -9 | $(( $(gzip -9 -c target/site/pkg/asgard.wasm | wc -c) / 1024 )) KB | < 800 KB |"
