"""Dense search: the question's embedding against the chunk vectors, through LlamaIndex's
vector store index over the Chroma collection."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

from ..models.build import llama_embedding
from ..models.embedding import Embedder
from ..store import Store


class DenseIndex:
    def __init__(self, store: Store, get_embedder: Callable[[], Embedder]) -> None:
        self.store = store
        self._get_embedder = get_embedder
        self._index: Any = None

    def search(self, query: str, depth: int) -> list[tuple[Any, float]]:
        """(node, cosine similarity) of the ``depth`` nearest chunks."""
        from llama_index.core.schema import QueryBundle

        # A retriever per question: questions answered at once may ask for different depths.
        retriever = self._vector_index().as_retriever(similarity_top_k=depth)
        vector = self._get_embedder().embed_query(query).tolist()
        results = retriever.retrieve(QueryBundle(query_str=query, embedding=vector))
        # Chroma returns cosine distance; LlamaIndex turns it into exp(-distance).
        return [(r.node, 1.0 + math.log(max(r.score or 1e-12, 1e-12))) for r in results]

    def _vector_index(self) -> Any:
        if self._index is None:
            from llama_index.core import VectorStoreIndex

            self._index = VectorStoreIndex.from_vector_store(
                self.store.vector_store,
                embed_model=llama_embedding(self._get_embedder()),
                transformations=[_read_only()],
            )
        return self._index

    def invalidate(self) -> None:
        """Forget the index (after the collection was dropped: its vector store is new)."""
        self._index = None


@cache
def _read_only() -> Any:
    """The index's one transformation. It only reads: chunks are written by `assistant.ingest`,
    never through it. Without a transformation of its own LlamaIndex builds its default
    sentence splitter, whose tiktoken vocabulary costs 0.3 s of every cold start, and an insert
    through the index would chunk documents some other way than ingestion does."""
    from llama_index.core.schema import TransformComponent

    class ReadOnly(TransformComponent):
        def __call__(self, nodes: Any, **kwargs: Any) -> Any:
            raise RuntimeError(
                "The dense index only reads the store: add documents with `briefing ingest`."
            )

    return ReadOnly()
