"""What "nothing lost, nothing duplicated" means for a store, checked from the outside after
crashes and under load: every file has one record, every record has exactly its chunks, and
every chunk is the text of its document at its offsets."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from assistant.engine import Engine
from assistant.ingest.loaders import load
from assistant.ingest.pipeline import doc_id_for
from assistant.store import ChunkRecord


@dataclass
class StoreFigures:
    documents: int
    chunks: int


def check_store(engine: Engine, files: list[Path], *, sample: int = 12) -> StoreFigures:
    """Assert that the engine's store holds exactly ``files``, each whole and once."""
    store = engine.store
    records = store.documents()
    expected = {doc_id_for(f): f for f in files}
    missing = sorted(str(expected[d].name) for d in expected.keys() - records.keys())
    extra = sorted(records[d].source for d in records.keys() - expected.keys())
    assert not missing, f"{len(missing)} documents have no record: {missing[:5]}"
    assert not extra, f"{len(extra)} records of documents that should not be there: {extra[:5]}"

    by_doc: dict[str, list[ChunkRecord]] = {}
    ids = Counter()
    for record in store.iter_chunks():
        ids[record.chunk_id] += 1
        by_doc.setdefault(record.doc_id, []).append(record)
    duplicated = [cid for cid, n in ids.items() if n > 1]
    assert not duplicated, f"chunk ids stored twice: {duplicated[:5]}"
    orphans = sorted(by_doc.keys() - records.keys())
    assert not orphans, f"chunks of documents without a record: {orphans[:5]}"

    for doc_id, info in records.items():
        path = expected[doc_id]
        text = store.document_text(doc_id)
        assert text == load(path, path.read_bytes()).text, f"{path.name}: stale document text"
        chunks = by_doc.get(doc_id, [])
        want = {f"{doc_id}:{i:05d}" for i in range(info.chunks)}
        got = {c.chunk_id for c in chunks}
        assert got == want, (
            f"{path.name}: {len(got - want)} extra and {len(want - got)} missing chunks"
        )
        for c in chunks:
            assert c.content_hash == info.content_hash, f"{c.chunk_id}: an older version"
            assert c.text == text[c.char_start : c.char_end], c.chunk_id

    total = sum(len(c) for c in by_doc.values())
    assert total == store.chunk_count() == sum(i.chunks for i in records.values())
    _check_dense_index(engine, [c for chunks in by_doc.values() for c in chunks], sample)
    return StoreFigures(documents=len(records), chunks=total)


def _check_dense_index(engine: Engine, chunks: list[ChunkRecord], sample: int) -> None:
    """The vector index (kept apart from Chroma's SQLite records) finds a sample of chunks by
    their own text: a crash must not leave records whose vectors are gone."""
    rng = random.Random(len(chunks))
    for chunk in rng.sample(chunks, min(sample, len(chunks))):
        found = engine.retriever.retrieve(chunk.text, k=3, mode="dense")
        assert any(p.chunk_id == chunk.chunk_id or p.text == chunk.text for p in found), (
            f"dense search does not find chunk {chunk.chunk_id} by its own text"
        )
