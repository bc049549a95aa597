"""Ingestion: files -> documents -> chunks -> embeddings -> the store, idempotently.

A document is identified by its resolved path and versioned by a hash of its bytes and of the
chunking settings. Unchanged documents cost one hash and no model work. For a changed document
the old record goes first, then its chunks are replaced, then the new record is written last:
a crash at any point leaves a document that the next run re-ingests, never a duplicate.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import BadInput
from ..models.embedding import Embedder, load_tokenizer, model_dir, model_window
from ..models.sentence_vectors import pack, sentence_spans
from ..store import ChunkRecord, Store
from ..types import DocumentInfo, IngestReport, Skipped
from .chunking import Chunk, chunk_document
from .loaders import SUPPORTED, Unreadable, load

log = logging.getLogger(__name__)

# Bump when chunking or loading changes in a way that should re-chunk every document.
PIPELINE_VERSION = "1"
# Embed and write this many chunks at a time: bounds memory and the work a crash can lose.
BATCH_CHUNKS = 1024
# Chunks per call to the model within a group (and per progress report).
EMBED_SLICE = 256
Progress = Callable[[int, int, str], None]


def doc_id_for(path: Path) -> str:
    return hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()[:16]


@dataclass
class _Pending:
    path: Path
    doc_id: str
    title: str
    text: str
    content_hash: str
    chunks: list[Chunk]
    existed: bool


def find_files(paths: Iterable[Path], report: IngestReport) -> tuple[list[Path], list[Path]]:
    """The files to ingest, and the folders whose vanished files should be pruned."""
    files: list[Path] = []
    folders: list[Path] = []
    for raw in paths:
        path = raw.expanduser().resolve()
        if path.is_dir():
            folders.append(path)
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in SUPPORTED
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            raise BadInput(f"No such file or folder: {raw}")
    seen = set()
    unique = []
    for f in files:
        if f in seen:
            continue
        seen.add(f)
        if not _utf8(f):  # ids, sources and titles are UTF-8 text; one bad name must not sink all
            shown = os.fsencode(f).decode("utf-8", "replace")
            report.skipped.append(
                Skipped(path=shown, reason="the file name is not UTF-8; rename it")
            )
            continue
        unique.append(f)
    return unique, folders


def _utf8(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def ingest(
    paths: Iterable[Path],
    store: Store,
    get_embedder: Callable[[], Embedder],
    settings: Settings,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the store in line with the given files and folders. See the module docstring."""
    began = time.perf_counter()
    report = IngestReport()
    files, folders = find_files(paths, report)
    existing = store.documents()
    signature = _signature(settings)
    tokenizer = load_tokenizer(settings.embedding_model)

    def count_tokens(texts: list[str]) -> list[int]:
        return [len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]

    window = min(settings.chunk_size, model_window(model_dir(settings.embedding_model))) - 2
    pending: list[_Pending] = []
    for path in files:
        name = str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.skipped.append(Skipped(path=name, reason=f"cannot read ({exc.strerror})"))
            continue
        doc_id = doc_id_for(path)
        content_hash = hashlib.sha256(signature + data).hexdigest()
        old = existing.get(doc_id)
        if old is not None and old.content_hash == content_hash:
            report.unchanged.append(name)
            continue
        try:
            document = load(path, data)
        except Unreadable as exc:
            report.skipped.append(Skipped(path=name, reason=str(exc)))
            continue
        chunks = chunk_document(document.text, count_tokens, window, settings.chunk_overlap)
        pending.append(
            _Pending(
                path, doc_id, document.title, document.text, content_hash, chunks, old is not None
            )
        )

    total = sum(len(p.chunks) for p in pending)
    if pending:
        embedder = get_embedder()
        embedded = 0
        # Building a group's records and writing them run on a writer thread while the model
        # embeds the next group: that work is single-threaded, so a core would otherwise idle.
        # One group at a time is in flight, and groups are written in order.
        in_flight: tuple[Future[None], list[_Pending]] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer") as writer:
            for group in _groups(pending):
                texts = [p.text[c.char_start : c.char_end] for p in group for c in p.chunks]
                on_slice = functools.partial(_report_slice, progress, embedded, total, group)
                vectors, sentence_vectors = _embed(embedder, texts, on_slice)
                embedded += len(texts)
                if in_flight is not None:
                    _written(*in_flight, report)
                write = writer.submit(_write_group, store, group, vectors, sentence_vectors)
                in_flight = write, group
            if in_flight is not None:
                _written(*in_flight, report)

    present = {doc_id_for(f) for f in files}
    gone = []
    for doc_id, info in existing.items():
        if doc_id in present:
            continue
        source = Path(info.source)
        if any(source.is_relative_to(folder) for folder in folders) and not source.exists():
            gone.append(doc_id)
            report.removed.append(info.source)
    # Chunks before records here: the file is gone, so a crash in between must leave the
    # record (the next run prunes it again), never chunks that no record points to.
    store.delete_chunks_of(gone)
    store.delete_documents(gone)
    if report.changed:
        store.bump_version()
    report.seconds = time.perf_counter() - began
    return report


