#!/usr/bin/env bash
#! The object-storage benchmark (issue 16): cold starts and idle requests on a bucket modelled in memory with
#! 25 ms per request, then, against a real S3-compatible server (moto on loopback, started here), a write's delay
#! to the SSE event with a 200 ms poll and 16 writer processes (8 Rust, 8 Python) whose every result must reach
#! the monitor exactly once. Prints the table that BENCHMARKS.md records.
# Usage: scripts/bench-s3.sh [full|smoke]   (default full: 10,000 and 100,000 modelled runs; ~5 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"

size="${1:-full}"
bash scripts/build-release.sh
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/moto_server -H 127.0.0.1 -p "$port" > /dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
until .venv/bin/python -c "import http.client as h; c = h.HTTPConnection('127.0.0.1', $port); c.request('PUT', '/asgard-bench', body=b''); assert c.getresponse().status == 200" 2>/dev/null; do
  sleep 0.2
done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ALLOW_HTTP=true AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench \
  AWS_REGION=us-east-1 ASGARD_PYTHON="$PWD/.venv/bin/python"
target/release/asgard bench --object-storage --size "$size" --bucket s3://asgard-bench/runs
