"""The embedding model on sentence-transformers and torch: the reference implementation, and
the fallback when no ONNX export exists (it costs ~6 s of imports at start)."""

from __future__ import annotations

import threading

import numpy as np

from .embedding import QueryCache, canonical_name, model_dir, offline_env


class TorchEmbedder:
    """sentence-transformers on torch; interchangeable with OnnxEmbedder."""

    def __init__(self, name: str, threads: int) -> None:
        offline_env()
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.name = canonical_name(name)
        self._model = SentenceTransformer(str(model_dir(name)), device="cpu")
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self.window = int(self._model.max_seq_length or 256)
        self._queries = QueryCache()
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
        return self._queries.vector(text, self.embed)
