"""Verification and one-shot metrics over embeddings from any model (numpy in, dict out)."""

from __future__ import annotations

import json
from typing import Any, Dict, Hashable, Optional, Sequence

import numpy as np

from . import _twinnet
from ._errors import InvalidInputError

__all__ = ["verification", "oneshot"]


def verification(
    distances: Sequence[float],
    labels: Sequence[Any],
    threshold: Optional[float] = None,
    far: Sequence[float] = (1e-2, 1e-3),
) -> Dict[str, Any]:
    """ROC figures of pair ``distances`` (lower = more alike) with ``labels`` (1 / True = a
    pair of the same identity, as in twinnet's pair files; 0 / False = different).

    Returns ``auc``, ``eer``, ``tar_at_far`` (one entry per ``far``), ``tar_at_far_1e2``,
    ``tar_at_far_1e3``, ``accuracy`` at ``threshold``, ``threshold``, ``threshold_source``,
    ``pairs`` and ``positives``. Give the ``threshold`` calibrated on validation pairs (e.g.
    ``model.threshold``) for an honest accuracy; without one, the threshold that is best on
    these very pairs is used and ``threshold_source`` says ``"these pairs"``.
    """
    d = np.asarray(distances, dtype=np.float32).ravel()
    y = np.asarray(labels).ravel()
    if y.dtype != bool:
        if not np.isin(y, (0, 1)).all():
            raise InvalidInputError("labels are 1 (same) or 0 (different)")
        y = y.astype(bool)
    report = _twinnet.verification(
        d.tolist(), y.tolist(), threshold, [float(f) for f in far]
    )
    return json.loads(report)


def oneshot(
    embeddings: np.ndarray,
    labels: Sequence[Hashable],
    ways: int = 5,
    shots: int = 1,
    episodes: int = 1000,
    seed: int = 0,
    distance: str = "euclidean",
    rule: str = "mean-distance",
    groups: Optional[Sequence[Hashable]] = None,
) -> Dict[str, Any]:
    """N-way K-shot accuracy over ``embeddings`` (N×D) with class ``labels`` (any values).

    Each seeded episode draws ``ways`` classes, ``shots`` supports of each and one query of one
    of them; the query goes to the class whose supports are nearest on average (``rule =
    "mean-distance"``) or whose mean embedding is (``"prototype"``). With ``groups`` (one per
    item, e.g. each character's alphabet) every episode's classes come from one group (Lake et
    al.'s within-alphabet runs). Returns ``accuracy``, ``ci95``, ``chance``, ``ways``,
    ``shots``, ``episodes``, ``rule`` and ``groups_used``.
    """
    e = np.ascontiguousarray(embeddings, dtype=np.float32)
    if e.ndim != 2 or len(e) != len(labels):
        raise InvalidInputError(
            f"embeddings of shape {e.shape} for {len(labels)} labels: give N×D and N labels"
        )
    ids: Dict[Hashable, int] = {}
    codes = [ids.setdefault(label, len(ids)) for label in labels]
    names = [str(label) for label in ids]
    group_ids: Optional[list] = None
    if groups is not None:
        if len(groups) != len(labels):
            raise InvalidInputError(f"{len(groups)} groups for {len(labels)} items")
        gid: Dict[Hashable, int] = {}
        group_ids = [-1] * len(names)
        for code, group in zip(codes, groups):
            g = gid.setdefault(group, len(gid))
            if group_ids[code] not in (-1, g):
                raise InvalidInputError(f"class {names[code]} lies in two groups")
            group_ids[code] = g
    report = _twinnet.oneshot(
        e.tobytes(), e.shape[1], codes, names, group_ids, ways, shots, episodes, seed,
        distance, rule,
    )
    return json.loads(report)
