#!/usr/bin/env bash
#! Runs every check and test: formatting, lints, unit and integration tests, and the browser tests.
# Usage: scripts/test.sh   (installs what is missing first; see scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "formatting"
cargo fmt --check

step "lints (server and browser builds)"
cargo clippy --features ssr --all-targets -- -D warnings
cargo clippy --features hydrate --lib --target wasm32-unknown-unknown -- -D warnings

step "unit and integration tests"
cargo leptos test

step "Python writer (pytest; the cross-language round trip uses target/debug/asgard, built by the tests above)"
ASGARD_BIN="$PWD/target/debug/asgard" .venv/bin/pytest -q clients/python

step "benchmark, smoke size (keeps it working; figures come from scripts/bench.sh)"
target/debug/asgard bench --size smoke

step "the self-contained release binary and the wheel (scripts/wheel.sh)"
bash scripts/wheel.sh

step "browser tests: the release binary copied alone into an empty directory, in Chromium"
alone="$(mktemp -d)"
trap 'rm -rf "$alone"' EXIT
cp target/release/asgard "$alone/"
(cd end2end && ASGARD_STANDALONE=1 ASGARD_BIN="$alone/asgard" npx playwright test)

step "the wheel where no Rust is: a new venv and a uv project run the seed's commands (ports 8000, 8080)"
ASGARD_WHEEL="$(ls dist/asgard_monitor-*.whl)" ASGARD_UV="$PWD/.venv/bin/uv" .venv/bin/pytest -q tests/wheel
