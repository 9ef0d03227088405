"""Python values -> the tagged tuples and byte buffers the native module takes."""

from __future__ import annotations

import os
from typing import Any, List, Sequence, Tuple

import numpy as np

from ._errors import InvalidInputError

#: One input as the native module takes it.
Tagged = Tuple[Any, ...]


def pixels_of(array: np.ndarray, name: str) -> Tuple[bytes, str, int, int, int]:
    """The bytes, dtype and height/width/channels of one H×W or H×W×C image array."""
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise InvalidInputError(
            f"{name}: an image array is H×W or H×W×C, not of shape {array.shape}"
        )
    data, dtype = _contiguous(array, name)
    h, w, c = array.shape
    return data, dtype, h, w, c


def _contiguous(array: np.ndarray, name: str) -> Tuple[bytes, str]:
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array).tobytes(), "uint8"
    if np.issubdtype(array.dtype, np.floating):
        return np.ascontiguousarray(array, dtype=np.float32).tobytes(), "float32"
    raise InvalidInputError(
        f"{name}: arrays of {array.dtype} are not images; give uint8 (0-255) or float (0-1)"
    )


def tag(item: Any, kind: str, index: int) -> Tagged:
    """One input: a path (image models), a text (text models), encoded image bytes, or an
    image array."""
    name = f"input {index}"
    if isinstance(item, np.ndarray):
        if kind == "text":
            raise InvalidInputError(f"{name}: this is a text model; give strings, not arrays")
        data, dtype, h, w, c = pixels_of(item, name)
        return ("pixels", data, dtype, h, w, c, name)
    if isinstance(item, (bytes, bytearray, memoryview)):
        if kind == "text":
            raise InvalidInputError(f"{name}: this is a text model; give strings, not bytes")
        return ("bytes", bytes(item), name)
    if kind == "text":
        if isinstance(item, str):
            return ("text", item)
        raise InvalidInputError(
            f"{name}: this is a text model; give strings, not {type(item).__name__}"
        )
    if isinstance(item, (str, os.PathLike)):
        return ("file", os.fspath(item))
    raise InvalidInputError(
        f"{name}: {type(item).__name__} is not an image path, image bytes or array"
    )


def tag_all(inputs: Any, kind: str) -> List[Tagged]:
    """A list of inputs (a single path or text counts as a list of one)."""
    if isinstance(inputs, (str, os.PathLike, bytes)):
        inputs = [inputs]
    if not isinstance(inputs, Sequence) and not hasattr(inputs, "__iter__"):
        raise InvalidInputError(f"{type(inputs).__name__} is not a list of inputs")
    return [tag(item, kind, i) for i, item in enumerate(inputs)]


def batch_of(array: np.ndarray) -> Tuple[bytes, str, Tuple[int, int, int, int]]:
    """An N×H×W or N×H×W×C batch as bytes."""
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4:
        raise InvalidInputError(
            f"a batch of images is N×H×W or N×H×W×C, not of shape {array.shape}"
        )
    data, dtype = _contiguous(array, "array")
    n, h, w, c = array.shape
    return data, dtype, (n, h, w, c)
