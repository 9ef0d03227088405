"""twinnet.eval over plain numpy values: known cases."""

import numpy as np
import pytest

import twinnet


def test_verification_known_case():
    # One same pair (0.6) lies beyond a different pair (0.4).
    m = twinnet.eval.verification([0.1, 0.6, 0.4, 0.9], [1, 1, 0, 0], threshold=0.5)
    assert m["auc"] == 0.75 and m["eer"] == 0.5 and m["accuracy"] == 0.5
    assert (m["pairs"], m["positives"]) == (4, 2)
    assert m["threshold_source"] == "given"
    perfect = twinnet.eval.verification(np.array([0.1, 0.3, 0.7, 0.9]), [True, True, False, False])
    assert perfect["auc"] == 1.0 and perfect["eer"] == 0.0
    assert perfect["threshold"] == pytest.approx(0.5) and perfect["threshold_source"] == "these pairs"
    assert perfect["tar_at_far"] == {"0.01": 1.0, "0.001": 1.0}


def test_verification_refuses_bad_input():
    with pytest.raises(ValueError, match="labels"):
        twinnet.eval.verification([0.1, 0.2], [1, 2])
    with pytest.raises(twinnet.TwinnetError, match="3 distances but 2 labels"):
        twinnet.eval.verification([0.1, 0.2, 0.3], [1, 0])
    with pytest.raises(twinnet.TwinnetError, match="both"):
        twinnet.eval.verification([0.1, 0.2], [1, 1])
    with pytest.raises(twinnet.TwinnetError, match="distance 1 is NaN"):
        twinnet.eval.verification([0.1, float("nan")], [1, 0])


def test_oneshot_known_cases():
    # Three classes far apart: every episode is answered right.
    emb = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2], [20.0], [20.1], [20.2]])
    labels = ["a"] * 3 + ["b"] * 3 + ["c"] * 3
    r = twinnet.eval.oneshot(emb, labels, ways=3, shots=1, episodes=100)
    assert (r["accuracy"], r["ci95"]) == (1.0, 0.0)
    assert r["chance"] == pytest.approx(1 / 3)
    # Within groups: group "p" has interleaved classes, so about half its episodes go wrong.
    emb = np.array([[0.0], [0.1], [0.05], [0.15], [10.0], [10.1], [20.0], [20.1]])
    labels = ["p/x", "p/x", "p/y", "p/y", "q/x", "q/x", "q/y", "q/y"]
    groups = ["p"] * 4 + ["q"] * 4
    r = twinnet.eval.oneshot(emb, labels, ways=2, episodes=400, groups=groups)
    assert r["groups_used"] == [0, 1]
    assert 0.5 < r["accuracy"] < 0.75
    with pytest.raises(ValueError, match="two groups"):
        twinnet.eval.oneshot(emb, labels, ways=2, groups=["p", "q"] * 4)
    with pytest.raises(twinnet.TwinnetError, match="no group"):
        twinnet.eval.oneshot(emb, labels, ways=3, groups=groups)
