"""The Chroma client and the two collections of a store (see the package docstring)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from ..config import Settings
from ..errors import ModelMismatch, NotIngested, StoreUnavailable, unwritable_data_dir
from ..types import DocumentInfo
from .records import CHUNK_CONTEXT, SENTENCE_VECTORS_KEY, ChunkRecord

log = logging.getLogger(__name__)

_PAGE = 2000
# Chroma needs an embedding on every record; document records are looked up by id only.
_DOC_VECTOR = [1.0]
# The key of the documents collection's metadata that records CHUNK_CONTEXT.
_CONTEXT_KEY = "chunk_context"


def _client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        where = f"{settings.chroma_host}:{settings.chroma_port}"
        try:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
            client.heartbeat()
        except Exception as exc:
            raise StoreUnavailable(
                f"Cannot reach the Chroma server at {where} ({type(exc).__name__}). Start it "
                f"with `chroma run --port {settings.chroma_port}`, or check BRIEFING_CHROMA_HOST"
                " / BRIEFING_CHROMA_PORT (unset BRIEFING_CHROMA_HOST to use the embedded store)."
            ) from exc
        return client
    path = settings.chroma_path
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise unwritable_data_dir(settings.data_dir, exc) from exc
    try:
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        raise StoreUnavailable(
            f"Cannot open the embedded Chroma store in {path}: {exc}. Set BRIEFING_DATA_DIR to "
            "another folder, or delete this one and run `briefing ingest` again."
        ) from exc


def _connection_lost(exc: BaseException) -> bool:
    """Whether an exception (or one it was raised from) is a failed or dropped connection,
    or the server answering that it is not ready (503 while it starts)."""
    import httpx

    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, httpx.TransportError | ConnectionError | TimeoutError):
            return True
        if "503" in str(seen) or "Service Unavailable" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _not_found(exc: Exception) -> bool:
    return type(exc).__name__ in ("NotFoundError", "InvalidCollectionException") or (
        "does not exist" in str(exc)
    )


class Store:
    """Chunks and documents of one collection."""

    def __init__(self, settings: Settings, model_name: str) -> None:
        self.settings = settings
        self.model_name = model_name
        self.client = _client(settings)
        self.name = settings.collection
        # A store built with another embedding model can still be dropped (`ingest --rebuild`,
        # which the error advises); everything else raises the mismatch.
        self._mismatch: ModelMismatch | None = None
        self._chunk_collection: Any = None
        try:
            self._chunk_collection = self._collection(self.name, chunks=True)
        except ModelMismatch as exc:
            self._mismatch = exc
        self._docs = self._collection(f"{self.name}-docs", chunks=False)
        self._vector_store: Any = None
        # (version, monotonic time it was read or written here): see version(max_age=...).
        self._seen_version: tuple[str, float] | None = None
        if self._mismatch is None:
            self._check_context()

    @property
    def _chunks(self) -> Any:
        if self._mismatch is not None:
            raise self._mismatch
        return self._chunk_collection

    def check_model(self) -> None:
        """ModelMismatch when the chunks were embedded with another model than configured."""
        if self._mismatch is not None:
            raise self._mismatch

    # --- opening --------------------------------------------------------------------------
    def _collection(self, name: str, chunks: bool) -> Any:
        """The collection, created when it does not exist yet."""
        try:
            collection = self.client.get_collection(name, embedding_function=None)
        except Exception as exc:
            if not _not_found(exc):
                raise StoreUnavailable(f"Cannot open collection {name!r}: {exc}") from exc
            metadata: dict[str, Any] = {"created_at": _now()}
            if chunks:
                metadata |= {"hnsw:space": "cosine", "embedding_model": self.model_name}
            else:
                metadata[_CONTEXT_KEY] = CHUNK_CONTEXT
            return self.client.create_collection(name, metadata=metadata, embedding_function=None)
        if chunks:
            stored = (collection.metadata or {}).get("embedding_model")
            if stored and stored != self.model_name:
                raise ModelMismatch(
                    f"Collection {name!r} was built with the embedding model {stored!r}, but "
                    f"{self.model_name!r} is configured. Either set BRIEFING_EMBEDDING_MODEL="
                    f"{stored} or rebuild the collection with `briefing ingest --rebuild`."
                )
        return collection

    def _check_context(self) -> None:
        """An empty store takes the current CHUNK_CONTEXT; a store of chunks embedded otherwise
        is named in a warning (the next ingest re-embeds it; questions are answered meanwhile)."""
        if self.context_current():
            return
        chunks = self._chunks.count()
        if chunks == 0:
            self.mark_context()
            return
        log.warning(
            "Collection %r holds %d chunks embedded without their document's title (an older "
            "format): answers still work, and the next `briefing ingest` (or an upload or "
            "re-index in the web app) re-embeds them once, reading no file again.",
            self.name,
            chunks,
        )

    @contextmanager
    def reachable(self) -> Iterator[None]:
        """Turn a lost connection to the Chroma server into StoreUnavailable, a message for
        people. Nothing needs rebuilding: the HTTP client reconnects on its next call, so
        questions are answered again as soon as the server is back."""
        try:
            yield
        except StoreUnavailable:
            raise
        except Exception as exc:
            if not (self.settings.chroma_host and _connection_lost(exc)):
                raise
            where = f"{self.settings.chroma_host}:{self.settings.chroma_port}"
            raise StoreUnavailable(
                f"The Chroma server at {where} cannot be reached ({type(exc).__name__}); "
                "check that it is running (`chroma run`). Nothing is lost: this works again "
                "as soon as the server is back."
            ) from exc

    def require_ingested(self) -> None:
        if self._chunks.count() == 0:
            raise NotIngested(
                "Nothing is indexed yet: run `briefing ingest` (it reads corpus/ by default) "
                "or upload documents in the web app."
            )

    @property
    def vector_store(self) -> Any:
        """LlamaIndex's view of the chunk collection, for dense retrieval."""
        if self._vector_store is None:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self._vector_store = ChromaVectorStore(chroma_collection=self._chunks)
        return self._vector_store

    def drop(self) -> None:
        """Delete both collections (for --rebuild), then recreate them empty."""
        for name in (self.name, f"{self.name}-docs"):
            try:
                self.client.delete_collection(name)
            except Exception as exc:
                if not _not_found(exc):
                    raise
        self._vector_store = None
        self._seen_version = None
        self._chunk_collection = self._collection(self.name, chunks=True)
        self._mismatch = None
        self._docs = self._collection(f"{self.name}-docs", chunks=False)

    # --- version: lets every reader notice that the chunks changed -------------------------
    def version(self, max_age: float = 0.0) -> str:
        """A token that changes whenever any process adds, replaces or removes documents.

        Reading it is a Chroma round trip (an HTTP request in server mode). With ``max_age``
        (seconds) the last value read or written through this Store is reused while younger
        than that: changes made through this Store are seen at once, changes made by other
        processes within ``max_age``.
        """
        seen = self._seen_version
        if seen is not None and max_age > 0 and time.monotonic() - seen[1] < max_age:
            return seen[0]
        version = str(self._docs_metadata().get("version", "0"))
        self._seen_version = (version, time.monotonic())
        return version

    def bump_version(self) -> None:
        version = f"{_now()}-{os.getpid()}-{os.urandom(3).hex()}"
        self._update_docs_metadata(version=version)
        self._seen_version = (version, time.monotonic())

    # --- what the chunks' vectors were made from (CHUNK_CONTEXT) -----------------------------
    def context_current(self) -> bool:
        """Whether the chunks were embedded with the current CHUNK_CONTEXT (read from the store:
        a re-embedding by another process counts)."""
        return self._docs_metadata().get(_CONTEXT_KEY) == CHUNK_CONTEXT

    def mark_context(self) -> None:
        """Record that every chunk is now embedded with the current CHUNK_CONTEXT."""
        self._update_docs_metadata(**{_CONTEXT_KEY: CHUNK_CONTEXT})

    def _docs_metadata(self) -> dict[str, Any]:
        collection = self.client.get_collection(f"{self.name}-docs", embedding_function=None)
        return dict(collection.metadata or {})

    def _update_docs_metadata(self, **changes: str) -> None:
        # Chroma replaces a collection's metadata whole: read it fresh, or a key written since
        # this Store opened (by another process too) would be lost.
        self._docs.modify(metadata=self._docs_metadata() | changes)

    # --- documents ------------------------------------------------------------------------
    def documents(self) -> dict[str, DocumentInfo]:
        found: dict[str, DocumentInfo] = {}
        for offset in range(0, self._docs.count(), _PAGE):
            page = self._docs.get(include=["metadatas"], limit=_PAGE, offset=offset)
            for doc_id, meta in zip(page["ids"], page["metadatas"]):
                found[doc_id] = DocumentInfo(doc_id=doc_id, **json.loads(meta["info"]))
        return found

    def document_text(self, doc_id: str) -> str | None:
        page = self._docs.get(ids=[doc_id], include=["documents"])
        return page["documents"][0] if page["ids"] else None

    def put_documents(self, items: Iterable[tuple[DocumentInfo, str]]) -> None:
        """Write document records in one call: a Chroma write costs ~20x more per record
        when made one record at a time."""
        items = list(items)
        if not items:
            return
        self._docs.upsert(
            ids=[info.doc_id for info, _ in items],
            embeddings=[_DOC_VECTOR] * len(items),
            documents=[text for _, text in items],
            metadatas=[
                {"info": json.dumps(info.model_dump(exclude={"doc_id"})), "source": info.source}
                for info, _ in items
            ],
        )

    def delete_documents(self, doc_ids: list[str]) -> None:
        """Remove documents and their chunks, in two Chroma calls. The commit marker goes
        first, so a crash halfway leaves a re-ingestable state."""
        if doc_ids:
            self._docs.delete(ids=list(doc_ids))
            self.delete_chunks_of(doc_ids)

    # --- chunks ---------------------------------------------------------------------------
    def delete_chunks_of(self, doc_ids: list[str]) -> None:
        """Delete every chunk of these documents."""
        if doc_ids:
            self._chunks.delete(where=_of_documents(doc_ids))

    def add_chunks(self, records: Sequence[ChunkRecord], vectors: Sequence[Any]) -> None:
        """Write chunks with their vectors, as LlamaIndex nodes (dense retrieval reads them
        back through LlamaIndex's ChromaVectorStore)."""
        self.vector_store.add([r.node(v) for r, v in zip(records, vectors)])

    def replace_vectors(self, records: Sequence[ChunkRecord], vectors: Sequence[Any]) -> None:
        """New vectors and sentence vectors for stored chunks; their text, ids and offsets stay.
        One upsert, written as ChromaVectorStore.add writes (which cannot replace)."""
        from llama_index.core.vector_stores.utils import node_to_metadata_dict

        metadatas = []
        for record in records:
            meta = node_to_metadata_dict(record.node(), remove_text=True, flat_metadata=True)
            # An upsert merges metadata: older sentence vectors must not outlive their vector.
            meta.setdefault(SENTENCE_VECTORS_KEY, "")
            metadatas.append({k: "" if v is None else v for k, v in meta.items()})
        self._chunks.upsert(
            ids=[r.chunk_id for r in records],
            embeddings=[v.tolist() for v in vectors],
            metadatas=metadatas,
            documents=[r.text for r in records],
        )

    def chunks_of(self, doc_ids: list[str]) -> list[ChunkRecord]:
        """Every chunk of these documents."""
        if not doc_ids:
            return []
        page = self._chunks.get(where=_of_documents(doc_ids), include=["documents", "metadatas"])
        return [
            ChunkRecord.from_metadata(chunk_id, text, meta)
            for chunk_id, text, meta in zip(page["ids"], page["documents"], page["metadatas"])
        ]

    def chunk_count(self) -> int:
        return int(self._chunks.count())

    def iter_chunks(self) -> Iterator[ChunkRecord]:
        """Every chunk, read in pages."""
        total = self._chunks.count()
        for offset in range(0, total, _PAGE):
            page = self._chunks.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
            for chunk_id, text, meta in zip(page["ids"], page["documents"], page["metadatas"]):
                yield ChunkRecord.from_metadata(chunk_id, text, meta)

    def committed(self, doc_ids: list[str]) -> dict[str, str]:
        """Content hash of each document whose ingestion is complete (its record exists)."""
        if not doc_ids:
            return {}
        page = self._docs.get(ids=doc_ids, include=["metadatas"])
        return {
            doc_id: json.loads(meta["info"])["content_hash"]
            for doc_id, meta in zip(page["ids"], page["metadatas"])
        }


def _of_documents(doc_ids: list[str]) -> dict[str, Any]:
    """The Chroma filter for the chunks of these documents (``$in`` needs two or more)."""
    ids = list(doc_ids)
    return {"doc_id": ids[0]} if len(ids) == 1 else {"doc_id": {"$in": ids}}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
