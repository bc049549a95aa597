"""The retriever the engine asks: dense, BM25 or both fused, from completely ingested
documents only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..config import RetrieverMode, Settings
from ..models.embedding import Embedder
from ..store import Store
from ..types import Passage
from .bm25 import BM25Index
from .dense import DenseIndex
from .fusion import FusionTuning, fuse
from .terms import TermStats


class Retriever:
    def __init__(
        self,
        store: Store,
        get_embedder: Callable[[], Embedder],
        settings: Settings,
        tuning: FusionTuning | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.tuning = tuning or FusionTuning()
        self.dense = DenseIndex(store, get_embedder)
        self.bm25 = BM25Index(store, settings, self.tuning.depth)

    def retrieve(
        self, query: str, k: int | None = None, mode: RetrieverMode | None = None
    ) -> list[Passage]:
        """The top-k passages for a query, best first, from completely ingested documents."""
        k = k or self.settings.top_k
        mode = mode or self.settings.retriever
        depth = max(self.tuning.depth, 2 * k)
        ranked: list[list[tuple[Any, float]]] = []
        names: list[str] = []
        if mode in ("dense", "hybrid"):
            ranked.append(self.dense.search(query, depth if mode == "hybrid" else k + 5))
            names.append("dense")
        if mode in ("bm25", "hybrid"):
            ranked.append(self.bm25.search(query, depth if mode == "hybrid" else k + 5))
            names.append("bm25")
        passages = fuse(ranked, names, self.tuning)
        return self._committed_only(passages)[:k]

    def term_stats(self) -> TermStats:
        """Document frequencies of content words over all chunks, in step with the store."""
        return self.bm25.term_stats()

    def invalidate(self) -> None:
        """Forget cached indexes (after the collection was dropped or rebuilt)."""
        self.dense.invalidate()
        self.bm25.invalidate()

    def forget_text(self) -> None:
        """Drop every copy of chunk text kept outside the store (the BM25 index and term
        statistics, in memory and on disk), after documents were deleted."""
        self.bm25.forget()

    def _committed_only(self, candidates: list[tuple[Passage, str]]) -> list[Passage]:
        """Drop chunks of documents whose ingestion is incomplete or superseded.

        Documents known complete at the current version pass without a Chroma call; any
        other (an ingest not yet seen, or under way) is checked in the store itself.
        """
        hashes = self.bm25.committed_hashes()
        unknown = sorted({p.doc_id for p, h in candidates if hashes.get(p.doc_id) != h})
        if unknown:
            hashes = {**hashes, **self.store.committed(unknown)}
        kept = [p for p, content_hash in candidates if hashes.get(p.doc_id) == content_hash]
        for rank, passage in enumerate(kept, start=1):
            passage.rank = rank
        return kept
