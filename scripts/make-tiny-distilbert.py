#!/usr/bin/env python3
"""A tiny DistilBERT (random weights, seeded) and its reference outputs, for twinnet's parity test.

The sentence-transformers DistilBERT models (msmarco-distilbert-*, distiluse-*) are 66 M
parameters and none ships in a package registry this project can reach, so the loader is tested
on a model this script creates and saves with transformers: the folder
crates/twinnet/tests/data/tiny-distilbert/ (config.json, model.safetensors) and golden.json
(token ids, masks and the mean-pooled last hidden states transformers computes). Run with a
Python that has torch and transformers (../shared/peers/setup-venv.sh); not part of CI."""
import json, os, sys
import torch
from transformers import DistilBertConfig, DistilBertModel

out = sys.argv[1] if len(sys.argv) > 1 else "crates/twinnet/tests/data/tiny-distilbert"
torch.manual_seed(0)
cfg = DistilBertConfig(vocab_size=60, dim=16, n_layers=2, n_heads=2, hidden_dim=32,
                       max_position_embeddings=24, pad_token_id=0)
model = DistilBertModel(cfg).eval()
os.makedirs(out, exist_ok=True)
model.save_pretrained(out, safe_serialization=True)
ids = [[2, 17, 33, 45, 3, 0, 0, 0], [2, 5, 6, 7, 8, 9, 10, 3], [2, 3, 0, 0, 0, 0, 0, 0]]
mask = [[1 if t != 0 else 0 for t in row] for row in ids]
with torch.no_grad():
    h = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).last_hidden_state
m = torch.tensor(mask, dtype=torch.float32).unsqueeze(-1)
pooled = (h * m).sum(1) / m.sum(1)
json.dump({"transformers": __import__("transformers").__version__, "ids": ids, "mask": mask,
           "mean_pooled": pooled.tolist()}, open(os.path.join(out, "golden.json"), "w"), indent=1)
print(out, "written")
