#!/usr/bin/env bash
# Writes crates/twinnet/tests/data/face-recognition-golden.json: face-api's own descriptors
# (node, TensorFlow.js CPU backend) for the inputs scripts/face-api-golden.cjs defines. Needs
# Node.js and npm; installs @tensorflow/tfjs@4.22.0, @tensorflow/tfjs-backend-wasm@4.22.0 and
# @vladmandic/face-api@1.7.15 into a scratch folder. Weights: `twinnet data fetch face-api`.
set -euo pipefail
cd "$(dirname "$0")/.."
weights=${1:-data/face-api}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y > /dev/null && npm install --silent --no-audit --no-fund \
  @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 @vladmandic/face-api@1.7.15 > /dev/null)
cp scripts/face-api-golden.cjs "$work/"
node "$work/face-api-golden.cjs" "$(realpath "$weights")" crates/twinnet/tests/data/face-recognition-golden.json
