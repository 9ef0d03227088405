"""Type stubs of the native module (use the `twinnet` package rather than this)."""

from typing import Any, Callable, List, Optional, Sequence, Tuple

__version__: str

Tagged = Tuple[Any, ...]

class NativeModel:
    @staticmethod
    def load(path: str) -> "NativeModel": ...
    def embed(self, items: Sequence[Tagged]) -> bytes: ...
    def embed_array(
        self, data: bytes, dtype: str, shape: Tuple[int, int, int, int]
    ) -> bytes: ...
    def verify(self, a: Tagged, b: Tagged) -> Tuple[float, Optional[float], Optional[bool]]: ...
    def distances(self, a: bytes, b: bytes, dim: int) -> List[float]: ...
    def manifest_json(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def threshold(self) -> Optional[float]: ...
    @property
    def kind(self) -> str: ...
    @property
    def input_shape(self) -> Optional[Tuple[int, int, int]]: ...
    @property
    def path(self) -> str: ...

class NativeGallery:
    def __init__(self, spec: str, model: NativeModel, index_above: int = ...) -> None: ...
    def enroll(self, label: str, items: Sequence[Tagged]) -> List[int]: ...
    def identify(
        self, items: Sequence[Tagged], top_k: int, threshold: Optional[float] = None
    ) -> str: ...
    def remove(self, id: int) -> bool: ...
    def entries(self) -> str: ...
    def __len__(self) -> int: ...

def train(
    recipe_json: Optional[str],
    recipe_path: Optional[str],
    data: Optional[str],
    out: Optional[str],
    on_epoch: Optional[Callable[[str], Any]] = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = False,
) -> str: ...
def finetune(
    options_json: str,
    on_epoch: Optional[Callable[[str], Any]] = None,
    progress: bool = False,
) -> str: ...
def verification(
    distances: Sequence[float],
    same: Sequence[bool],
    threshold: Optional[float] = None,
    fars: Sequence[float] = ...,
) -> str: ...
def oneshot(
    embeddings: bytes,
    dim: int,
    labels: Sequence[int],
    names: Sequence[str],
    groups: Optional[Sequence[int]],
    ways: int,
    shots: int,
    episodes: int,
    seed: int,
    distance: str,
    rule: str,
) -> str: ...
