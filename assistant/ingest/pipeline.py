"""Ingestion: files -> documents -> chunks -> embeddings -> the store, idempotently.

A document is identified by its resolved path and versioned by a hash of its bytes and of the
chunking settings. Unchanged documents cost one hash and no model work. For a changed document
the old record goes first, then its chunks are replaced, then the new record is written last:
a crash at any point leaves a document that the next run re-ingests, never a duplicate.

In a store whose chunks were embedded otherwise than store.CHUNK_CONTEXT says (before titles
were embedded with chunks), the next run re-embeds in place, from the text the store holds,
every chunk it does not replace anyway; only then is the new format recorded, so a crash
halfway leaves a store that the next run re-embeds again. Two kinds of vectors never stay mixed.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ..config import Settings
from ..errors import BadInput
from ..models.embedding import Embedder, model_dir, model_window, token_counts
from ..store import ChunkRecord, Store
from ..types import DocumentInfo, IngestReport, Skipped
from .chunking import Chunk, chunk_document
from .loaders import SUPPORTED, Unreadable, load
from .vectors import embed_chunks, prefixes

log = logging.getLogger(__name__)
T = TypeVar("T")

# Bump when chunking or loading changes in a way that should re-chunk every document.
PIPELINE_VERSION = "1"
# Embed and write this many chunks at a time: bounds memory and the work a crash can lose.
BATCH_CHUNKS = 1024
# Chunks per call to the model within a group (and per progress report).
EMBED_SLICE = 256
Progress = Callable[[int, int, str], None]
# Chunks -> their vectors and packed sentence vectors, reporting how many are done.
Embed = Callable[[list[ChunkRecord], Callable[[int], None]], tuple[Any, list[str | None]]]


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


def token_windows(settings: Settings) -> tuple[int, int]:
    """Content tokens of a chunk and of the model's window ([CLS] and [SEP] apart): a chunk
    fits chunk_size, and its title may fill the rest of the model's window."""
    model_tokens = model_window(model_dir(settings.embedding_model))
    return min(settings.chunk_size, model_tokens) - 2, model_tokens - 2


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
    stale = not store.context_current()
    signature = _signature(settings)
    count_tokens = functools.partial(token_counts, settings.embedding_model)
    chunk_window, window = token_windows(settings)
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
        chunks = chunk_document(document.text, count_tokens, chunk_window, settings.chunk_overlap)
        pending.append(
            _Pending(
                path, doc_id, document.title, document.text, content_hash, chunks, old is not None
            )
        )

    gone = _gone(existing, {doc_id_for(f) for f in files}, folders)
    # Of a stale store, what this run neither replaces nor prunes is re-embedded as it is.
    written = {p.doc_id for p in pending}
    kept = [info for d, info in existing.items() if d not in written and d not in gone]
    reembed = kept if stale else []
    total = sum(len(p.chunks) for p in pending) + sum(info.chunks for info in reembed)
    embed = functools.partial(_model_work, get_embedder, settings.embedding_model, window)
    done = 0
    if pending:
        done = _embed_and_write(pending, store, embed, progress, total, report)

    report.removed.extend(existing[doc_id].source for doc_id in gone)
    # Chunks before records here: the file is gone, so a crash in between must leave the
    # record (the next run prunes it again), never chunks that no record points to.
    store.delete_chunks_of(gone)
    store.delete_documents(gone)
    if reembed:
        report.chunks_embedded += _reembed(store, reembed, embed, progress, done, total)
    if report.changed or reembed:
        store.bump_version()
    if stale:  # last: a crash before it leaves a store the next run re-embeds again
        store.mark_context()
    report.seconds = time.perf_counter() - began
    return report


def _gone(existing: dict[str, DocumentInfo], present: set[str], folders: list[Path]) -> list[str]:
    """Documents of the ingested folders whose files have vanished: to be pruned."""
    gone = []
    for doc_id, info in existing.items():
        if doc_id in present:
            continue
        source = Path(info.source)
        if any(source.is_relative_to(folder) for folder in folders) and not source.exists():
            gone.append(doc_id)
    return gone


def _model_work(
    get_embedder: Callable[[], Embedder],
    model: str,
    window: int,
    records: list[ChunkRecord],
    progress: Callable[[int], None],
) -> tuple[Any, list[str | None]]:
    """Vectors and packed sentence vectors of chunks, each embedded with its context."""
    found = prefixes(records, model, window)
    return embed_chunks(get_embedder(), records, found, progress, EMBED_SLICE)


def _embed_and_write(
    pending: list[_Pending],
    store: Store,
    embed: Embed,
    progress: Progress | None,
    total: int,
    report: IngestReport,
) -> int:
    """Embed and write the new and changed documents; how many chunks that embedded.

    Writing a group runs on a writer thread while the model embeds the next group: that
    work is single-threaded, so a core would otherwise idle. One group at a time is in
    flight, and groups are written in order.
    """
    embedded = 0
    in_flight: tuple[Future[None], list[_Pending]] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer") as writer:
        for group in _groups(pending, lambda p: len(p.chunks)):
            records = [_record(p, c) for p in group for c in p.chunks]
            name = group[-1].path.name
            on_slice = functools.partial(_report, progress, embedded, total, name)
            vectors, sentence_vectors = embed(records, on_slice)
            embedded += len(records)
            if in_flight is not None:
                _written(*in_flight, report)
            write = writer.submit(_write_group, store, group, records, vectors, sentence_vectors)
            in_flight = write, group
        if in_flight is not None:
            _written(*in_flight, report)
    return embedded


def _reembed(
    store: Store,
    docs: list[DocumentInfo],
    embed: Embed,
    progress: Progress | None,
    done: int,
    total: int,
) -> int:
    """New vectors for every chunk of these documents, embedded with its context from the text
    the store holds (no file is read); text, ids and offsets stay. How many chunks that was."""
    chunks = sum(info.chunks for info in docs)
    log.warning(
        "re-embedding %d chunks of %d documents with their document's title (the store "
        "predates it); this happens once",
        chunks,
        len(docs),
    )
    embedded = 0
    for group in _groups(docs, lambda info: info.chunks):
        records = store.chunks_of([info.doc_id for info in group])
        name = Path(group[-1].source).name
        on_slice = functools.partial(_report, progress, done + embedded, total, name)
        vectors, sentence_vectors = embed(records, on_slice)
        packed = [replace(r, sentence_vectors=s) for r, s in zip(records, sentence_vectors)]
        store.replace_vectors(packed, vectors)
        embedded += len(records)
    return embedded


def _write_group(
    store: Store,
    group: list[_Pending],
    records: list[ChunkRecord],
    vectors: Any,
    sentence_vectors: list[str | None],
) -> None:
    """Per document: old record, then old chunks, then new chunks, then new record; each step
    batched over the group (a Chroma call per record is ~20x slower)."""
    records = [replace(r, sentence_vectors=s) for r, s in zip(records, sentence_vectors)]
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


def _report(progress: Progress | None, done: int, total: int, name: str, embedded: int) -> None:
    if progress:
        progress(done + embedded, total, name)


def _groups(items: list[T], chunks: Callable[[T], int]) -> Iterable[list[T]]:
    """Whole documents, about BATCH_CHUNKS chunks at a time."""
    group: list[T] = []
    size = 0
    for item in items:
        group.append(item)
        size += chunks(item)
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


def _record(p: _Pending, chunk: Chunk) -> ChunkRecord:
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
    )
