#!/usr/bin/env bash
# Tracking speed on a 768x576 video: `twinnet track` over a PETS09 test sequence (the longest,
# person09: 519 frames), ROUNDS rounds, medians of the tracker's own fps (crops, network,
# peak; the exemplar is embedded once, at the first frame) and of the fps with JPEG decoding
# (frames decoded on a second thread). The machine's load is printed before and after.
# Usage: bench/track.sh MODEL [ROUNDS] [SEQUENCE]   (after `twinnet data fetch pets09`)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: bench/track.sh MODEL [ROUNDS] [SEQUENCE]}
rounds=${2:-3}
seq=${3:-data/pets09/test/person09}
cargo build --release --quiet
out=$(mktemp -d)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  target/release/twinnet track --model "$model" --sequence "$seq" --out "$out/boxes.txt" --json > "$out/run-$r.json"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out" "$rounds" "$seq" <<'PY'
import json, statistics, sys
out, rounds, seq = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = [json.load(open(f"{out}/run-{r}.json")) for r in range(1, rounds + 1)]
med = lambda k: statistics.median(r[k] for r in runs)
print(f"{seq}: {runs[0]['frames']} frames, {rounds} rounds; medians")
print(f"| tracker fps | fps with decoding | success AUC | precision@20px |")
print(f"|---|---|---|---|")
print(f"| {med('fps'):.1f} | {med('fps_with_decoding'):.1f} | {runs[0]['success_auc']:.4f} | {runs[0]['precision_20px']:.4f} |")
PY
rm -rf "$out"
