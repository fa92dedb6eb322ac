#!/usr/bin/env bash
#! A bounded load test on loopback with oha (installed with cargo if missing): the release monitor on a generated
#! storage of 10,000 runs, 500 live-update streams held open throughout, results written into a run meanwhile,
#! and oha on /api/runs, a page of it, /api/run and the run page. Prints one line per scenario (requests, errors,
#! latencies) and what the streams received. Requests go only to 127.0.0.1; every loop is bounded in count and time.
# Usage: scripts/load.sh [RUNS]   (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
runs="${1:-10000}"
dir="${LOAD_DIR:-${TMPDIR:-/tmp}/asgard-load}"
command -v oha >/dev/null || cargo install oha --version 1.16.0 --locked

bash scripts/build-release.sh
rm -rf "$dir" && mkdir -p "$dir"
line=$(target/release/asgard bench --generate-only --runs "$runs" --dir "$dir")
storage=$(sed -E 's/^workload in ([^:]+):.*/\1/' <<<"$line")
page_run=$(sed -E 's/.*page run ([0-9a-f-]+).*/\1/' <<<"$line")

RUST_LOG=warn target/release/asgard monitor --storage "$storage" --port 0 > "$dir/monitor.log" 2>&1 &
monitor=$!
trap 'kill $monitor 2>/dev/null || true' EXIT
for _ in $(seq 100); do url=$(grep -oE 'http://[0-9.:a-z]+' "$dir/monitor.log" || true); [ -n "$url" ] && break; sleep 0.2; done
[ -n "$url" ] || { echo "the monitor did not start" >&2; exit 1; }
url="${url/localhost/127.0.0.1}"
case "$url" in http://127.0.0.1:*) ;; *) echo "refusing to load anything but 127.0.0.1: $url" >&2; exit 1 ;; esac

# 500 streams for the whole test (bounded: 150 s), and results written into the page run meanwhile.
(cd end2end && node perf/sse-clients.mjs "$url" 500 150 > "$dir/sse.json") &
sse=$!
sleep 5
target/release/asgard append --storage "$storage" --into "$page_run" --count 100 --interval-ms 1000 > /dev/null &
writer=$!

load() { # name, concurrency, requests, path, file
  oha --no-tui --output-format json -H "Accept-Encoding: gzip" -c "$2" -n "$3" -t 10s "$url$4" > "$dir/load-$5.json"
  python3 - "$1" "$dir/load-$5.json" <<'PY'
import json, sys
name, r = sys.argv[1], json.load(open(sys.argv[2]))
s, p = r["summary"], r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
errors = sum(v for k, v in codes.items() if k != "200") + sum(r.get("errorDistribution", {}).values())
ms = lambda v: f"{v * 1000:.1f} ms" if v is not None else "-"
total = sum(codes.values()) + sum(r.get("errorDistribution", {}).values())
print(f"| {name} | {total} | {errors} | {s['requestsPerSec']:.0f}/s | {ms(p['p50'])} | {ms(p['p99'])} | {ms(s['slowest'])} |")
PY
}
echo "| scenario | requests | errors | throughput | p50 | p99 | slowest |"
echo "|---|---|---|---|---|---|---|"
load "/api/runs (10k runs), 32 clients" 32 3200 "/api/runs" runs
load "/api/runs?limit=100, 32 clients" 32 10000 "/api/runs?limit=100" page
load "/api/run (50 results), 16 clients" 16 2000 "/api/run?id=$page_run" run
load "run page (50 results), 16 clients" 16 2000 "/run/$page_run" page-html
wait $writer
wait $sse
python3 - "$dir/sse.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"| 500 SSE streams held through all of the above | {r['ready']}/{r['clients']} connected, {r['open_at_end']} still open at the end | {r['errors']} errors | events per stream {r['events_min']}–{r['events_max']} | | | |")
PY
