#!/usr/bin/env python3
"""A twinnet text model folder read back by sentence-transformers and transformers.

Usage: PY scripts/st-roundtrip.py MODEL_DIR [SENTENCES_FILE]
PY is a Python with sentence-transformers (../shared/peers/setup-venv.sh makes one). Embeds the
sentences (one per line in SENTENCES_FILE, at most 200; default: six) with `twinnet embed
--json` and with SentenceTransformer(MODEL_DIR), and
prints the smallest cosine between the two; also checks AutoModel.from_pretrained(MODEL_DIR)
loads every encoder weight. Not part of CI (it needs torch)."""
import json, subprocess, sys
import numpy as np

model_dir = sys.argv[1]
if len(sys.argv) > 2:
    sentences = [l.rstrip("\n") for l in open(sys.argv[2], encoding="utf-8") if l.strip()][:200]
else:
    sentences = ["A man is playing a guitar.", "Someone plays an instrument.", "The cat sits on the mat.",
                 "Stocks fell sharply on Monday.", "A woman slices an onion.", "Rain is expected tomorrow."]
tw = json.loads(subprocess.run(["target/release/twinnet", "embed", "--model", model_dir, "--json",
                                *sum((["--text", s] for s in sentences), [])],
                               check=True, capture_output=True, text=True).stdout)
ours = np.array([r["embedding"] for r in tw], dtype=np.float64)

from sentence_transformers import SentenceTransformer
from transformers import AutoModel
theirs = SentenceTransformer(model_dir, device="cpu").encode(sentences, convert_to_numpy=True).astype(np.float64)
cos = (ours * theirs).sum(1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))
_, info = AutoModel.from_pretrained(model_dir, output_loading_info=True)
missing = [k for k in info["missing_keys"] if not k.startswith("pooler.")]
print(json.dumps({"model": model_dir, "sentences": len(sentences), "min_cosine": float(cos.min()),
                  "mean_cosine": float(cos.mean()), "missing_encoder_weights": missing}))
sys.exit(0 if cos.min() >= 0.9999 and not missing else 1)
