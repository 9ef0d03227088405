"""twinnet: Siamese networks with a Rust core — numpy in, numpy out.

>>> import twinnet
>>> model = twinnet.Model.load("demo-out/model")          # doctest: +SKIP
>>> model.embed(["a.png", "b.png"]).shape                  # doctest: +SKIP
(2, 64)

:class:`Model` loads any twinnet model directory (image or text) and embeds paths, image
arrays, encoded image bytes or texts; :class:`Gallery` enrols and identifies; :func:`train` and
:func:`finetune` run twinnet's trainers; :mod:`twinnet.eval` scores embeddings from any model.
The work happens in Rust with the GIL released; errors are :class:`TwinnetError`\\ s.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _twinnet, eval
from ._errors import InvalidInputError, NotFoundError, TwinnetError, TwinnetIOError
from ._inputs import batch_of, tag, tag_all

__all__ = [
    "Model",
    "Gallery",
    "train",
    "finetune",
    "eval",
    "TwinnetError",
    "InvalidInputError",
    "NotFoundError",
    "TwinnetIOError",
    "__version__",
]
__version__: str = _twinnet.__version__

PathLike = Union[str, "os.PathLike[str]"]
#: What :meth:`Model.embed` takes: a list of paths / texts / bytes / arrays, or one array
#: holding a batch (N×H×W or N×H×W×C).
Inputs = Union[np.ndarray, Sequence[Any], str, "os.PathLike[str]"]


class Model:
    """A twinnet model directory, image or text (a sentence-transformers folder counts as text).

    Use :meth:`Model.load`. Methods may be called from several threads; each call runs
    without the GIL.
    """

    def __init__(self, native: Any) -> None:
        self._native = native
        self._manifest: Optional[Dict[str, Any]] = None

    @classmethod
    def load(cls, path: PathLike) -> "Model":
        """Loads the model directory at ``path``."""
        if not os.path.exists(path):
            raise NotFoundError(f"model directory {os.fspath(path)} does not exist")
        return cls(_twinnet.NativeModel.load(os.fspath(path)))

    def embed(self, inputs: Inputs, batch_size: int = 4096) -> np.ndarray:
        """Embeddings of ``inputs`` as a ``float32`` array of shape (N, :attr:`dim`).

        ``inputs``: a list of image paths (image models) or strings (text models), encoded
        image bytes, image arrays (H×W or H×W×C), or one array of N images (N×H×W or N×H×W×C,
        ``uint8`` 0–255 or float 0–1). Images of another size or channel count are converted
        and resized exactly as files are; a model's handwriting preprocessing applies too.
        """
        if isinstance(inputs, np.ndarray):
            if self.kind == "text":
                raise InvalidInputError("this is a text model; give a list of strings")
            if batch_size < 1:
                raise InvalidInputError("batch_size must be at least 1")
            parts = [
                self._rows(self._native.embed_array(*batch_of(inputs[i : i + batch_size])))
                for i in range(0, max(len(inputs), 1), batch_size)
            ]
            return np.concatenate(parts) if len(parts) > 1 else parts[0]
        tagged = tag_all(inputs, self.kind)
        return self._rows(self._native.embed(tagged))

    def _rows(self, data: bytes) -> np.ndarray:
        return np.frombuffer(data, dtype=np.float32).reshape(-1, self.dim).copy()

    def verify(self, a: Any, b: Any) -> Tuple[float, Optional[bool]]:
        """``(distance, same)`` of two inputs (a path, a text, bytes or one image array):
        ``same`` is ``distance <= threshold``, None for a model without a threshold. The
        same figures as ``twinnet verify``."""
        distance, _, same = self._native.verify(tag(a, self.kind, 0), tag(b, self.kind, 1))
        return distance, same

    def distance(self, e1: np.ndarray, e2: np.ndarray) -> Union[float, np.ndarray]:
        """The model's distance (or learned dissimilarity) between embeddings: two vectors
        give a float, two N×D arrays the N row-wise distances."""
        a = np.ascontiguousarray(e1, dtype=np.float32)
        b = np.ascontiguousarray(e2, dtype=np.float32)
        if a.shape != b.shape or a.ndim not in (1, 2):
            raise InvalidInputError(
                f"embeddings of shapes {a.shape} and {b.shape}: give two vectors or two N×D arrays"
            )
        d = self._native.distances(a.tobytes(), b.tobytes(), self.dim)
        return float(d[0]) if a.ndim == 1 else np.asarray(d, dtype=np.float32)

    @property
    def threshold(self) -> Optional[float]:
        """The decision threshold calibrated on validation data (None if there is none)."""
        return self._native.threshold

    @property
    def dim(self) -> int:
        """Embedding length."""
        return self._native.dim

    @property
    def kind(self) -> str:
        """``"image"`` or ``"text"``."""
        return self._native.kind

    @property
    def input_shape(self) -> Optional[Tuple[int, int, int]]:
        """(channels, height, width) of an image model's input; None for text."""
        return self._native.input_shape

    @property
    def manifest(self) -> Dict[str, Any]:
        """The model's manifest (architecture, threshold, training recipe, validation)."""
        if self._manifest is None:
            self._manifest = json.loads(self._native.manifest_json())
        return self._manifest

    @property
    def path(self) -> str:
        """The directory the model was loaded from."""
        return self._native.path

    def __repr__(self) -> str:
        return f"twinnet.Model({self.path!r}, kind={self.kind!r}, dim={self.dim})"


