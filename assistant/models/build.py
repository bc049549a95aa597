"""Which embedding model runs: the factory the engine calls, and the model's LlamaIndex view.

Heavy libraries (torch, sentence-transformers, onnxruntime) load inside the backends, so
`briefing --help` and unchanged re-ingests never load a model.
"""

from __future__ import annotations

from typing import Any

from ..config import Settings
from ..errors import ConfigError
from .embedding import Embedder


def build_embedder(settings: Settings) -> Embedder:
    """The configured embedding model, ready to use."""
    backend = settings.embedding_backend
    if backend in ("onnx", "auto"):
        from .onnx_runtime import OnnxEmbedder, onnx_available

        if onnx_available(settings):
            return OnnxEmbedder(settings)
        if backend == "onnx":
            raise ConfigError(
                "BRIEFING_EMBEDDING_BACKEND=onnx but the ONNX export of the model is missing: "
                "run `briefing export-onnx` (or `make setup`), or set BRIEFING_EMBEDDING_BACKEND=torch."
            )
    from .torch_embedder import TorchEmbedder

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
