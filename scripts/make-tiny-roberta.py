#!/usr/bin/env python3
"""A tiny RoBERTa (random weights, seeded) and its reference outputs, for twinnet's parity test.

No small real RoBERTa-family sentence model ships in a package registry this project can reach,
so the loader is tested on a model this script creates and saves with transformers: the folder
crates/twinnet/tests/data/tiny-roberta/ (config.json, model.safetensors) and golden.json (token
ids, masks and the mean-pooled last hidden states transformers computes). Run with a Python that
has torch and transformers (../shared/peers/setup-venv.sh); not part of CI."""
import json, os, sys
import torch
from transformers import RobertaConfig, RobertaModel

out = sys.argv[1] if len(sys.argv) > 1 else "crates/twinnet/tests/data/tiny-roberta"
torch.manual_seed(0)
cfg = RobertaConfig(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=32, max_position_embeddings=24, type_vocab_size=1,
                    pad_token_id=1, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5)
model = RobertaModel(cfg, add_pooling_layer=False).eval()
os.makedirs(out, exist_ok=True)
model.save_pretrained(out, safe_serialization=True)
ids = [[0, 17, 33, 45, 2, 1, 1, 1], [0, 5, 6, 7, 8, 9, 10, 2], [0, 2, 1, 1, 1, 1, 1, 1]]
mask = [[1 if t != 1 else 0 for t in row] for row in ids]
with torch.no_grad():
    h = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).last_hidden_state
m = torch.tensor(mask, dtype=torch.float32).unsqueeze(-1)
pooled = (h * m).sum(1) / m.sum(1)
json.dump({"transformers": __import__("transformers").__version__, "ids": ids, "mask": mask,
           "mean_pooled": pooled.tolist()}, open(os.path.join(out, "golden.json"), "w"), indent=1)
print(out, "written")
