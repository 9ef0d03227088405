#!/usr/bin/env bash
# Data-parallel scaling: the same training work (the reference CNN on the bundled MNIST sample,
# one epoch of PAIRS pairs, a global batch of 128) in one process with one thread, then under
# `mpirun -np RANKS` with one thread per rank (batch 128/RANKS each), alternately for ROUNDS
# rounds. Prints the medians of the training pairs/s (metrics.jsonl's `pairs_per_s`, validation
# excluded) and the ratio, with the load average before and after.
# Usage: bench/distributed.sh [ROUNDS] (RANKS=2, PAIRS=12800). Needs OpenMPI (mpirun) and
# `cargo build --release --features mpi`.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
ranks=${RANKS:-2}
pairs=${PAIRS:-12800}
cargo build --release --quiet --features mpi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
common=(train --data assets/mnist-sample --pairs-per-epoch "$pairs" --epochs 1 --val-pairs 200 --quiet --seed 42)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  RAYON_NUM_THREADS=1 target/release/twinnet "${common[@]}" --batch-size 128 --out "$out/one-$r" > /dev/null
  mpirun --allow-run-as-root --oversubscribe -np "$ranks" -x RAYON_NUM_THREADS=1 \
    target/release/twinnet "${common[@]}" --batch-size $((128 / ranks)) --distributed mpi --out "$out/many-$r" > /dev/null
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out" "$rounds" "$ranks" <<'PY'
import json, statistics, sys
out, rounds, ranks = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rate = lambda kind: [json.loads(open(f"{out}/{kind}-{r}/metrics.jsonl").readline())["pairs_per_s"] for r in range(1, rounds + 1)]
one, many = rate("one"), rate("many")
print(f"{rounds} alternating rounds; training pairs/s per round: 1 process {[round(x) for x in one]}, {ranks} ranks {[round(x) for x in many]}")
a, b = statistics.median(one), statistics.median(many)
print(f"| 1 process, 1 thread | {ranks} ranks, 1 thread each | ratio |")
print("|---|---|---|")
print(f"| {a:.0f} pairs/s | {b:.0f} pairs/s | {b / a:.2f}× |")
PY
