#!/usr/bin/env bash
# Trains the default CNN on full MNIST with five recipes (same 8-epoch budget) and prints a
# markdown table of test-pair accuracy, ROC AUC and wall time. Needs `twinnet data fetch mnist`.
# Usage: bench/compare-miners.sh [DATA_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-data/mnist}
out=${2:-runs/miners}
bin=target/release/twinnet
cargo build --release --quiet
mkdir -p "$out"
declare -A recipes=(
  [contrastive-random]="--loss contrastive"
  [contrastive-online]="--loss contrastive --sampler pk --classes-per-batch 8 --per-class 16 --miner hard-pairs"
  [triplet-batch-all]="--loss triplet --sampler pk --classes-per-batch 8 --per-class 16 --miner batch-all --reducer mean-non-zero --lr 3e-4"
  [triplet-batch-hard]="--loss triplet --sampler pk --classes-per-batch 10 --per-class 4 --miner batch-hard"
  [triplet-semi-hard]="--loss triplet --sampler pk --classes-per-batch 8 --per-class 16 --miner semi-hard --lr 3e-4"
)
order=(contrastive-random contrastive-online triplet-batch-all triplet-batch-hard triplet-semi-hard)
for name in "${order[@]}"; do
  [ -f "$out/$name.eval.json" ] && continue
  start=$(date +%s)
  # shellcheck disable=SC2086
  $bin train --data "$data" --out "$out/$name" --epochs 8 --force --quiet --json ${recipes[$name]} > "$out/$name.train.json"
  end=$(date +%s)
  echo $((end - start)) > "$out/$name.seconds"
  $bin eval --model "$out/$name" --data "$data" --json > "$out/$name.eval.json"
done
echo "| recipe | flags | test accuracy | ROC AUC | EER | train wall time |"
echo "|---|---|---|---|---|---|"
for name in "${order[@]}"; do
  python3 - "$out/$name.eval.json" "$out/$name.seconds" "$name" "${recipes[$name]}" <<'PY'
import json, sys
e = json.load(open(sys.argv[1])); s = float(open(sys.argv[2]).read())
print(f"| {sys.argv[3]} | `{sys.argv[4]}` | {e['accuracy']*100:.2f} % | {e['auc']:.5f} | {e['eer']:.4f} | {s/60:.1f} min |")
PY
done
