"""Text models: MiniLM's embeddings equal sentence-transformers' reference vectors, and
finetune trains a tower from scratch with the epoch callback."""

import json
import pathlib

import numpy as np
import pytest

import twinnet

ROOT = pathlib.Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "crates" / "twinnet" / "tests" / "data" / "minilm-golden.json"
TEXTS = ROOT / "assets" / "text-sample"


def test_minilm_matches_sentence_transformers(minilm):
    golden = json.loads(GOLDEN.read_text())
    model = twinnet.Model.load(minilm)
    assert model.kind == "text" and model.dim == 384 and model.input_shape is None
    e = model.embed(golden["sentences"])
    want = np.asarray(golden["embeddings"], dtype=np.float32)
    assert e.shape == want.shape
    cos = (e * want).sum(1) / np.linalg.norm(e, axis=1) / np.linalg.norm(want, axis=1)
    assert cos.min() > 0.99999, cos
    d, same = model.verify(golden["sentences"][0], golden["sentences"][1])
    assert d == pytest.approx(model.distance(e[0], e[1]), abs=1e-5)
    with pytest.raises(ValueError, match="text model"):
        model.embed(np.zeros((1, 8, 8), dtype=np.uint8))


def test_finetune_from_scratch_reports_epochs(minilm, tmp_path):
    seen = []
    report = twinnet.finetune(
        tokenizer=minilm, data=TEXTS / "train.tsv", val=TEXTS / "val.tsv", out=tmp_path / "t",
        epochs=2, batch_size=32, lr=1e-3, embedding_dim=32, hidden=32, on_epoch=seen.append,
    )
    assert [e["epoch"] for e in seen] == [1, 2] and len(report["history"]) == 2
    model = twinnet.Model.load(tmp_path / "t")
    assert model.kind == "text" and model.dim == 32
    assert model.embed(["a sentence", "another"]).shape == (2, 32)
    with pytest.raises(twinnet.InvalidInputError, match="unknown field `epoch`"):
        twinnet.finetune(tokenizer=minilm, data=TEXTS / "train.tsv", out=tmp_path / "u", epoch=1)
