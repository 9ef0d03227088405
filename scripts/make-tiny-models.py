#!/usr/bin/env python3
"""Tiny RoBERTa, DistilBERT and MPNet models (random weights, seeded) and their reference
outputs, for twinnet's parity tests.

No small real sentence model of these families ships in a package registry this project can
reach (the sentence-transformers DistilBERT and MPNet models are 66 M and 110 M parameters), so
the loaders are tested on models this script creates and saves with transformers:
crates/twinnet/tests/data/tiny-<family>/ (config.json, model.safetensors) and golden.json (token
ids, masks and the mean-pooled last hidden states transformers computes).
Usage: PY scripts/make-tiny-models.py [roberta|distilbert|mpnet ...] (default: all three).
PY has torch and transformers (../shared/peers/setup-venv.sh); not part of CI."""
import json, os, sys
import torch
import transformers as tf


def roberta():
    cfg = tf.RobertaConfig(vocab_size=60, hidden_size=16, num_hidden_layers=2,
                           num_attention_heads=2, intermediate_size=32,
                           max_position_embeddings=24, type_vocab_size=1, pad_token_id=1,
                           bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5)
    ids = [[0, 17, 33, 45, 2, 1, 1, 1], [0, 5, 6, 7, 8, 9, 10, 2], [0, 2, 1, 1, 1, 1, 1, 1]]
    return tf.RobertaModel(cfg, add_pooling_layer=False), ids, 1


def distilbert():
    cfg = tf.DistilBertConfig(vocab_size=60, dim=16, n_layers=2, n_heads=2, hidden_dim=32,
                              max_position_embeddings=24, pad_token_id=0)
    ids = [[2, 17, 33, 45, 3, 0, 0, 0], [2, 5, 6, 7, 8, 9, 10, 3], [2, 3, 0, 0, 0, 0, 0, 0]]
    return tf.DistilBertModel(cfg), ids, 0


def mpnet():
    # pad_token_id 0 in the config: transformers' MPNet counts positions from 2 (its padding
    # index is fixed at 1) whatever the config says, and so must twinnet.
    cfg = tf.MPNetConfig(vocab_size=60, hidden_size=16, num_hidden_layers=2,
                         num_attention_heads=2, intermediate_size=32,
                         max_position_embeddings=40, pad_token_id=0,
                         relative_attention_num_buckets=32, layer_norm_eps=1e-5)
    model = tf.MPNetModel(cfg, add_pooling_layer=False)
    # Random relative-position biases large enough to matter (the init is near zero).
    with torch.no_grad():
        model.encoder.relative_attention_bias.weight.normal_(0.0, 1.0)
    # The second row is 20 tokens long: relative distances beyond 8 fall in the log buckets.
    ids = [[0, 17, 33, 45, 2] + [1] * 15, [0] + list(range(5, 23)) + [2], [0, 2] + [1] * 18]
    return model, ids, 1


FAMILIES = {"roberta": roberta, "distilbert": distilbert, "mpnet": mpnet}

for family in sys.argv[1:] or list(FAMILIES):
    out = f"crates/twinnet/tests/data/tiny-{family}"
    torch.manual_seed(0)
    model, ids, pad = FAMILIES[family]()
    model = model.eval()
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    mask = [[1 if t != pad else 0 for t in row] for row in ids]
    with torch.no_grad():
        h = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).last_hidden_state
    m = torch.tensor(mask, dtype=torch.float32).unsqueeze(-1)
    pooled = (h * m).sum(1) / m.sum(1)
    json.dump({"transformers": tf.__version__, "ids": ids, "mask": mask,
               "mean_pooled": pooled.tolist()}, open(os.path.join(out, "golden.json"), "w"), indent=1)
    print(out, "written")
