"""BM25 over every chunk (llama-index-retrievers-bm25), in step with the store.

The index is rebuilt whenever the store's version moves, so it never drifts from the chunks
that dense retrieval sees. The version is read from Chroma at most every VERSION_CHECK_S
seconds (changes made through this process's store are seen at once), and the content hash of
every complete document is kept with the index, so a warm query costs one Chroma call: the
dense search. The index and the term statistics are saved under data_dir/cache/bm25, keyed by
the store version, so a new process (the web app, a one-shot `briefing ask`) loads them
instead of rebuilding.

Each chunk is indexed with its document's title (store.chunk_context(), as it is embedded), so
a question naming a topic finds the chunks that only the title ties to it. The term statistics
count the chunks' own words only: the answerers weigh the words of the sentences they quote.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from ..config import Settings
from ..store import CHUNK_CONTEXT, Store
from .terms import TermStats

log = logging.getLogger(__name__)

# How stale the store version may be, in seconds, before a query reads it again: bounds how
# long an ingest by another process goes unseen, and spares a round trip on every query.
VERSION_CHECK_S = 1.0
# Bump when what _save writes changes: older caches are then ignored.
BM25_CACHE_FORMAT = 1


class BM25Index:
    """The BM25 retriever, the term statistics and the complete documents' content hashes, all
    as of one store version."""

    def __init__(self, store: Store, settings: Settings, depth: int) -> None:
        self.store = store
        self.settings = settings
        self._depth = depth
        self._retriever: Any = None
        self._version: str | None = None
        self.size = 0  # chunks in the index
        self.hashes: dict[str, str] = {}  # content hash of each complete document
        self.stats = TermStats([])
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Bring the index, statistics and hashes up to the store's version."""
        version = self.store.version(max_age=VERSION_CHECK_S)
        with self._lock:
            if self._version != version:
                self.hashes = {
                    doc_id: info.content_hash for doc_id, info in self.store.documents().items()
                }
                self._retriever = self._load_or_build(version)
                self._version = version

    def search(self, query: str, depth: int) -> list[tuple[Any, float]]:
        """(node, BM25 score) of the best ``depth`` chunks that share a word with the query."""
        from llama_index.core.schema import QueryBundle

        self.refresh()
        # The index and its size are read together under the lock: another question may
        # have rebuilt the index (after an ingest) since the line above.
        with self._lock:
            retriever = self._retriever
            if retriever is None:
                return []
            retriever.similarity_top_k = min(depth, self.size)
            results = retriever.retrieve(QueryBundle(query_str=query))
        return [(r.node, float(r.score or 0.0)) for r in results if (r.score or 0.0) > 0]

    def term_stats(self) -> TermStats:
        """Document frequencies of content words over all chunks, in step with the store."""
        self.refresh()
        return self.stats

    def committed_hashes(self) -> dict[str, str]:
        self.refresh()
        return self.hashes

    def invalidate(self) -> None:
        """Forget the index (after the collection was dropped or rebuilt)."""
        with self._lock:
            self._version = None

    def forget(self) -> None:
        """Drop the index, the statistics and every saved copy of them: after a document was
        deleted nothing here may still hold its text. The next query builds them anew. Under
        the lock, so a build under way cannot save the old chunks after this."""
        with self._lock:
            self._version = None
            self._retriever = None
            self.stats = TermStats([])
            self.hashes = {}
            self.size = 0
            shutil.rmtree(self._collection_cache(), ignore_errors=True)

    # --- building, and the cache across processes ----------------------------------------
    def _load_or_build(self, version: str) -> Any:
        folder = self._cache_folder(version)
        if folder is not None and (folder / "stats.json").is_file():
            try:
                return self._load(folder)
            except (OSError, ValueError, KeyError, TypeError) as exc:  # rebuilt below
                log.warning("ignoring the unreadable BM25 cache %s: %s", folder, exc)
        retriever = self._build()
        if folder is not None and retriever is not None:
            try:
                self._save(folder, retriever)
            except OSError as exc:
                log.warning("could not cache the BM25 index in %s: %s", folder, exc)
        return retriever

    def _cache_folder(self, version: str) -> Path | None:
        """The cache folder of this collection's index at a version (None: do not cache)."""
        if version == "0":  # not a unique version: never bumped
            return None
        # Versions are unique (time, process, random), so they need no store address: a
        # Chroma server's cache survives the server moving to another port. What the index
        # holds besides chunk text (CHUNK_CONTEXT) is in the key: a cache of chunks indexed
        # without their titles is never loaded.
        key = f"{BM25_CACHE_FORMAT}|{CHUNK_CONTEXT}|{self.store.name}|{version}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return self._collection_cache() / digest

    def _collection_cache(self) -> Path:
        return self.settings.data_dir / "cache" / "bm25" / self.store.name

    def _save(self, folder: Path, retriever: Any) -> None:
        """Write to a private folder, then rename: readers never see half a cache. Older
        versions of this collection's cache are removed."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = folder.parent / f".{folder.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            retriever.persist(str(tmp), show_progress=False)
            stats = {"chunks": self.stats.chunks, "df": self.stats.df, "size": self.size}
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

    def _load(self, folder: Path) -> Any:
        from llama_index.retrievers.bm25 import BM25Retriever

        _quiet_bm25s()
        stats = json.loads((folder / "stats.json").read_text(encoding="utf-8"))
        retriever = BM25Retriever.from_persist_dir(str(folder))
        self.stats = TermStats.from_counts(int(stats["chunks"]), stats["df"])
        self.size = int(stats["size"])
        log.info("loaded the BM25 index over %d chunks from %s", self.size, folder)
        return retriever

    def _build(self) -> Any:
        from llama_index.retrievers.bm25 import BM25Retriever

        _quiet_bm25s()
        # BM25Retriever indexes each node's MetadataMode.EMBED content: title, then text.
        nodes = [record.node() for record in self.store.iter_chunks()]
        self.stats = TermStats([node.text for node in nodes])  # the chunks' own text
        self.size = len(nodes)
        if not nodes:
            return None
        log.info("building the BM25 index over %d chunks", len(nodes))
        return BM25Retriever.from_defaults(
            nodes=nodes, similarity_top_k=min(self._depth, len(nodes))
        )


def _quiet_bm25s() -> None:
    # bm25s sets its own logger to DEBUG on import; keep it at our level.
    logging.getLogger("bm25s").setLevel(max(log.getEffectiveLevel(), logging.INFO))
