"""Question -> ranked passages: dense (LlamaIndex over Chroma), BM25, or both fused by
reciprocal rank. The BM25 index is rebuilt from the store whenever the store's version moves,
so it never drifts from the chunks that dense retrieval sees.

The version is read from Chroma at most every VERSION_CHECK_S seconds (changes made through
this process's store are seen at once), and the content hash of every complete document is
kept with the BM25 index, so a warm query costs one Chroma call: the dense search. The BM25
index and term statistics are saved under data_dir/cache/bm25, keyed by the store version, so
a new process (the web app, a one-shot `briefing ask`) loads them instead of rebuilding."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import RetrieverMode, Settings
from .models.build import llama_embedding
from .models.embedding import Embedder
from .store import ChunkRecord, Store
from .text import content_words
from .types import Passage

log = logging.getLogger(__name__)

# Weighted reciprocal-rank fusion: score = sum of weight / (RRF_K + rank). Measured on 1,500
# SQuAD v1.1 dev questions over all 2,067 paragraphs (hit@1 / hit@5): plain RRF (k=60, equal
# weights) 0.711 / 0.925, BM25 alone 0.775 / 0.921, dense alone 0.600 / 0.842, these values
# 0.759 / 0.945. On the seed set (many paraphrases) they raise source recall@1 from 0.804 to
# 0.817. A heavier BM25 weight (3.0) wins SQuAD's hit@1 (0.778) but costs the seed set's
# paraphrases (recall@1 0.760), so the balance is kept here.
RRF_K = 5
FUSION_WEIGHTS = {"dense": 1.0, "bm25": 1.5}
# Each retriever contributes this many candidates (at least) to the fusion.
FUSION_DEPTH = 20
# How stale the store version may be, in seconds, before a query reads it again: bounds how
# long an ingest by another process goes unseen, and spares a round trip on every query.
VERSION_CHECK_S = 1.0
# Bump when what _save_bm25 writes changes: older caches are then ignored.
BM25_CACHE_FORMAT = 1


class Retriever:
    def __init__(self, store: Store, get_embedder: Callable[[], Embedder], settings: Settings):
        self.store = store
        self.settings = settings
        self._get_embedder = get_embedder
        self._dense: Any = None
        self._bm25: Any = None
        self._bm25_version: str | None = None
        self._bm25_size = 0
        # Content hash of each complete document, as of _bm25_version.
        self._hashes: dict[str, str] = {}
        self._stats = TermStats([])
        self._lock = threading.Lock()

    def retrieve(
        self, query: str, k: int | None = None, mode: RetrieverMode | None = None
    ) -> list[Passage]:
        """The top-k passages for a query, best first, from completely ingested documents."""
        k = k or self.settings.top_k
        mode = mode or self.settings.retriever
        depth = max(FUSION_DEPTH, 2 * k)
        ranked: list[list[tuple[Any, float]]] = []
        names: list[str] = []
        if mode in ("dense", "hybrid"):
            ranked.append(self._dense_search(query, depth if mode == "hybrid" else k + 5))
            names.append("dense")
        if mode in ("bm25", "hybrid"):
            ranked.append(self._bm25_search(query, depth if mode == "hybrid" else k + 5))
            names.append("bm25")
        passages = _fuse(ranked, names)
        return self._committed_only(passages)[:k]

    # --- the two retrievers ---------------------------------------------------------------
    def _dense_search(self, query: str, depth: int) -> list[tuple[Any, float]]:
        from llama_index.core.schema import QueryBundle

        # A retriever per question: questions answered at once may ask for different depths.
        retriever = self._dense_index().as_retriever(similarity_top_k=depth)
        vector = self._get_embedder().embed_query(query).tolist()
        results = retriever.retrieve(QueryBundle(query_str=query, embedding=vector))
        # Chroma returns cosine distance; LlamaIndex turns it into exp(-distance).
        return [(r.node, 1.0 + math.log(max(r.score or 1e-12, 1e-12))) for r in results]

    def _dense_index(self) -> Any:
        if self._dense is None:
            from llama_index.core import VectorStoreIndex

            self._dense = VectorStoreIndex.from_vector_store(
                self.store.vector_store, embed_model=llama_embedding(self._get_embedder())
            )
        return self._dense

    def _bm25_search(self, query: str, depth: int) -> list[tuple[Any, float]]:
        from llama_index.core.schema import QueryBundle

        self._bm25_retriever()  # brings the index up to date
        # The index and its size are read together under the lock: another question may
        # have rebuilt the index (after an ingest) since the line above.
        with self._lock:
            retriever = self._bm25
            if retriever is None:
                return []
            retriever.similarity_top_k = min(depth, self._bm25_size)
            results = retriever.retrieve(QueryBundle(query_str=query))
        return [(r.node, float(r.score or 0.0)) for r in results if (r.score or 0.0) > 0]

    def _bm25_retriever(self) -> Any:
        version = self.store.version(max_age=VERSION_CHECK_S)
        with self._lock:
            if self._bm25_version != version:
                self._hashes = {
                    doc_id: info.content_hash for doc_id, info in self.store.documents().items()
                }
                self._bm25 = self._load_or_build_bm25(version)
                self._bm25_version = version
            return self._bm25

    def term_stats(self) -> TermStats:
        """Document frequencies of content words over all chunks, in step with the store."""
        self._bm25_retriever()
        return self._stats

    def _load_or_build_bm25(self, version: str) -> Any:
        folder = self._bm25_cache(version)
        if folder is not None and (folder / "stats.json").is_file():
            try:
                return self._load_bm25(folder)
            except (OSError, ValueError, KeyError, TypeError) as exc:  # rebuilt below
                log.warning("ignoring the unreadable BM25 cache %s: %s", folder, exc)
        retriever = self._build_bm25()
        if folder is not None and retriever is not None:
            try:
                self._save_bm25(folder, retriever)
            except OSError as exc:
                log.warning("could not cache the BM25 index in %s: %s", folder, exc)
        return retriever

    def _bm25_cache(self, version: str) -> Path | None:
        """The cache folder of this collection's BM25 index at a version (None: do not cache)."""
        if version in ("0", "empty"):  # not a unique version: never bumped
            return None
        settings = self.settings
        # Versions are unique (time, process, random), so they need no store address: a
        # Chroma server's cache survives the server moving to another port.
        key = f"{BM25_CACHE_FORMAT}|{self.store.name}|{version}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return settings.data_dir / "cache" / "bm25" / self.store.name / digest

    def _save_bm25(self, folder: Path, retriever: Any) -> None:
        """Write to a private folder, then rename: readers never see half a cache. Older
        versions of this collection's cache are removed."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = folder.parent / f".{folder.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            retriever.persist(str(tmp), show_progress=False)
            stats = {"chunks": self._stats.chunks, "df": self._stats.df, "size": self._bm25_size}
            (tmp / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
            os.rename(tmp, folder)
        except OSError:
            if not folder.is_dir():  # another process may have written the same version
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for old in folder.parent.iterdir():
            if old != folder and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)

    def _load_bm25(self, folder: Path) -> Any:
        from llama_index.retrievers.bm25 import BM25Retriever

        _quiet_bm25s()
        stats = json.loads((folder / "stats.json").read_text(encoding="utf-8"))
        retriever = BM25Retriever.from_persist_dir(str(folder))
        self._stats = TermStats.from_counts(int(stats["chunks"]), stats["df"])
        self._bm25_size = int(stats["size"])
        log.info("loaded the BM25 index over %d chunks from %s", self._bm25_size, folder)
        return retriever

    def _build_bm25(self) -> Any:
        from llama_index.core.schema import BaseNode, TextNode
        from llama_index.retrievers.bm25 import BM25Retriever

        _quiet_bm25s()

        nodes: list[BaseNode] = [
            TextNode(id_=record.chunk_id, text=record.text, metadata=record.metadata())
            for record in self.store.iter_chunks()
        ]
        self._stats = TermStats([node.get_content() for node in nodes])
        self._bm25_size = len(nodes)
        if not nodes:
            return None
        for node in nodes:
            node.excluded_embed_metadata_keys = list(node.metadata)
        log.info("building the BM25 index over %d chunks", len(nodes))
        return BM25Retriever.from_defaults(
            nodes=nodes, similarity_top_k=min(FUSION_DEPTH, len(nodes))
        )

    def invalidate(self) -> None:
        """Forget cached indexes (after the collection was dropped or rebuilt)."""
        with self._lock:
            self._dense = None
            self._bm25_version = None

    def _committed_only(self, candidates: list[tuple[Passage, str]]) -> list[Passage]:
        """Drop chunks of documents whose ingestion is incomplete or superseded.

        Documents known complete at the current version pass without a Chroma call; any
        other (an ingest not yet seen, or under way) is checked in the store itself.
        """
        self._bm25_retriever()  # brings self._hashes up to date
        hashes = self._hashes
        unknown = sorted({p.doc_id for p, h in candidates if hashes.get(p.doc_id) != h})
        if unknown:
            hashes = {**hashes, **self.store.committed(unknown)}
        kept = [p for p, content_hash in candidates if hashes.get(p.doc_id) == content_hash]
        for rank, passage in enumerate(kept, start=1):
            passage.rank = rank
        return kept


def _quiet_bm25s() -> None:
    # bm25s sets its own logger to DEBUG on import; keep it at our level.
    logging.getLogger("bm25s").setLevel(max(log.getEffectiveLevel(), logging.INFO))


class TermStats:
    """How many chunks hold each (stemmed) content word: rare words carry more evidence."""

    def __init__(self, texts: list[str]) -> None:
        self.chunks = max(len(texts), 1)
        self.df: Counter[str] = Counter()
        for text in texts:
            self.df.update(set(content_words(text)))

    @classmethod
    def from_counts(cls, chunks: int, df: dict[str, int]) -> TermStats:
        stats = cls([])
        stats.chunks = max(chunks, 1)
        stats.df = Counter(df)
        return stats

    def idf(self, word: str) -> float:
        """Inverse document frequency; a word found nowhere gets the weight of a unique one."""
        return math.log(1.0 + self.chunks / (self.df.get(word, 0) + 1.0))


def _fuse(ranked: list[list[tuple[Any, float]]], names: list[str]) -> list[tuple[Passage, str]]:
    """Reciprocal-rank fusion (a single list keeps its own order and scores), with each
    passage's document content hash."""
    fused: dict[str, float] = {}
    nodes: dict[str, Any] = {}
    scores: dict[str, dict[str, float]] = {}
    for name, results in zip(names, ranked):
        for rank, (node, score) in enumerate(results, start=1):
            nid = node.node_id
            nodes[nid] = node
            scores.setdefault(nid, {})[name] = round(score, 6)
            weight = FUSION_WEIGHTS[name] / (RRF_K + rank)
            fused[nid] = fused.get(nid, 0.0) + (weight if len(ranked) > 1 else score)
    passages = []
    for nid in sorted(fused, key=lambda n: -fused[n]):
        record = ChunkRecord.from_metadata(nid, nodes[nid].get_content(), nodes[nid].metadata)
        passage = record.passage(score=round(fused[nid], 6), scores=scores[nid])
        passages.append((passage, record.content_hash))
    return passages
