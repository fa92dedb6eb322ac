#!/usr/bin/env bash
#! Builds the self-contained release binary: target/release/asgard, with the release front end (WASM, JS, CSS,
#! public files and their gzip and brotli copies) built into it (see build.rs). Copy it anywhere and run it.
# Usage: scripts/build-release.sh   (installs the build tools first if missing: `scripts/setup.sh build`; may be
# `source`d: it also exports the settings maturin's build must share)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$here/end2end/node_modules/.bin:$PATH"
bash "$here/scripts/setup.sh" build

# The settings cargo-leptos builds the server with. Leptos reads LEPTOS_OUTPUT_NAME when it is compiled (without
# it a page asks for `asgard_bg.wasm`); with the same settings exported, a later `maturin build` finds the binary
# built and compiles nothing again.
export LEPTOS_OUTPUT_NAME=asgard LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
  LEPTOS_SITE_ADDR=127.0.0.1:8000 LEPTOS_RELOAD_PORT=8001 LEPTOS_LIB_DIR=. LEPTOS_BIN_DIR=. \
  LEPTOS_JS_MINIFY=true LEPTOS_HASH_FILES=false

# --precompress: the front end first, its gzip and brotli copies, then the server, which embeds them.
(cd "$here" && cargo leptos build --release --precompress)
