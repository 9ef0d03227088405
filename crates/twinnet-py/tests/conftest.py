"""Fixtures: a small model trained on the repository's bundled MNIST sample, PGM files of
sample digits, and the CLI binary the Python results are compared with."""

import gzip
import os
import pathlib

import numpy as np
import pytest

import twinnet

ROOT = pathlib.Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "assets" / "mnist-sample"
# Small enough to train in about a second, good enough to tell digits apart.
RECIPE = {
    "epochs": 2,
    "classes": "0,1,2,3,4",
    "pairs_per_epoch": 4096,
    "conv_channels": "8,16",
    "hidden": "64",
    "embedding_dim": 16,
    "val_pairs": 1000,
    "seed": 7,
}


def read_idx(name: str) -> np.ndarray:
    with gzip.open(SAMPLE / name) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


@pytest.fixture(scope="session")
def digits():
    """The sample's test digits (uint8, N×28×28) and labels."""
    return read_idx("t10k-images-idx3-ubyte.gz"), read_idx("t10k-labels-idx1-ubyte.gz")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "m"
    twinnet.train(RECIPE, data=str(SAMPLE), out=out)
    return out


@pytest.fixture(scope="session")
def model(model_dir):
    return twinnet.Model.load(model_dir)


def write_pgm(path: pathlib.Path, image: np.ndarray) -> pathlib.Path:
    h, w = image.shape
    path.write_bytes(f"P5 {w} {h} 255\n".encode() + image.astype(np.uint8).tobytes())
    return path


@pytest.fixture(scope="session")
def digit_files(tmp_path_factory, digits):
    """PGM files of the first 8 test digits."""
    d = tmp_path_factory.mktemp("digits")
    return [write_pgm(d / f"{i}.pgm", digits[0][i]) for i in range(8)]


@pytest.fixture(scope="session")
def cli():
    """The `twinnet` binary of this checkout (built by `cargo build --release`)."""
    exe = os.environ.get("TWINNET_BIN") or str(ROOT / "target" / "release" / "twinnet")
    if not os.path.exists(exe):
        if os.environ.get("TWINNET_REQUIRE_DATA"):
            pytest.fail(f"no twinnet binary at {exe}")
        pytest.skip(f"no twinnet binary at {exe} (run cargo build --release)")
    return exe


@pytest.fixture(scope="session")
def minilm():
    d = pathlib.Path(os.environ.get("TWINNET_MINILM") or ROOT / "data" / "minilm")
    if not (d / "model.safetensors").is_file():
        if os.environ.get("TWINNET_REQUIRE_DATA"):
            pytest.fail(f"TWINNET_REQUIRE_DATA is set but there are no MiniLM weights at {d}")
        pytest.skip(f"no MiniLM weights at {d} (run `twinnet data fetch minilm`)")
    return d


