"""twinnet.train: the callback sees every epoch, Ctrl-C stops after a step with the
checkpoint kept, and resuming gives the run an uninterrupted one gives."""

import _thread
import json
import signal

import pytest

import twinnet
from conftest import RECIPE, SAMPLE


def test_train_reports_every_epoch_and_resumes_after_ctrl_c(tmp_path):
    seen = []
    full = twinnet.train(RECIPE, data=str(SAMPLE), out=tmp_path / "full", on_epoch=seen.append)
    assert [e["epoch"] for e in seen] == [1, 2]
    assert seen[1]["epochs"] == 2 and seen[1]["score"] == full["history"][1]["val_auc"]
    assert (tmp_path / "full" / "manifest.json").is_file()

    def interrupt_after_first(record):
        if record["epoch"] == 1:
            _thread.interrupt_main()  # what Ctrl-C does: SIGINT's handler raises in Python

    out = tmp_path / "stopped"
    # Python's own Ctrl-C handler, as an interactive session has it (a shell started in the
    # background hands its children SIGINT ignored, and then interrupt_main does nothing).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            twinnet.train(RECIPE, data=str(SAMPLE), out=out, on_epoch=interrupt_after_first)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert (out / "checkpoint" / "state.json").is_file()
    assert not (out / "manifest.json").exists()
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 1

    resumed = twinnet.train(RECIPE, data=str(SAMPLE), out=out, resume=True)
    assert resumed["resumed_from"] == 1
    for a, b in zip(full["history"], resumed["history"]):
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=1e-6)
        assert a["val_auc"] == pytest.approx(b["val_auc"], abs=1e-6)


def test_a_callback_error_stops_training_and_is_raised(tmp_path):
    def boom(record):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        twinnet.train(RECIPE, data=str(SAMPLE), out=tmp_path / "m", on_epoch=boom)


def test_recipe_files_and_bad_settings(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text("epochs = 1\nclasses = \"0,1\"\npairs-per-epoch = 512\nconv-channels = \"4\"\n"
                      "hidden = \"\"\nembedding-dim = 8\nval-pairs = 200\n")
    report = twinnet.train(recipe, data=str(SAMPLE), out=tmp_path / "m")
    assert report["manifest"]["training"]["classes"] == ["0", "1"]
    with pytest.raises(twinnet.InvalidInputError, match="already holds"):  # kept, not overwritten
        twinnet.train(recipe, data=str(SAMPLE), out=tmp_path / "m")
    with pytest.raises(twinnet.InvalidInputError, match="unknown field `epoch`"):
        twinnet.train({"epoch": 2}, data=str(SAMPLE), out=tmp_path / "x")
    with pytest.raises(twinnet.TwinnetError, match="out"):
        twinnet.train({"epochs": 1}, data=str(SAMPLE))
    with pytest.raises(twinnet.NotFoundError):
        twinnet.train(tmp_path / "no.toml", data=str(SAMPLE), out=tmp_path / "y")
    json.dumps(report)  # plain JSON values all the way down