class Gallery:
    """Enrolled embeddings of one model: a directory (created if missing) or a
    ``postgres://`` URL. Identities are labels; each entry has an id that is never reused."""

    def __init__(self, path: PathLike, model: Model, index_above: Optional[int] = None) -> None:
        args = (os.fspath(path), model._native)
        native = _twinnet.NativeGallery
        self._native = native(*args) if index_above is None else native(*args, index_above)
        self._model = model

    def enroll(self, label: str, inputs: Inputs) -> List[int]:
        """Embeds ``inputs`` (as :meth:`Model.embed` takes them) and enrols them as ``label``;
        their ids."""
        return self._native.enroll(label, self._tagged(inputs))

    def identify(
        self, inputs: Inputs, top_k: int = 5, threshold: Optional[float] = None
    ) -> List[Dict[str, Any]]:
        """For each input: ``{"label", "distance", "threshold", "matches"}`` — the nearest
        entry's label if within ``threshold`` (the model's own by default), else
        ``"unknown"``, and the ``top_k`` nearest entries."""
        return json.loads(self._native.identify(self._tagged(inputs), top_k, threshold))

    def remove(self, id: int) -> bool:
        """Removes entry ``id``; False if there is none."""
        return self._native.remove(id)

    def entries(self) -> List[Dict[str, Any]]:
        """Every entry (``id``, ``label``, ``source``), in enrolment order."""
        return json.loads(self._native.entries())

    def __len__(self) -> int:
        return len(self._native)

    def _tagged(self, inputs: Inputs) -> List[Any]:
        if isinstance(inputs, np.ndarray):
            inputs = list(inputs)  # a batch, as Model.embed takes it: N×H×W or N×H×W×C
        return tag_all(inputs, self._model.kind)


EpochCallback = Callable[[Dict[str, Any]], Any]


def _callback(on_epoch: Optional[EpochCallback]) -> Optional[Callable[[str], Any]]:
    if on_epoch is None:
        return None
    return lambda record: on_epoch(json.loads(record))


def _kebab(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k).replace("_", "-"): _kebab(v) for k, v in value.items()}
    return value


def train(
    recipe: Union[Mapping[str, Any], PathLike, None] = None,
    data: Optional[str] = None,
    out: Optional[PathLike] = None,
    on_epoch: Optional[EpochCallback] = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = False,
) -> Dict[str, Any]:
    """Trains an image model as ``twinnet train`` does and writes it to ``out``.

    ``recipe``: a dict of ``twinnet train``'s settings (``batch_size`` or ``"batch-size"``;
    ``augment=True`` for the default augmentation) or the path of a recipe TOML file
    (``recipes/*.toml``). ``data``: a data spec (``idx:DIR``, ``folder:DIR``, ``pairs:FILE``,
    ``signatures:DIR``). ``on_epoch(record)`` is called after every epoch with its figures.
    Ctrl-C stops after the current step with ``KeyboardInterrupt``; the checkpoint of the last
    finished epoch stays in ``out`` and ``resume=True`` continues from it. Returns the report
    (``history``, ``manifest``, ``resumed_from``).
    """
    recipe_json = recipe_path = None
    if isinstance(recipe, Mapping):
        settings = dict(recipe)
        if settings.get("augment") is True:
            settings["augment"] = {}
        elif settings.get("augment") is False:
            settings.pop("augment")
        recipe_json = json.dumps(_kebab(settings))
    elif recipe is not None:
        recipe_path = os.fspath(recipe)
    report = _twinnet.train(
        recipe_json,
        recipe_path,
        data,
        None if out is None else os.fspath(out),
        _callback(on_epoch),
        resume,
        force,
        progress,
    )
    return json.loads(report)


def finetune(
    model: Optional[PathLike] = None,
    data: Optional[PathLike] = None,
    out: Optional[PathLike] = None,
    on_epoch: Optional[EpochCallback] = None,
    progress: bool = False,
    **settings: Any,
) -> Dict[str, Any]:
    """Fine-tunes a text model (a twinnet text model or a sentence-transformers folder) as
    ``twinnet finetune`` does and writes it to ``out`` after every epoch.

    ``settings`` are ``twinnet finetune``'s flags in snake_case: ``format`` (pairs, triplets,
    labeled), ``loss`` (contrastive, online-contrastive, mnrl, cosent, mse, triplet),
    ``epochs``, ``batch_size``, ``lr``, ``val``, ``seed``, ``resume``, ``force``, … (an unknown
    one is an error). Without ``model``, ``tokenizer=DIR`` trains a bag-of-wordpieces tower from
    scratch. ``on_epoch`` and Ctrl-C behave as in :func:`train`. Returns the report.
    """
    options: Dict[str, Any] = {k: _plain(v) for k, v in settings.items()}
    for key, value in (("model", model), ("data", data), ("out", out)):
        if value is not None:
            options[key] = os.fspath(value)
    report = _twinnet.finetune(json.dumps(options), _callback(on_epoch), progress)
    return json.loads(report)


def _plain(value: Any) -> Any:
    return os.fspath(value) if isinstance(value, os.PathLike) else value
