#!/usr/bin/env bash
# Time to 99 % test-pair accuracy on full MNIST, twinnet's default recipe vs the same recipe in
# PyTorch (bench/pytorch_mnist.py). twinnet trains one epoch at a time (--resume) and is
# evaluated on 10,000 test pairs after each; only training seconds are counted on both sides
# (twinnet's `train_seconds` in metrics.jsonl, the peer's loop time; validation excluded).
# Usage: bench/time-to-accuracy.sh [DATA_DIR] [EPOCHS]. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-data/mnist}; epochs=${2:-8}
out=$(mktemp -d)
cargo build --release --quiet
for e in $(seq "$epochs"); do
  flags=(); [ "$e" -gt 1 ] && flags=(--resume)
  target/release/twinnet train --data "$data" --out "$out/m" --epochs "$e" --quiet --json "${flags[@]}" > /dev/null
  acc=$(target/release/twinnet eval --model "$out/m" --data "$data" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])')
  secs=$(python3 -c "import json; print(sum(json.loads(l)['train_seconds'] for l in open('$out/m/metrics.jsonl')))")
  echo "{\"twinnet\": true, \"epoch\": $e, \"train_seconds\": $secs, \"test_accuracy\": $acc}"
done
py=$(bash "${PEERS:-../shared/peers}/setup-venv.sh")
THREADS=${THREADS:-2} "$py" bench/pytorch_mnist.py "$data" "$epochs"
