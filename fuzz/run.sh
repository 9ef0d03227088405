#!/usr/bin/env bash
# Runs every fuzz target for up to SECONDS seconds or RUNS executions, whichever comes first
# (defaults: 600 s, 1,000,000 runs), and prints one line per target: executions, seconds,
# corpus size and crashes found (saved under fuzz/artifacts/<target>/).
#
#   fuzz/run.sh [SECONDS] [TARGET...]        e.g. fuzz/run.sh 60 idx image
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Builds into the
# workspace's target directory (target/fuzz), so it never rebuilds what CI builds. Each target
# starts from fuzz/seeds/<target> (committed) plus its working corpus fuzz/corpus/<target>
# (not committed); a crash input worth keeping goes to fuzz/regressions/<target>/, which
# `cargo test` replays (crates/twinnet/tests/fuzz_corpus.rs).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-600}
shift || true
RUNS=${RUNS:-1000000}
TARGET_DIR=$(cd .. && pwd)/target/fuzz
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi
cargo +nightly fuzz build --target-dir "$TARGET_DIR"
printf '%-14s %12s %8s %8s %8s\n' target executions seconds corpus crashes
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log="artifacts/$t/last-run.log"
  start=$(date +%s)
  # -fork would use more cores; one process keeps the counts comparable between machines.
  cargo +nightly fuzz run --target-dir "$TARGET_DIR" "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$SECONDS_EACH" -runs="$RUNS" -timeout=10 -rss_limit_mb=4096 \
    -max_len=65536 -print_final_stats=1 >"$log" 2>&1 || true
  secs=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crashes=$(find "artifacts/$t" -type f ! -name last-run.log | wc -l)
  printf '%-14s %12s %8s %8s %8s\n' "$t" "${execs:-?}" "$secs" "$(ls "corpus/$t" | wc -l)" "$crashes"
done
