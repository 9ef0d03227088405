"""twinnet.Model: embeddings from paths, arrays and bytes agree; verify equals the CLI."""

import json
import subprocess

import numpy as np
import pytest

import twinnet


def test_properties_describe_the_trained_model(model):
    assert model.kind == "image"
    assert model.dim == 16
    assert model.input_shape == (1, 28, 28)
    assert model.threshold == pytest.approx(model.manifest["threshold"])
    assert model.manifest["threshold_source"] == "validation"
    assert model.manifest["tower"]["kind"] == "cnn"


def test_embed_gives_float32_rows_and_every_input_form_agrees(model, digits, digit_files):
    images = digits[0][:8]
    from_files = model.embed(digit_files)
    assert from_files.shape == (8, 16) and from_files.dtype == np.float32
    # The same bytes as an array batch (N×H×W and N×H×W×1), as floats and as PGM bytes.
    np.testing.assert_array_equal(model.embed(images), from_files)
    np.testing.assert_array_equal(model.embed(images[..., None]), from_files)
    np.testing.assert_allclose(model.embed(images / 255.0), from_files, atol=1e-6)
    np.testing.assert_array_equal(model.embed([p.read_bytes() for p in digit_files]), from_files)
    np.testing.assert_array_equal(model.embed(list(images)), from_files)
    # One path is a batch of one; a small batch size splits the work, not the result.
    np.testing.assert_array_equal(model.embed(str(digit_files[3])), from_files[3:4])
    np.testing.assert_allclose(model.embed(images, batch_size=3), from_files, atol=1e-6)


def test_arrays_of_another_size_or_channel_count_are_converted_like_files(model, digits):
    rgb = np.repeat(digits[0][:2, :, :, None], 3, axis=3)
    np.testing.assert_allclose(model.embed(rgb), model.embed(digits[0][:2]), atol=1e-5)
    big = np.kron(digits[0][:2], np.ones((2, 2), dtype=np.uint8))  # 56×56
    e = model.embed(big)
    assert e.shape == (2, 16) and np.isfinite(e).all()


def test_verify_equals_the_cli_and_distance_agrees(model, model_dir, digit_files, cli):
    for a, b in [(0, 1), (2, 5), (3, 3)]:
        out = subprocess.run(
            [cli, "verify", "--model", str(model_dir), str(digit_files[a]), str(digit_files[b]),
             "--json"],
            check=True, capture_output=True, text=True,
        ).stdout
        want = json.loads(out)
        distance, same = model.verify(digit_files[a], digit_files[b])
        assert abs(distance - want["distance"]) <= 1e-6, (distance, want)
        assert same == want["same"]
        e = model.embed([digit_files[a], digit_files[b]])
        assert model.distance(e[0], e[1]) == pytest.approx(distance, abs=1e-6)
    e = model.embed(digit_files)
    rows = model.distance(e[:4], e[4:])
    assert rows.shape == (4,)
    assert rows[1] == pytest.approx(model.distance(e[1], e[5]), abs=1e-6)


def test_same_digit_is_nearer_than_different_ones(model, digits):
    images, labels = digits
    e = model.embed(images[:200])
    same = [model.distance(e[i], e[j]) for i in range(40) for j in range(40, 200)
            if labels[i] == labels[j] and labels[i] < 5]
    diff = [model.distance(e[i], e[j]) for i in range(40) for j in range(40, 200)
            if labels[i] != labels[j] and labels[i] < 5 and labels[j] < 5]
    assert np.mean(same) < 0.6 * np.mean(diff)


def test_bad_inputs_raise_twinnet_errors(model, tmp_path, digit_files):
    with pytest.raises(FileNotFoundError) as missing:
        twinnet.Model.load(tmp_path / "nothing-here")
    assert isinstance(missing.value, twinnet.TwinnetError)
    with pytest.raises(twinnet.NotFoundError, match="missing.png"):
        model.embed([digit_files[0], tmp_path / "missing.png"])
    with pytest.raises(ValueError, match="cannot"):
        model.embed([b"not an image"])
    with pytest.raises(twinnet.InvalidInputError, match=r"\[0, 1\]"):
        model.embed(np.full((1, 28, 28), 255.0))
    with pytest.raises(twinnet.InvalidInputError, match="int64"):
        model.embed(np.zeros((1, 28, 28), dtype=np.int64))
    with pytest.raises(twinnet.InvalidInputError, match="N×H×W"):
        model.embed(np.zeros((28, 28), dtype=np.uint8))
    with pytest.raises(ValueError, match="shapes"):
        model.distance(np.zeros(16), np.zeros(8))
    not_a_model = tmp_path / "empty"
    not_a_model.mkdir()
    with pytest.raises(twinnet.TwinnetError):
        twinnet.Model.load(not_a_model)
