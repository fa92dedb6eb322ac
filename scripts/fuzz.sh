#!/usr/bin/env bash
#! Coverage-guided fuzzing of what the monitor reads from disk: run files, result files and .npy files
#! (fuzz/entry_points.rs), with cargo-fuzz and libFuzzer. Needs the nightly toolchain (rustup toolchain install nightly);
#! installs cargo-fuzz if it is missing. New interesting inputs are added to fuzz/corpus/<target>/ (commit them:
#! the test suite replays the corpus on stable); a crash stops its target and is saved under fuzz/artifacts/.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 600 s each; targets npy_file run_file result_file)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(npy_file run_file result_file)

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 2
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

for target in "${targets[@]}"; do
  echo "== $target for ${seconds}s"
  mkdir -p "fuzz/corpus/$target"
  # -rss_limit_mb: a forged header that made the reader allocate what it claims would fail here.
  cargo +nightly fuzz run --fuzz-dir fuzz "$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=65536 -print_final_stats=1 2>&1 \
    | tee "target/fuzz-$target.log" | grep -E "^#[0-9]+.*(pulse|DONE)|stat::|ERROR|panicked|SUMMARY" || true
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "fuzz: $target failed: see target/fuzz-$target.log and fuzz/artifacts/$target" >&2; exit 1; }
done
# Keep the corpus small: only inputs that add edge coverage.
for target in "${targets[@]}"; do
  cargo +nightly fuzz cmin --fuzz-dir fuzz "$target" "fuzz/corpus/$target" -- -use_counters=0 >/dev/null 2>&1 || true
done
