"""sentence-transformers' side of the text benchmark: encode the same sentences at batch 32 on
THREADS threads (default 2), one warm-up round then ROUNDS timed rounds; prints one JSON line.
Usage: python bench/st_encode.py MODEL_DIR SENTENCES_FILE"""
import json, os, statistics, sys, time

threads = int(os.environ.get("THREADS", "2"))
rounds = int(os.environ.get("ROUNDS", "3"))
import torch

torch.set_num_threads(threads)
from sentence_transformers import SentenceTransformer

model = SentenceTransformer(sys.argv[1], device="cpu")
sentences = open(sys.argv[2], encoding="utf-8").read().split("\n")
if sentences and sentences[-1] == "":
    sentences.pop()
model.encode(sentences, batch_size=32)
rates = []
for _ in range(rounds):
    t = time.perf_counter()
    model.encode(sentences, batch_size=32)
    rates.append(len(sentences) / (time.perf_counter() - t))
print(json.dumps({"sentences": len(sentences), "batch": 32, "threads": threads,
                  "sentences_per_s": statistics.median(rates), "per_round": rates,
                  "peer": f"sentence-transformers {__import__('sentence_transformers').__version__}, torch {torch.__version__}"}))
