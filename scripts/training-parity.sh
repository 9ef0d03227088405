#!/usr/bin/env bash
# Trains the same small recipes (10 image, 8 text) with two twinnet binaries and compares the
# embeddings and training figures (images) or weights (text) they give: a refactor that must not
# change a number shows SAME on every line.
# Usage: scripts/training-parity.sh OLD_BINARY NEW_BINARY   (run from the repository root;
# the text lines need data/minilm for the tokenizer).
set -u
A=$1; B=$2; W=/tmp/parity; rm -rf $W; mkdir -p $W
base="--data idx:assets/mnist-sample --classes 0,1,2,3,4 --epochs 1 --val-pairs 400 --pairs-per-epoch 1024 --conv-channels 8,16 --hidden 32 --embedding-dim 16 --quiet --json"
i=0
while IFS= read -r extra; do
  i=$((i+1))
  for bin in A B; do
    exe=${!bin}
    $exe train $base --out $W/img$i-$bin $extra > $W/img$i-$bin.json 2> $W/img$i-$bin.err || echo "FAIL $bin: $extra $(cat $W/img$i-$bin.err)"
  done
  # What each binary's model computes (the model file's layout may differ between versions):
  # the embeddings of two digits and the training metrics, exactly.
  digits="crates/twinnet/tests/data/model-v1/digit0.pgm crates/twinnet/tests/data/model-v1/digit1.pgm"
  ha=$( (${A} embed --model $W/img$i-A $digits --json; grep -o '"train_loss":[^,]*,"val_auc":[^,]*' $W/img$i-A/metrics.jsonl) | sha256sum | cut -c1-16)
  hb=$( (${B} embed --model $W/img$i-B $digits --json; grep -o '"train_loss":[^,]*,"val_auc":[^,]*' $W/img$i-B/metrics.jsonl) | sha256sum | cut -c1-16)
  echo "$([ "$ha" = "$hb" ] && echo SAME || echo DIFF) $ha $hb image: $extra"
done <<'LIST'
--loss contrastive
--loss triplet
--loss koch
--loss triplet --sampler pk --classes-per-batch 4 --per-class 4 --miner batch-hard
--loss contrastive --sampler pk --classes-per-batch 4 --per-class 8 --miner hard-pairs
--loss triplet --sampler pk --classes-per-batch 4 --per-class 8 --miner semi-hard --reducer mean-non-zero
--loss koch --sampler pk --classes-per-batch 4 --per-class 4 --miner batch-all
--loss mnrl --sampler pk --classes-per-batch 4 --per-class 4
--loss mnrl --sampler views --augment --classes-per-batch 16
--loss contrastive --augment --optimizer sgd --lr 0.01
LIST
tok=data/minilm; s=assets/text-sample
t="--scratch --tokenizer $tok --val $s/val.tsv --max-pairs 200 --batch-size 16 --epochs 1 --lr 0.001 --quiet --json"
i=0
while IFS= read -r extra; do
  i=$((i+1))
  for bin in A B; do
    exe=${!bin}
    $exe finetune $t --out $W/txt$i-$bin $extra > $W/txt$i-$bin.json 2> $W/txt$i-$bin.err || echo "FAIL $bin: $extra $(cat $W/txt$i-$bin.err)"
  done
  ha=$(sha256sum < $W/txt$i-A/model.safetensors | cut -c1-16); hb=$(sha256sum < $W/txt$i-B/model.safetensors | cut -c1-16)
  echo "$([ "$ha" = "$hb" ] && echo SAME || echo DIFF) $ha $hb text: $extra"
done <<LIST
--data $s/train.tsv --loss mnrl
--data $s/train.tsv --loss contrastive
--data $s/train.tsv --loss online-contrastive
--data $s/train.tsv --loss cosent
--data $s/train.tsv --loss mse
--data $s/train-triplets.tsv --format triplets --loss mnrl
--data $s/train-triplets.tsv --format triplets --loss triplet
--data $s/train-labeled.tsv --format labeled --loss triplet --classes-per-batch 4
LIST
