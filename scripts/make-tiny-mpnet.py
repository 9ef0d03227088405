#!/usr/bin/env python3
"""A tiny MPNet (random weights, seeded) and its reference outputs, for twinnet's parity test.

The sentence-transformers MPNet models (all-mpnet-base-v2, multi-qa-mpnet-*) are 110 M
parameters and none ships in a package registry this project can reach, so the loader is tested
on a model this script creates and saves with transformers: the folder
crates/twinnet/tests/data/tiny-mpnet/ (config.json, model.safetensors) and golden.json
(token ids, masks and the mean-pooled last hidden states transformers computes). Run with a
Python that has torch and transformers (../shared/peers/setup-venv.sh); not part of CI."""
import json, os, sys
import torch
from transformers import MPNetConfig, MPNetModel

out = sys.argv[1] if len(sys.argv) > 1 else "crates/twinnet/tests/data/tiny-mpnet"
torch.manual_seed(0)
cfg = MPNetConfig(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=32, max_position_embeddings=40, pad_token_id=0,
                  relative_attention_num_buckets=32, layer_norm_eps=1e-5)
# pad_token_id 0 in the config: transformers' MPNet counts positions from 2 (its padding index
# is fixed at 1) whatever the config says, and so must twinnet.
model = MPNetModel(cfg, add_pooling_layer=False).eval()
# Random relative-position biases large enough to matter (the init is near zero).
with torch.no_grad():
    model.encoder.relative_attention_bias.weight.normal_(0.0, 1.0)
os.makedirs(out, exist_ok=True)
model.save_pretrained(out, safe_serialization=True)
# The second row is 20 tokens long: relative distances beyond 8 fall in the log-spaced buckets.
ids = [[0, 17, 33, 45, 2] + [1] * 15, [0] + list(range(5, 23)) + [2], [0, 2] + [1] * 18]
mask = [[1 if t != 1 else 0 for t in row] for row in ids]
with torch.no_grad():
    h = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).last_hidden_state
m = torch.tensor(mask, dtype=torch.float32).unsqueeze(-1)
pooled = (h * m).sum(1) / m.sum(1)
json.dump({"transformers": __import__("transformers").__version__, "ids": ids, "mask": mask,
           "mean_pooled": pooled.tolist()}, open(os.path.join(out, "golden.json"), "w"), indent=1)
print(out, "written")
