#!/usr/bin/env bash
#! Installs everything Asgard Monitor needs to build and test, skipping what is already there.
# Idempotent: safe to run on every CI run and on a fresh machine.
# Usage: scripts/setup.sh [build]   (`build`: only what a release build needs — no browser, no Python tools)
set -euo pipefail
what="${1:-all}"

here="$(cd "$(dirname "$0")/.." && pwd)"
WASM_BINDGEN_VERSION="0.2.130"   # must match the `wasm-bindgen = "=..."` pin in Cargo.toml
CARGO_LEPTOS_VERSION="0.3.10"    # 0.3.11 needs rustc 1.96
export PATH="$HOME/.cargo/bin:$here/end2end/node_modules/.bin:$PATH"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 11 minutes)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# wasm-opt (for release builds) comes from the npm package `binaryen` in end2end/, beside Playwright.
if [ -f "$here/end2end/package-lock.json" ] && ! { [ -x "$here/end2end/node_modules/.bin/wasm-opt" ] \
    && [ -x "$here/end2end/node_modules/.bin/playwright" ]; }; then
  say "installing the npm packages (wasm-opt for release builds, Playwright for the browser tests)"
  (cd "$here/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
if [ "$what" = build ]; then
  say "ready to build"
  exit 0
fi

if ! command -v chromium >/dev/null 2>&1; then
  say "installing Chromium for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

# The Python writer's tests: a virtual environment with the pinned test packages and the package itself.
if ! "$here/.venv/bin/python" -c "import asgard_storage, numpy, pytest" 2>/dev/null; then
  say "setting up the Python environment for clients/python"
  python3 -m venv "$here/.venv" 2>/dev/null || {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$here/.venv"
  }
  "$here/.venv/bin/pip" install -q -r "$here/clients/python/requirements-test.txt"
  "$here/.venv/bin/pip" install -q --no-deps -e "$here/clients/python"
fi

# A real S3-compatible server for the object storage tests (moto), and obstore for the Python writer on S3.
if ! { [ -x "$here/.venv/bin/moto_server" ] && "$here/.venv/bin/python" -c "import obstore" 2>/dev/null; }; then
  say "installing moto (an S3-compatible server for the tests) and obstore"
  "$here/.venv/bin/pip" install -q -r "$here/clients/python/requirements-s3.txt"
fi

# The wheel's build tool (maturin) and uv, which the wheel's test runs the seed's `uv run …` commands with.
if ! { [ -x "$here/.venv/bin/maturin" ] && [ -x "$here/.venv/bin/uv" ]; }; then
  say "installing maturin and uv (the wheel and its test)"
  "$here/.venv/bin/pip" install -q -r "$here/scripts/requirements-wheel.txt"
fi

say "ready"