def _embed(
    embedder: Embedder, texts: list[str], progress: Callable[[int], None]
) -> tuple[Any, list[str | None]]:
    """Vectors of a group's chunks, in EMBED_SLICE calls of texts of similar length, and each
    chunk's packed sentence vectors when the embedder can pool them from the same model run
    (None otherwise: the answerer then embeds those sentences when it needs them).

    Texts are ordered by length across the whole group, so each model batch holds chunks of
    nearly equal size and little compute goes to padding (sorting within 256 chunks wastes
    ~10% on padding on news text; across 1,024, ~1%), while progress is still reported often.
    """
    import numpy as np

    with_sentences = getattr(embedder, "embed_with_sentences", None)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    vectors = np.empty((len(texts), embedder.dim), dtype=np.float32)
    packed: list[str | None] = [None] * len(texts)
    for start in range(0, len(order), EMBED_SLICE):
        rows = order[start : start + EMBED_SLICE]
        batch = [texts[i] for i in rows]
        if with_sentences is None:
            vectors[rows] = embedder.embed(batch)
        else:
            spans = [[(s, e) for _, s, e in sentence_spans(text)] for text in batch]
            vectors[rows], per_text = with_sentences(batch, spans)
            for row, sentence_rows in zip(rows, per_text):
                packed[row] = pack(sentence_rows)
        progress(min(start + EMBED_SLICE, len(order)))
    return vectors, packed


def _write_group(
    store: Store, group: list[_Pending], vectors: Any, sentence_vectors: list[str | None]
) -> None:
    """Per document: old record, then old chunks, then new chunks, then new record; each step
    batched over the group (a Chroma call per record is ~20x slower)."""
    records = [
        _record(p, c, packed)
        for (p, c), packed in zip(((p, c) for p in group for c in p.chunks), sentence_vectors)
    ]
    store.delete_documents([p.doc_id for p in group if p.existed])
    # Chunks of a new document can only be leftovers of a crashed earlier run.
    store.delete_chunks_of([p.doc_id for p in group if not p.existed])
    store.add_chunks(records, vectors)
    store.put_documents((_info(p), p.text) for p in group)


def _written(future: Future[None], group: list[_Pending], report: IngestReport) -> None:
    """Wait for a group's writes (re-raising their error), then count its documents."""
    future.result()
    for p in group:
        (report.updated if p.existed else report.added).append(str(p.path))
    report.chunks_embedded += sum(len(p.chunks) for p in group)


def _report(progress: Progress | None, done: int, total: int, group: list[_Pending]) -> None:
    if progress:
        progress(done, total, group[-1].path.name)


def _report_slice(
    progress: Progress | None, done: int, total: int, group: list[_Pending], embedded: int
) -> None:
    _report(progress, done + embedded, total, group)


def _groups(pending: list[_Pending]) -> Iterable[list[_Pending]]:
    """Whole documents, about BATCH_CHUNKS chunks at a time."""
    group: list[_Pending] = []
    size = 0
    for p in pending:
        group.append(p)
        size += len(p.chunks)
        if size >= BATCH_CHUNKS:
            yield group
            group, size = [], 0
    if group:
        yield group


def _signature(settings: Settings) -> bytes:
    parts = (
        PIPELINE_VERSION,
        settings.embedding_model,
        settings.chunk_size,
        settings.chunk_overlap,
    )
    return ("|".join(map(str, parts)) + "\n").encode()


def _info(p: _Pending) -> DocumentInfo:
    return DocumentInfo(
        doc_id=p.doc_id,
        title=p.title,
        source=str(p.path),
        chunks=len(p.chunks),
        chars=len(p.text),
        content_hash=p.content_hash,
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _record(p: _Pending, chunk: Chunk, sentence_vectors: str | None) -> ChunkRecord:
    return ChunkRecord(
        chunk_id=f"{p.doc_id}:{chunk.index:05d}",
        text=p.text[chunk.char_start : chunk.char_end],
        doc_id=p.doc_id,
        title=p.title,
        source=str(p.path),
        paragraph_start=chunk.paragraph_start,
        paragraph_end=chunk.paragraph_end,
        char_start=chunk.char_start,
        char_end=chunk.char_end,
        content_hash=p.content_hash,
        sentence_vectors=sentence_vectors,
    )
