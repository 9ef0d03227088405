#!/usr/bin/env python3
"""Builds a sentence-pair task from WordNet: does this example sentence use the sense that this
definition describes?

Each synset with a definition and at least one example gives a positive pair (its definition,
one of its examples) and a negative pair (its definition, an example of another synset). The
negative comes, where one exists, from another sense of one of the synset's own words (the
"bank of a river" definition against a "bank" example about money), so the task is about word
sense, not topic. Synsets are split into train / validation / test, so no definition or example
of a test synset is seen in training; negatives are drawn within a split.

Also writes labelled texts (synset id, text) of the training synsets for mined losses.

Input: the WordNet database (Debian package wordnet-base: /usr/share/wordnet/data.*).
Output (TSV, header line): OUT/{train,val,test}.tsv with columns text_a, text_b, label
(1 = same sense, 0 = different), OUT/train-triplets.tsv (the training pairs as anchor,
positive, negative) and OUT/train-labeled.tsv with columns label, text.

    python3 scripts/make-wordnet-pairs.py --out data/wordnet
    python3 scripts/make-wordnet-pairs.py --out assets/text-sample --train 600 --val 200 --test 400
"""
import argparse
import os
import random
from collections import defaultdict


def parse(path, pos):
    synsets = []
    with open(path, encoding="utf-8", errors="strict") as f:
        for line in f:
            if line.startswith("  ") or " | " not in line:
                continue
            head, gloss = line.rstrip("\n").split(" | ", 1)
            fields = head.split()
            offset, count = fields[0], int(fields[3], 16)
            words = [fields[4 + 2 * i].lower().replace("_", " ") for i in range(count)]
            words = [w.split("(")[0] for w in words]
            definition, examples = [], []
            for part in gloss.split("; "):
                part = part.strip()
                if part.startswith('"'):
                    ex = part.strip('"').strip().rstrip('"')
                    if len(ex.split()) >= 3:
                        examples.append(ex)
                elif not examples:
                    definition.append(part)
            definition = "; ".join(definition).strip()
            if definition and examples:
                synsets.append((f"{pos}{offset}", words, definition, examples))
    return synsets


def clean(text):
    return " ".join(text.replace("\t", " ").split())


def pairs_for(synsets, rng, limit):
    by_word = defaultdict(list)
    for i, (_, words, _, _) in enumerate(synsets):
        for w in words:
            by_word[w].append(i)
    order = list(range(len(synsets)))
    rng.shuffle(order)
    rows = []
    for i in order:
        if len(rows) >= limit:
            break
        sid, words, definition, examples = synsets[i]
        rows.append((definition, rng.choice(examples), 1))
        others = sorted({j for w in words for j in by_word[w] if j != i})
        j = rng.choice(others) if others else rng.randrange(len(synsets))
        while j == i:
            j = rng.randrange(len(synsets))
        rows.append((definition, rng.choice(synsets[j][3]), 0))
    return rows


def write(path, header, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join(clean(str(c)) for c in r) + "\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    ap.add_argument("--out", required=True)
    ap.add_argument("--train", type=int, default=8000, help="pairs in train.tsv")
    ap.add_argument("--val", type=int, default=1000)
    ap.add_argument("--test", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    synsets = []
    for name, pos in [("data.noun", "n"), ("data.verb", "v"), ("data.adj", "a"), ("data.adv", "r")]:
        synsets += parse(os.path.join(a.wordnet, name), pos)
    rng = random.Random(a.seed)
    rng.shuffle(synsets)
    n = len(synsets)
    cut1, cut2 = int(n * 0.8), int(n * 0.9)
    splits = {"train": synsets[:cut1], "val": synsets[cut1:cut2], "test": synsets[cut2:]}
    os.makedirs(a.out, exist_ok=True)
    for name, limit in [("train", a.train), ("val", a.val), ("test", a.test)]:
        rows = pairs_for(splits[name], random.Random(f"{a.seed}-{name}"), limit)
        write(os.path.join(a.out, f"{name}.tsv"), ["text_a", "text_b", "label"], rows)
        print(f"{name}: {len(rows)} pairs from {len(splits[name])} synsets")
        if name == "train":
            # The same pairs as triplets: definition, its example, the other sense's example.
            triplets = [(p[0], p[1], n[1]) for p, n in zip(rows[0::2], rows[1::2])]
            write(os.path.join(a.out, "train-triplets.tsv"), ["anchor", "positive", "negative"], triplets)
    # Labelled texts: the training synsets' definitions and examples, for mined losses.
    lab_rng = random.Random(f"{a.seed}-labeled")
    train = list(splits["train"])
    lab_rng.shuffle(train)
    rows, used = [], 0
    for sid, _, definition, examples in train:
        if used >= a.train // 2:
            break
        texts = [definition] + examples
        if len(texts) >= 2:
            rows += [(sid, t) for t in texts]
            used += 1
    write(os.path.join(a.out, "train-labeled.tsv"), ["label", "text"], rows)
    print(f"train-labeled: {len(rows)} texts of {used} synsets")


if __name__ == "__main__":
    main()
