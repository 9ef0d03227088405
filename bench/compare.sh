#!/usr/bin/env bash
# Side by side with the PyTorch peer: runs `twinnet bench --quick` and the peer
# (../shared/peers/pytorch_siamese.py, same tower, batch, loss, optimiser, threads) alternately
# for ROUNDS rounds and prints medians and ratios, with each program's peak memory.
# Usage: bench/compare.sh [ROUNDS] (THREADS=2 by default). Not part of CI: it needs the peer venv.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
threads=${THREADS:-2}
peers=${PEERS:-../shared/peers}
py=$(bash "$peers/setup-venv.sh")
cargo build --release --quiet
out=$(mktemp -d)
for r in $(seq "$rounds"); do
  /usr/bin/time -f %M -o "$out/tw-mem-$r" target/release/twinnet bench --quick --threads "$threads" --json > "$out/tw-$r.json"
  THREADS=$threads /usr/bin/time -f %M -o "$out/py-mem-$r" "$py" "$peers/pytorch_siamese.py" > "$out/py-$r.json"
done
python3 - "$out" "$rounds" "$threads" <<'PY'
import json, statistics, sys
out, rounds, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def load(prefix):
    runs = [json.load(open(f"{out}/{prefix}-{r}.json")) for r in range(1, rounds + 1)]
    mem = [int(open(f"{out}/{prefix}-mem-{r}").read().split()[-1]) / 1024 for r in range(1, rounds + 1)]
    return runs, mem
tw, tw_mem = load("tw"); py, py_mem = load("py")
med = lambda runs, k: statistics.median(r[k] for r in runs)
print(f"{rounds} alternating rounds, {threads} threads; medians")
print("| figure | twinnet (burn flex) | PyTorch peer | ratio (twinnet / peer) |")
print("|---|---|---|---|")
for k, name in [("train_steps_per_s", "train steps/s (128 pairs)"), ("infer_emb_per_s", "inference embeddings/s (batch 512)")]:
    a, b = med(tw, k), med(py, k)
    print(f"| {name} | {a:.2f} | {b:.2f} | {a / b:.2f}× |")
a, b = statistics.median(tw_mem), statistics.median(py_mem)
print(f"| peak RSS (MiB) | {a:.0f} | {b:.0f} | {a / b:.2f}× |")
print(f"peer: {py[0].get('peer')}")
PY
