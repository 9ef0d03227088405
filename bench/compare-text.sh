#!/usr/bin/env bash
# MiniLM sentence encoding, twinnet vs sentence-transformers, same sentences (both columns of
# assets/text-sample/test.tsv, 800 sentences), batch 32, THREADS threads (2), alternating for
# ROUNDS rounds; prints medians. Not part of CI: it needs the peer venv and the MiniLM weights.
# Usage: bench/compare-text.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
threads=${THREADS:-2}
peers=${PEERS:-../shared/peers}
model=${MODEL:-data/minilm}
py=$(bash "$peers/setup-venv.sh")
cargo build --release --quiet
out=$(mktemp -d)
cut -f1,2 assets/text-sample/test.tsv | tail -n +2 | tr '\t' '\n' > "$out/sentences.txt"
for r in $(seq "$rounds"); do
  target/release/twinnet bench --text-model "$model" --sentences "$out/sentences.txt" --threads "$threads" --rounds 3 --json > "$out/tw-$r.json"
  THREADS=$threads ROUNDS=3 "$py" bench/st_encode.py "$model" "$out/sentences.txt" > "$out/py-$r.json"
done
python3 - "$out" "$rounds" "$threads" <<'PY'
import json, statistics, sys
out, rounds, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tw = [json.load(open(f"{out}/tw-{r}.json"))["sentences_per_s"] for r in range(1, rounds + 1)]
py = [json.load(open(f"{out}/py-{r}.json")) for r in range(1, rounds + 1)]
a, b = statistics.median(tw), statistics.median(p["sentences_per_s"] for p in py)
print(f"{rounds} alternating rounds, {threads} threads, {py[0]['sentences']} sentences, batch 32; medians")
print("| figure | twinnet (burn flex) | sentence-transformers | ratio (twinnet / peer) |")
print("|---|---|---|---|")
print(f"| MiniLM-L6 sentences/s | {a:.1f} | {b:.1f} | {a / b:.2f}× |")
print(f"peer: {py[0]['peer']}")
PY
