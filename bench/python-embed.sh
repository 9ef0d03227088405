#!/usr/bin/env bash
# Python `Model.embed` against `twinnet embed` on the same 10,000 MNIST test images (PGM files)
# with the same model (the default CNN tower, trained for one short epoch): ROUNDS alternating
# rounds, medians. Each side is timed as a user sees it: load the model, read and decode every
# file, embed, hand the result over (the CLI writes its JSON to /dev/null). The Python numpy-array
# path (no files) is timed too. Needs data/mnist (`twinnet data fetch mnist`) and the wheel
# installed in target/py-venv (scripts/test-python.sh). Usage: bench/python-embed.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
py=target/py-venv/bin/python
cargo build --release --quiet -p twinnet-cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target/release/twinnet train --data idx:data/mnist --out "$work/model" --epochs 1 \
  --pairs-per-epoch 2048 --quiet > /dev/null
"$py" - "$work" <<'PY'
import numpy as np, pathlib, sys
work = pathlib.Path(sys.argv[1]); (work / "img").mkdir()
raw = open("data/mnist/t10k-images-idx3-ubyte", "rb").read()
images = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)
np.save(work / "images.npy", images)
for i, im in enumerate(images):
    (work / "img" / f"{i:05}.pgm").write_bytes(b"P5 28 28 255\n" + im.tobytes())
PY
ls "$work"/img/*.pgm > "$work/files"
mapfile -t files < "$work/files"  # one command line, one process: about 400 KB of arguments
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (before)"
for r in $(seq "$rounds"); do
  s=$(date +%s.%N)
  target/release/twinnet embed --model "$work/model" --json "${files[@]}" > /dev/null
  echo "$(date +%s.%N) - $s" | bc >> "$work/cli"
  "$py" - "$work" >> "$work/py" <<'PY'
import numpy as np, pathlib, sys, time, twinnet
work = pathlib.Path(sys.argv[1])
files = (work / "files").read_text().split()
t = time.perf_counter(); m = twinnet.Model.load(work / "model"); e = m.embed(files); files_s = time.perf_counter() - t
images = np.load(work / "images.npy")
t = time.perf_counter(); a = m.embed(images); array_s = time.perf_counter() - t
assert e.shape == (10000, m.dim) and np.array_equal(a, e)
print(files_s, array_s)
PY
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (after)"
"$py" - "$work" "$rounds" <<'PY'
import statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
cli = [float(x) for x in open(f"{work}/cli").read().split()]
py = [tuple(map(float, l.split())) for l in open(f"{work}/py").read().splitlines()]
c, f, a = statistics.median(cli), statistics.median(p[0] for p in py), statistics.median(p[1] for p in py)
print(f"{rounds} alternating rounds, 10,000 MNIST test images, medians")
print("| path | seconds | images/s | vs CLI |")
print("|---|---|---|---|")
print(f"| `twinnet embed FILES --json` (load, decode, embed, print) | {c:.3f} | {10000 / c:,.0f} | 1.00× |")
print(f"| Python `Model.load` + `embed(paths)` | {f:.3f} | {10000 / f:,.0f} | {c / f:.2f}× |")
print(f"| Python `embed(uint8 array)` (model loaded) | {a:.3f} | {10000 / a:,.0f} | {c / a:.2f}× |")
PY
