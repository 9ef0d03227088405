"""twinnet.Gallery: enrol, identify, remove, and what is on disk comes back."""

import pytest

import twinnet


def test_gallery_round_trip(model, digits, tmp_path):
    images, labels = digits
    by_digit = {d: [i for i in range(len(labels)) if labels[i] == d] for d in range(5)}
    g = twinnet.Gallery(tmp_path / "g", model)
    ids = []
    for d in range(5):
        ids += g.enroll(f"digit{d}", images[by_digit[d][:5]])
    assert len(g) == 25 and ids == list(range(ids[0], ids[0] + 25))
    queries = [by_digit[d][10] for d in range(5)]
    found = g.identify(images[queries], top_k=3)
    assert len(found) == 5
    right = sum(f["label"] == f"digit{d}" for d, f in enumerate(found))
    assert right >= 4, found
    assert all(len(f["matches"]) == 3 for f in found)
    assert found[0]["threshold"] == pytest.approx(model.threshold)
    # A threshold of 0 makes everyone a stranger.
    assert g.identify(images[queries[:1]], threshold=0.0)[0]["label"] == "unknown"

    entries = g.entries()
    assert [e["id"] for e in entries] == ids and entries[0]["label"] == "digit0"
    assert g.remove(ids[0]) is True
    assert g.remove(ids[0]) is False
    # Reopened from disk: the same entries, and new ids are never reused.
    again = twinnet.Gallery(tmp_path / "g", model)
    assert [e["id"] for e in again.entries()] == ids[1:]
    assert again.enroll("digit0", images[by_digit[0][:1]]) == [ids[-1] + 1]


def test_gallery_errors(model, tmp_path, digits):
    g = twinnet.Gallery(tmp_path / "g", model)
    with pytest.raises(ValueError, match="top_k"):
        g.identify(digits[0][:1], top_k=0)
    with pytest.raises(twinnet.TwinnetError, match="nothing to enrol"):
        g.enroll("x", [])
